"""What every section shares: summary statistics, the run's settings, subprocess workers and floors.

Every figure in the results is a `summarize`d list of repetitions: the median, the min and max, and how
many there were, so a reader sees both the typical value and the spread.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------------
# Statistics


def summarize(values, unit: str = "") -> dict:
    """Median, min, max and count of `values` (repetitions of one measurement), JSON-friendly."""
    values = [float(v) for v in values]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "unit": unit, "values": []}
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "unit": unit,
        "values": values,
    }


def scaled(stat: dict, factor: float, unit: str) -> dict:
    """The same summary with every value multiplied by `factor` (e.g. seconds -> milliseconds)."""
    return summarize([v * factor for v in stat["values"]], unit)


def fmt(stat: dict | None, digits: int = 1, unit: bool = True) -> str:
    """``"123.4 (120.1–125.0, n=5) unit"``; a single repetition shows no range; missing shows "n/a"."""
    if not stat or stat.get("median") is None:
        return "n/a"
    text = f"{stat['median']:,.{digits}f}"
    if stat["n"] > 1:
        text += f" ({stat['min']:,.{digits}f}–{stat['max']:,.{digits}f}, n={stat['n']})"
    else:
        text += " (n=1)"
    if unit and stat.get("unit"):
        text += f" {stat['unit']}"
    return text


def ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    """Ratio of medians, or None when either side is missing."""
    if not numerator or not denominator or not numerator.get("median") or not denominator.get("median"):
        return None
    return numerator["median"] / denominator["median"]


def peak_text(fraction: float | None) -> str:
    """``"62%"`` of the matmul peak; above 100 % the peak measurement itself must have been disturbed."""
    if fraction is None:
        return "n/a"
    if fraction > 1:
        return f"{fraction:.0%} (above 100 %: the peak measurement was disturbed by other load; re-run quietly)"
    return f"{fraction:.0%}"


def now_iso() -> str:
    """The current UTC time, to the second (dates in the results)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.seconds`` (perf_counter, wall time)."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


# ---------------------------------------------------------------------------------------------------
# Floors: the targets the project must beat. The benchmark only reports them; it never fails on them.


def floor(section: str, what: str, value: float | None, threshold: float, higher_is_better: bool = True,
          unit: str = "") -> dict:
    """One floor check: passed is None when the value could not be measured."""
    if value is None:
        passed = None
    else:
        passed = value >= threshold if higher_is_better else value <= threshold
    return {
        "section": section, "what": what, "value": value, "threshold": threshold,
        "comparison": ">=" if higher_is_better else "<=", "unit": unit, "passed": passed,
    }


def mark(passed: bool | None) -> str:
    """PASS / FAIL / n/a, for tables."""
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


# ---------------------------------------------------------------------------------------------------
# The run's settings


@dataclass
class Plan:
    """How many repetitions each measurement gets.

    `repeats` is the main count (training throughput, cold loads, CLI runs, ...); the slow baselines
    (np.loadtxt, the full time-to-accuracy training) get at most two.
    """

    repeats: int = 5
    loadtxt_repeats: int = 2
    accuracy_runs: int = 2
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


@dataclass
class Context:
    """What the sections need: where the data and outputs are, the plan, and a shared trained model.

    Attributes:
        data_dir: folder with the four MNIST CSVs.
        out_dir: where results.md / results.json / results.png go.
        work_dir: scratch space for this run (arrays for the workers, exported models, generated images).
        plan: repetition counts.
        tiny: the test's smoke mode (synthetic data, a few batches).
        validation_size: rows of the training file used for validation (10000; smaller for tiny data).
        model: the SavedModel given with --model (None: latest SavedModel/<N>, else one trained here).
        images_dir: the user-like image set (generated if absent).
    """

    data_dir: Path
    out_dir: Path
    work_dir: Path
    plan: Plan
    tiny: bool = False
    validation_size: int = 10000
    model: Path | None = None
    images_dir: Path | None = None
    cache: dict = field(default_factory=dict)

    def data(self):
        """The MNIST splits, loaded once per run with digitnet's reader."""
        if "data" not in self.cache:
            from digitnet.data import load_mnist

            self.cache["data"] = load_mnist(self.data_dir, self.validation_size)
        return self.cache["data"]


def log(message: str) -> None:
    """Progress line on stderr (stdout stays free for whatever a caller pipes)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Subprocess workers


def worker_env() -> dict:
    """Environment for child processes: the project importable, TensorFlow's start-up chatter off."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    return env


def run_worker(module: str, spec: dict, timeout: float = 3600) -> dict:
    """Run ``python -m benchmarks.<module> SPEC.json OUT.json`` in a fresh process and return OUT.

    Each framework trains in its own process, so none inherits another's thread pools, spinning OpenMP
    workers, memory or global settings (our training enables TensorFlow's op determinism, for one).
    A worker that crashes gives ``{"error": last lines of its stderr}``.
    """
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as scratch:
        spec_path, out_path = Path(scratch) / "spec.json", Path(scratch) / "out.json"
        spec_path.write_text(json.dumps(spec))
        command = [sys.executable, "-m", f"benchmarks.{module}", str(spec_path), str(out_path)]
        try:
            completed = subprocess.run(command, cwd=PROJECT_ROOT, env=worker_env(), capture_output=True,
                                       text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"benchmarks.{module} ran past {timeout:.0f} s"}
        if completed.returncode != 0 or not out_path.exists():
            tail = " | ".join(completed.stderr.strip().splitlines()[-3:]) or f"exit status {completed.returncode}"
            return {"error": f"benchmarks.{module} failed: {tail}"}
        return json.loads(out_path.read_text())


def throughput_result(framework: str, setup_seconds: float, warmup: list[float], timed: list[float], rows: int,
                      test_accuracy: float, **extra) -> dict:
    """The dict every training worker returns: per-epoch times, examples/s over the timed epochs, accuracy."""
    return {
        "framework": framework,
        "setup_seconds": setup_seconds,
        "warmup_seconds": warmup,
        "epoch_seconds": timed,
        "examples_per_epoch": rows,
        "examples_per_second": rows * len(timed) / sum(timed),
        "test_accuracy": float(test_accuracy),
        **extra,
    }


def worker_main(measure) -> None:
    """Entry point of a worker module: read the spec file, call `measure(spec)`, write its dict."""
    spec_path, out_path = sys.argv[1], sys.argv[2]
    spec = json.loads(Path(spec_path).read_text())
    result = measure(spec)
    Path(out_path).write_text(json.dumps(result))


PATH_KEYS = ("data_dir", "export_dir", "log_dir")


def without_paths(parameters: dict) -> dict:
    """A TrainConfig dict minus its folders: results are committed, and folders are this machine's business."""
    return {key: value for key, value in parameters.items() if key not in PATH_KEYS}


def display_path(path) -> str:
    """A path as results may show it: relative to the checkout, else only its last two parts (never a
    machine's absolute path)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(Path("<scratch>", *path.parts[-2:]))
