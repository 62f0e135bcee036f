"""Export trained weights as a numbered SavedModel version, with a JSON record of what produced it.

``SavedModel/1``, ``SavedModel/2``, ...: every export takes the next free integer, so re-running never hits
SavedModelBuilder's "Export directory already exists". The model is written into a temporary sibling
folder (``SavedModel/.partial-*``) and renamed to its number only once it is complete, with its record
inside; a crash half-way leaves no numbered folder behind.

The serving graph is built fresh from the `NetworkSpec` saved beside the checkpoint (no dropout, no
training data, no optimiser state), so a checkpoint folder can be exported on its own, and its weights
are restored from that checkpoint. Contract: tag ``serve``, signature ``serving_default`` with method
``tensorflow/serving/predict``, input ``images`` float32 [-1, 784] in [0, 1], outputs ``probabilities``
float32 [-1, 10] (over the ten digits) and ``classes`` int64 [-1]; a network with the "not a digit" class
adds the output ``not_digit`` float32 [-1], the probability that an image is not a digit at all.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import digitnet
from digitnet import graph as dg
from digitnet._tf import session_config, tf, tf1
from digitnet.config import NetworkSpec
from digitnet.data import MnistData
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write_text
from digitnet.versions import publish

if TYPE_CHECKING:  # only for annotations: loading a model for prediction need not import the training code
    from digitnet.training import TrainResult

SIGNATURE_KEY = "serving_default"
INPUT_KEY = "images"
OUTPUT_KEYS = ("probabilities", "classes")  # always there; "not_digit" too when the network has that class
RECORD_NAME = "digitnet.json"
CHECKPOINT_PREFIX = "best"  # the Saver checkpoint inside a run's checkpoints folder


def build_serving_graph(network: NetworkSpec):
    """A fresh graph holding only what serving needs.

    Returns:
        (graph, images, outputs) with images float32 [None, 784] and outputs `graph.prediction_outputs`.
    """
    graph = tf.Graph()
    with graph.as_default():
        # The initialisers are never run (weights come from the checkpoint), but once op determinism
        # is enabled TensorFlow refuses to even create an unseeded random op.
        tf1.set_random_seed(0)
        images, _, _ = dg.placeholder_inputs()
        logits = dg.inference(images, network, dropout_rate=None, seed=None)
        outputs = dg.prediction_outputs(logits)
    return graph, images, outputs


def _write_saved_model(target: Path, checkpoint_prefix: str, network: NetworkSpec) -> None:
    graph, images, outputs = build_serving_graph(network)
    with tf1.Session(graph=graph, config=session_config()) as session:
        tf1.train.Saver(dg.model_variables(graph)).restore(session, checkpoint_prefix)
        signature = tf1.saved_model.signature_def_utils.predict_signature_def(
            inputs={INPUT_KEY: images},
            outputs=outputs,
        )
        builder = tf1.saved_model.Builder(str(target))
        builder.add_meta_graph_and_variables(
            session,
            [tf1.saved_model.tag_constants.SERVING],
            signature_def_map={SIGNATURE_KEY: signature},
            strip_default_attrs=True,
        )
        builder.save()


def run_record(result: TrainResult, data: MnistData) -> dict:
    """Everything the JSON beside an export says about the run that produced it (the one place it is made)."""
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "digitnet_version": digitnet.__version__,
        "tensorflow_version": tf.__version__,
        "python_version": platform.python_version(),
        "parameters": result.config.to_dict(),
        "network": result.config.network.to_dict(),
        "signature": describe_contract(result.config.network),
        "validation_accuracy": result.validation_accuracy,
        "test_accuracy": result.test_accuracy,
        "test_examples": len(data.test),
        "training_rows": result.training_rows,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "training_seconds": round(result.train_seconds, 2),
        "data_checksums_sha256": data.checksums(),
        "tensorboard_run": str(result.run_dir),
        "history": result.history_columns(),
    }


def export_result(result: TrainResult, data: MnistData, export_base: str | Path | None = None) -> Path:
    """Export a training run's best weights as the next ``<export_base>/<N>`` and return that path.

    The run's record is first saved beside the checkpoint too, so that if the export fails the checkpoint
    folder alone can still be exported later (`export_checkpoint`, ``python -m digitnet export``).
    """
    record = run_record(result, data)
    atomic_write_text(result.checkpoint_dir / RECORD_NAME, json.dumps(record, indent=2) + "\n")
    return export_checkpoint(result.checkpoint_dir, export_base or result.config.export_dir, record)


def export_checkpoint(checkpoint_dir: str | Path, export_base: str | Path = "SavedModel",
                      record: dict | None = None) -> Path:
    """Export the weights of a run's checkpoints folder as ``<export_base>/<N>`` and return that path.

    Args:
        checkpoint_dir: a run's ``checkpoints`` folder: the Saver checkpoint ``best.*`` and the
            ``network.json`` written by training (and the record, when the run finished).
        export_base: folder of numbered versions; created if missing.
        record: facts for the JSON written beside the model; default: the record saved in the folder.
    """
    checkpoint_dir = Path(checkpoint_dir)
    network = NetworkSpec.load(checkpoint_dir)
    prefix = checkpoint_dir / CHECKPOINT_PREFIX
    if not Path(f"{prefix}.index").exists():
        raise DigitnetError(f"{checkpoint_dir}: no checkpoint '{CHECKPOINT_PREFIX}' in this folder")
    if record is None:
        record = read_record(checkpoint_dir)
    base = Path(export_base)
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    try:
        model_dir = staging / "model"
        _write_saved_model(model_dir, str(prefix), network)
        facts = {**record, "network": network.to_dict(), "signature": describe_contract(network)}
        (model_dir / RECORD_NAME).write_text(json.dumps(facts, indent=2) + "\n")
        return publish(model_dir, base)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def describe_contract(network: NetworkSpec) -> dict:
    """The signature contract as recorded in the JSON beside every export."""
    outputs = {"probabilities": {"dtype": "float32", "shape": [-1, 10]}, "classes": {"dtype": "int64", "shape": [-1]}}
    if network.has_not_digit_class:
        outputs["not_digit"] = {"dtype": "float32", "shape": [-1]}
    return {
        "tag": "serve",
        "signature": SIGNATURE_KEY,
        "method": "tensorflow/serving/predict",
        "inputs": {INPUT_KEY: {"dtype": "float32", "shape": [-1, 784], "range": [0, 1]}},
        "outputs": outputs,
    }


def read_record(version_dir: str | Path) -> dict:
    """The JSON written beside a version or checkpoint ({} if it has none, e.g. a model exported elsewhere)."""
    path = Path(version_dir) / RECORD_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DigitnetError(f"{path}: unreadable record ({error})") from None
