"""The run's settings (`Plan`, `Context`, the named model configurations) and what sections share.

A section receives the `Context` and asks it for what it needs: ``ctx.data`` (the MNIST splits),
``ctx.model`` (the SavedModel to measure), ``ctx.user_images`` (the user-like image set),
``ctx.matmul_peak`` (the machine's float32 matmul peak), ``ctx.train_config(name)`` (a named
configuration). Each shared thing is a cached property: made by whichever section asks first, the same
object for every later one, so no section depends on another having run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from benchmarks import PROJECT_ROOT, log, machine
from benchmarks.image_set import DEFAULT_IMAGES, ensure_images
from digitnet.config import TrainConfig
from digitnet.data import MnistData, load_mnist
from digitnet.export import export_result, read_record
from digitnet.training import run_training
from digitnet.versions import list_versions, resolve_model_dir

CHECKOUT_MODELS = PROJECT_ROOT / "SavedModel"
PATH_KEYS = ("data_dir", "export_dir", "log_dir")
DESCRIBED_PARAMETERS = ("architecture", "hidden_units", "conv_filters", "epochs", "augment", "dropout", "lr_decay",
                        "lr_schedule", "negatives", "variants")
# Named configurations, as overrides of TrainConfig()'s defaults (what `benchmarks.model_table` trains).
MODEL_CONFIGS: dict[str, dict] = {
    # What `make run` trains: a small CNN, 5 epochs of a cosine schedule, with the handwriting variants and
    # the "not a digit" class.
    "default": {},
    # The previous round's default: the 1024-512 MLP, decaying learning rate, early stopping (same synthesis).
    "mlp": {"architecture": "mlp", "hidden_units": (1024, 512), "batch_size": 256, "learning_rate": 2e-3,
            "lr_schedule": "decay", "lr_decay": 0.88, "augment": "light", "epochs": 30, "patience": 8},
    # The same MLP on the cosine schedule, 12 epochs.
    "mlp-cosine": {"architecture": "mlp", "hidden_units": (1024, 512), "batch_size": 256, "learning_rate": 2e-3,
                   "warmup_epochs": 0.5, "epochs": 12},
    # The classic recipe for comparison: a 512-256 MLP with dropout, no augmentation, digits only.
    "mlp-classic": {"architecture": "mlp", "hidden_units": (512, 256), "batch_size": 128, "learning_rate": 1e-3,
                    "lr_schedule": "decay", "lr_decay": 0.9, "dropout": 0.2, "augment": "none", "epochs": 30,
                    "patience": 5, "variants": False, "negatives": 0.0},
    # Twice the channels and a 256-unit head, 12 epochs: more accurate, about 5 times the training time.
    "cnn-large": {"conv_filters": (32, 64), "hidden_units": (256,), "learning_rate": 2e-3, "epochs": 12},
}


def without_paths(parameters: dict) -> dict:
    """A TrainConfig dict minus its folders: results are committed, and folders are this machine's business."""
    return {key: value for key, value in parameters.items() if key not in PATH_KEYS}


@dataclass
class Plan:
    """How many repetitions each measurement gets.

    `repeats` is the main count (training throughput, cold loads, CLI runs, ...); np.loadtxt gets at most
    two, and every model's full time-to-accuracy training three seeds. Matrix sizes are n for n x n.
    """

    repeats: int = 5
    loadtxt_repeats: int = 2
    accuracy_runs: int = 3
    latency_calls: int = 200
    large_latency_calls: int = 50
    batch_repeats: int = 10
    matmul_repeats: int = 5
    warmup_epochs: int = 1
    timed_epochs: int = 2
    matmul_sizes: tuple[int, ...] = (2048, 4096)

    @classmethod
    def make(cls, quick: bool = False, repeats: int | None = None, tiny: bool = False) -> Plan:
        """Defaults, ``--quick`` (fewer repetitions), ``--tiny`` (one of everything) and ``--repeats N``."""
        if tiny:
            plan = cls(repeats=1, loadtxt_repeats=1, accuracy_runs=1, latency_calls=3, large_latency_calls=2,
                       batch_repeats=1, matmul_repeats=1, timed_epochs=1, matmul_sizes=(256, 512))
        elif quick:
            plan = cls(repeats=3, loadtxt_repeats=1, accuracy_runs=1, latency_calls=50, large_latency_calls=10,
                       batch_repeats=5, matmul_repeats=3)
        else:
            plan = cls()
        if repeats is not None:
            plan.repeats = repeats
            plan.loadtxt_repeats = min(plan.loadtxt_repeats, repeats)
            plan.accuracy_runs = min(plan.accuracy_runs, repeats)
            plan.batch_repeats = 2 * repeats  # one batch pass is short, so it gets twice the repetitions
        return plan


