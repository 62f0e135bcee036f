"""Export trained weights as a numbered SavedModel version, TensorFlow Serving style.

``SavedModel/1``, ``SavedModel/2``, ...: every export takes the next free integer, so re-running never
hits SavedModelBuilder's "Export directory already exists". The model is written into a temporary
sibling folder (``SavedModel/.partial-*``) and renamed to its number only once it is complete, with its
JSON record inside; a crash half-way leaves no numbered folder behind.

The exported graph is built fresh for serving (no dropout, no training data, no optimiser state) and
its weights are restored from the training run's best checkpoint. Contract (DESIGN.md): tag ``serve``,
signature ``serving_default`` with method ``tensorflow/serving/predict``, input ``images`` float32
[-1, 784] in [0, 1], outputs ``probabilities`` float32 [-1, 10] and ``classes`` int64 [-1].
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path

import digitnet
from digitnet import graph as dg
from digitnet._tf import tf, tf1
from digitnet.config import TrainConfig
from digitnet.errors import DigitnetError

SIGNATURE_KEY = "serving_default"
INPUT_KEY = "images"
OUTPUT_KEYS = ("probabilities", "classes")
RECORD_NAME = "digitnet.json"


def version_numbers(export_base: str | Path) -> list[int]:
    """The integer version folders under `export_base`, ascending (other entries are ignored)."""
    base = Path(export_base)
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit())


def latest_version(export_base: str | Path = "SavedModel") -> Path:
    """Path of the highest-numbered version under `export_base`; DigitnetError if there is none."""
    numbers = version_numbers(export_base)
    if not numbers:
        raise DigitnetError(
            f"{export_base}: no exported model (no numbered version folder); train one first with "
            "`make run` or `python -m digitnet train`"
        )
    return Path(export_base) / str(numbers[-1])


def build_serving_graph(config: TrainConfig):
    """A fresh graph holding only what serving needs.

    Returns:
        (graph, images, probabilities, classes) with images float32 [None, 784].
    """
    graph = tf.Graph()
    with graph.as_default():
        # The initialisers are never run (weights come from the checkpoint), but once op determinism
        # is enabled TensorFlow refuses to even create an unseeded random op.
        tf1.set_random_seed(0)
        images, _, _ = dg.placeholder_inputs()
        logits = dg.inference(
            images, config.hidden_units, None, config.architecture, None, config.conv_filters
        )
        probabilities, classes = dg.prediction_outputs(logits)
    return graph, images, probabilities, classes


def _write_saved_model(target: Path, checkpoint: str, config: TrainConfig) -> None:
    graph, images, probabilities, classes = build_serving_graph(config)
    with tf1.Session(graph=graph) as session:
        tf1.train.Saver(dg.model_variables(graph)).restore(session, checkpoint)
        signature = tf1.saved_model.signature_def_utils.predict_signature_def(
            inputs={INPUT_KEY: images},
            outputs={"probabilities": probabilities, "classes": classes},
        )
        builder = tf1.saved_model.Builder(str(target))
        builder.add_meta_graph_and_variables(
            session,
            [tf1.saved_model.tag_constants.SERVING],
            signature_def_map={SIGNATURE_KEY: signature},
            strip_default_attrs=True,
        )
        builder.save()


def export_saved_model(
    checkpoint: str, config: TrainConfig, export_base: str | Path = "SavedModel", record: dict | None = None
) -> Path:
    """Export the checkpoint's weights as ``<export_base>/<N>`` and return that path.

    Args:
        checkpoint: Saver checkpoint prefix holding the model variables (e.g. TrainResult.checkpoint).
        config: the run's parameters (the serving graph is rebuilt from them).
        export_base: folder of numbered versions; created if missing.
        record: extra facts for the JSON written beside the model (accuracies, timings, checksums).
    """
    base = Path(export_base)
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    try:
        model_dir = staging / "model"
        _write_saved_model(model_dir, checkpoint, config)
        facts = {
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "digitnet_version": digitnet.__version__,
            "tensorflow_version": tf.__version__,
            "python_version": platform.python_version(),
            "parameters": config.to_dict(),
            "signature": describe_contract(),
            **(record or {}),
        }
        (model_dir / RECORD_NAME).write_text(json.dumps(facts, indent=2) + "\n")
        return _publish(model_dir, base)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(model_dir: Path, base: Path) -> Path:
    """Rename the finished folder to the next free version number (retrying if another run took it)."""
    for _ in range(100):
        target = base / str((version_numbers(base) or [0])[-1] + 1)
        try:
            os.rename(model_dir, target)  # atomic on one file system; fails if target exists non-empty
            return target
        except OSError:
            if not target.exists():
                raise
    raise DigitnetError(f"{base}: could not claim a free version number")


def describe_contract() -> dict:
    """The signature contract as recorded in the JSON beside every export."""
    return {
        "tag": "serve",
        "signature": SIGNATURE_KEY,
        "method": "tensorflow/serving/predict",
        "inputs": {INPUT_KEY: {"dtype": "float32", "shape": [-1, 784], "range": [0, 1]}},
        "outputs": {"probabilities": {"dtype": "float32", "shape": [-1, 10]},
                    "classes": {"dtype": "int64", "shape": [-1]}},
    }


def read_record(version_dir: str | Path) -> dict:
    """The JSON written beside a version ({} if it has none, e.g. a model exported elsewhere)."""
    path = Path(version_dir) / RECORD_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DigitnetError(f"{path}: unreadable record ({error})") from None
