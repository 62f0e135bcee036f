"""Export trained weights as a numbered SavedModel version, with a JSON record of what produced it.

``SavedModel/1``, ``SavedModel/2``, ...: every export takes the next free integer, so re-running never hits
SavedModelBuilder's "Export directory already exists". The model is written into a temporary sibling
folder (``SavedModel/.partial-*``) and renamed to its number only once it is complete, with its record
inside; a crash half-way leaves no numbered folder behind, and a kill leaves a ``.partial-*`` folder that the
next export or training run removes (`digitnet.files.remove_stale`: never one a running export still holds).

Work is never lost at the end: `check_destination` refuses, before the first training step, a run whose
export or checkpoint folder is a file, cannot be written or lacks room. If the export still fails after
training, the error names the run's checkpoint folder, which keeps the trained weights with their network
description and record, and the ``python -m digitnet export`` command that exports it.

The serving graph is built fresh from the `NetworkSpec` saved beside the checkpoint (no dropout, no
training data, no optimiser state), so a checkpoint folder can be exported on its own, and its weights
are restored from that checkpoint. Contract: tag ``serve``, signature ``serving_default`` with method
``tensorflow/serving/predict``, input ``images`` float32 [-1, 784] in [0, 1], outputs ``probabilities``
float32 [-1, 10] (over the ten digits) and ``classes`` int64 [-1]; a network with the "not a digit" class
adds the output ``not_digit`` float32 [-1], the probability that an image is not a digit at all. The
touching-digit reader's weights, when the run trained one, go into ``assets.extra/`` (`digitnet.line_reader`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import digitnet
from digitnet import graph as dg
from digitnet._tf import session_config, tf, tf1
from digitnet.config import NetworkSpec, TrainConfig
from digitnet.data import MnistData
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write_text, remove_stale, staging_folder
from digitnet.line_reader import EXPORT_FOLDER, WEIGHTS_NAME
from digitnet.versions import RECORD_NAME, publish

if TYPE_CHECKING:  # only for annotations: loading a model for prediction need not import the training code
    from digitnet.training import TrainResult

SIGNATURE_KEY = "serving_default"
INPUT_KEY = "images"


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
        try:
            tf1.train.Saver(dg.model_variables(graph)).restore(session, checkpoint_prefix)
        except (tf.errors.OpError, ValueError) as error:
            raise DigitnetError(f"{Path(checkpoint_prefix).parent}: cannot restore the checkpoint "
                                f"'{NetworkSpec.CHECKPOINT_PREFIX}' ({_first_line(error)})") from None
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


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    return (text.strip().splitlines() or [type(error).__name__])[0].strip()


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


def export_result(result: TrainResult, data: MnistData, export_base: str | Path | None = None,
                  on_published: Callable[[Path], None] | None = None) -> Path:
    """Export a training run's best weights as the next ``<export_base>/<N>`` and return that path.

    The run's record is first saved beside the checkpoint too, so that if the export fails the checkpoint
    folder alone can still be exported later (`export_checkpoint`, ``python -m digitnet export``), and the
    error says so. `on_published`: see `export_checkpoint`.

    Raises:
        DigitnetError: the export failed; the message names the kept checkpoint folder and how to export it.
    """
    record = run_record(result, data)
    checkpoint = result.checkpoint_dir
    try:
        atomic_write_text(checkpoint / RECORD_NAME, json.dumps(record, indent=2) + "\n")
    except OSError:
        pass  # the export below still carries the record; only a later export of the folder would lack it
    try:
        return export_checkpoint(checkpoint, export_base or result.config.export_dir, record, on_published)
    except DigitnetError as error:
        raise DigitnetError(f"{error}; the trained weights are kept in {checkpoint}: export them with "
                            f"`python -m digitnet export {checkpoint} --export-dir <folder>`") from None


def export_checkpoint(checkpoint_dir: str | Path, export_base: str | Path = "SavedModel",
                      record: dict | None = None, on_published: Callable[[Path], None] | None = None) -> Path:
    """Export the weights of a run's checkpoints folder as ``<export_base>/<N>`` and return that path.

    Args:
        checkpoint_dir: a run's ``checkpoints`` folder: the Saver checkpoint ``best.*`` and the
            ``network.json`` written by training (and the record, when the run finished).
        export_base: folder of numbered versions; created if missing.
        record: facts for the JSON written beside the model; default: the record saved in the folder.
        on_published: called with the new version's path the moment it exists (Ctrl-C held meanwhile).

    Raises:
        DigitnetError: one line naming the folder at fault (checkpoint unreadable, destination not writable).
    """
    checkpoint_dir = Path(checkpoint_dir)
    network = NetworkSpec.load(checkpoint_dir)
    prefix = checkpoint_dir / NetworkSpec.CHECKPOINT_PREFIX
    try:
        found = Path(f"{prefix}.index").is_file()
    except OSError:
        found = False
    if not found:
        raise DigitnetError(f"{checkpoint_dir}: no checkpoint '{NetworkSpec.CHECKPOINT_PREFIX}' in this folder")
    if record is None:
        record = read_record(checkpoint_dir)
    base = Path(export_base)
    try:
        if base.exists() and not base.is_dir():
            raise DigitnetError(f"{base}: is a file, expected a folder for the numbered model versions")
        base.mkdir(parents=True, exist_ok=True)
        remove_stale(base)  # what killed exports left behind
        with staging_folder(base) as staging:
            model_dir = staging / "model"
            _write_saved_model(model_dir, str(prefix), network)
            line_reader = checkpoint_dir / WEIGHTS_NAME
            if line_reader.is_file():  # the touching-digit reader, where serving does not look
                (model_dir / EXPORT_FOLDER).mkdir()
                shutil.copyfile(line_reader, model_dir / EXPORT_FOLDER / WEIGHTS_NAME)
            facts = {**record, "network": network.to_dict(), "signature": describe_contract(network)}
            (model_dir / RECORD_NAME).write_text(json.dumps(facts, indent=2) + "\n")
            return publish(model_dir, base, on_published)
    except (OSError, tf.errors.OpError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else _first_line(error)
        raise DigitnetError(f"{base}: cannot write the model there ({reason})") from None


# Room a run needs besides its weights (4 bytes a parameter): the SavedModel's graph and record, and the
# checkpoint's TensorBoard logs (histograms every epoch); the checkpoint is written twice while it is replaced.
EXPORT_MARGIN_BYTES = 2 << 20
LOG_MARGIN_BYTES = 32 << 20


def parameter_count(network: NetworkSpec) -> int:
    """The number of weights in `network` (counted on its serving graph, so it is exact for every architecture)."""
    graph, _, _ = build_serving_graph(network)
    return sum(int(variable.shape.num_elements()) for variable in dg.model_variables(graph))


def check_destination(config: TrainConfig, export: bool = True) -> None:
    """Refuse a run whose results could not be saved, before its first training step.

    The log folder (``config.log_dir``, where the checkpoint of the best weights goes) and, when `export`,
    the export folder (``config.export_dir``) must be folders, or creatable ones, that this process can
    write, on disks with room for the model. Leftovers of killed exports in the export folder are removed.
    Nothing is created: an unnamed temporary file (O_TMPFILE) proves that a folder can be written to.

    Raises:
        DigitnetError: one line naming the folder and what to do.
    """
    weights = 4 * parameter_count(config.network)
    needs = [(Path(config.log_dir), 2 * weights + LOG_MARGIN_BYTES, "--log-dir / LOG_DIR")]
    if export:
        needs.append((Path(config.export_dir), weights + EXPORT_MARGIN_BYTES, "--export-dir / EXPORT_DIR"))
    by_disk: dict[int, list] = {}
    for folder, size, option in needs:
        existing = _writable_ancestor(folder, option)
        by_disk.setdefault(os.stat(existing).st_dev, []).append((folder, size, existing))
    if export:
        remove_stale(config.export_dir)  # killed exports' leftovers would take room too
    for entries in by_disk.values():
        free = shutil.disk_usage(entries[0][2]).free
        need = sum(size for _, size, _ in entries)
        if free < need:
            raise DigitnetError(f"{entries[-1][0]}: only {free / 2**20:.0f} MB free on its disk, the run needs about "
                                f"{need / 2**20:.0f} MB: free some space or choose a folder on another disk")


def _writable_ancestor(folder: Path, option: str) -> Path:
    """`folder`, or its nearest existing ancestor when it is still to be created, checked to be writable."""
    existing = folder
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            where = "is a file" if existing == folder else f"cannot be created: {existing} is a file"
            raise DigitnetError(f"{folder}: {where}, expected a folder (choose another with {option})")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise DigitnetError(f"{folder}: cannot write there ({error.strerror or error}); choose another folder "
                            f"with {option}") from None
    return existing


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