@dataclass(frozen=True)
class ChosenModel:
    """The SavedModel version folder the model-using sections measure, and how it was chosen (for the results)."""

    path: Path
    chosen: str

    def description(self) -> dict:
        """What the model's JSON record says: the parameters that shape it, its test accuracy (0-1), epochs run."""
        record = read_record(self.path)
        parameters = record.get("parameters", {})
        return {"parameters": {key: parameters[key] for key in DESCRIBED_PARAMETERS if key in parameters},
                "test_accuracy": record.get("test_accuracy"), "epochs_run": record.get("epochs_run")}


@dataclass
class Context:
    """The run's settings, and what sections share (the cached properties below).

    Attributes:
        data_dir: folder with the four MNIST CSVs.
        work_dir: scratch folder of this run (worker arrays, models trained here, generated images).
        plan: repetition counts.
        tiny: the tests' smoke mode (synthetic data, a few batches; never the checkout's SavedModel/).
        validation_size: rows of the training file held out for validation (10,000; 100 in tiny mode).
        max_epochs: cap on every training's epochs (tiny mode and smoke runs), or None.
        given_model: the SavedModel given with --model, or None.
        given_images: the image set given with --images, or None.
    """

    data_dir: Path
    work_dir: Path
    plan: Plan
    tiny: bool = False
    validation_size: int = 10000
    max_epochs: int | None = None
    given_model: Path | None = None
    given_images: Path | None = None

    @cached_property
    def data(self) -> MnistData:
        """The MNIST splits, read once per run with digitnet's reader."""
        return load_mnist(self.data_dir, self.validation_size)

    def train_config(self, name: str = "default") -> TrainConfig:
        """`MODEL_CONFIGS[name]` over TrainConfig(), reading this run's data, exporting to
        ``work_dir/<name>/<N>`` and logging under ``work_dir/<name>/logs``; epochs capped at `max_epochs`."""
        base = self.work_dir / name
        config = TrainConfig(data_dir=str(self.data_dir), export_dir=str(base), log_dir=str(base / "logs"),
                             validation_size=self.validation_size, **MODEL_CONFIGS[name])
        return config.replace(epochs=min(config.epochs, self.max_epochs)) if self.max_epochs else config

    @cached_property
    def model(self) -> ChosenModel:
        """The model to measure: --model; else the latest SavedModel/<N> of the checkout (not in tiny mode);
        else one trained now with `train_config()` (a full default training) and exported into scratch."""
        if self.given_model is not None:
            return ChosenModel(resolve_model_dir(self.given_model), "given with --model")
        if not self.tiny and list_versions(CHECKOUT_MODELS):
            return ChosenModel(resolve_model_dir(None, CHECKOUT_MODELS), "latest SavedModel/<N> of the checkout")
        log("no model given and none in SavedModel/: training one with TrainConfig() defaults")
        result = run_training(self.train_config(), progress=False, data=self.data)
        return ChosenModel(export_result(result, self.data), "trained by this run with TrainConfig() defaults")

    @cached_property
    def user_images(self) -> Path:
        """The user-like image set: --images, else build/user_images (tiny: one image per kind in scratch);
        generated first if the folder has no labels.csv."""
        if self.tiny and self.given_images is None:
            return ensure_images(self.work_dir / "user_images", self.data_dir, per_kind=1)
        return ensure_images(self.given_images or DEFAULT_IMAGES, self.data_dir)

    @cached_property
    def matmul_peak(self) -> dict:
        """The float32 matmul peak (`machine.matmul_peak`: "gflops" in GFLOP/s, and how it was measured)."""
        log("measuring the float32 matmul peak (numpy, all cores)")
        return machine.matmul_peak(self.plan.matmul_sizes, self.plan.matmul_repeats)

    def produced(self, name: str) -> bool:
        """Whether the cached property `name` (e.g. "matmul_peak") was produced in this run."""
        return name in self.__dict__
