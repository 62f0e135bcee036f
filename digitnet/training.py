"""Build the training graph and run it in a ``tf.compat.v1.Session``.

`build_training_graph` wires the pieces of `digitnet.graph` together (the notebook makes the same calls
one cell at a time and then wraps them with `TrainingGraph`); `train` runs shuffled mini-batches, checks
the validation split after every epoch, keeps the best weights in a ``tf.compat.v1.train.Saver``
checkpoint, stops early when validation stops improving, restores the best weights and measures the test
set. It returns the per-epoch history for plotting.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from digitnet import graph as dg
from digitnet._tf import tf, tf1
from digitnet.augment import AugmentConfig, augment_images
from digitnet.config import TrainConfig
from digitnet.data import MnistData, Split
from digitnet.tensorboard import TensorBoardLogger, new_run_dir

EVAL_BATCH = 5000  # rows per evaluation run: large batches keep the matrix multiplies efficient


@dataclass
class TrainingGraph:
    """The tensors and ops of a training graph (all in `graph`)."""

    graph: object
    images: object  # float32 [None, 784] placeholder_with_default(next training batch)
    labels: object  # int64 [None]
    dropout_rate: object  # float32 scalar, 0.0 unless fed
    data: dict  # from graph.training_inputs: sources, initializer, batch_indices
    logits: object  # float32 [None, 10]
    loss: object  # float32 scalar
    train_op: object
    global_step: object
    learning_rate: object
    accuracy: object  # float32 scalar
    correct: object  # int32 scalar
    probabilities: object  # float32 [None, 10]
    saver: object = None
    initializer: object = None
    histograms: object = None
    input_images_summary: object = None

    def finalize(self) -> TrainingGraph:
        """Add the saver, initializer and TensorBoard summary ops; call once all parts are built."""
        with self.graph.as_default():
            variables = dg.model_variables(self.graph)
            self.saver = tf1.train.Saver(variables, max_to_keep=1)
            self.initializer = tf1.global_variables_initializer()
            with tf1.name_scope("summaries"):
                self.histograms = tf1.summary.merge(
                    [tf1.summary.histogram(v.op.name, v) for v in variables]
                )
                square = tf.reshape(self.images[:8], [-1, 28, 28, 1])
                self.input_images_summary = tf1.summary.image("training_inputs", square, max_outputs=8)
        return self


def build_training_graph(config: TrainConfig, num_examples: int, steps_per_epoch: int) -> TrainingGraph:
    """Build the whole training graph for `config` in a fresh ``tf.Graph``.

    Args:
        num_examples: rows in the training split (the in-graph copy of the data has this many).
        steps_per_epoch: batches per epoch; the learning rate decays once per epoch.
    """
    augment_config = AugmentConfig.from_name(config.augment)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(config.seed)
        data = dg.training_inputs(num_examples)
        batch_images = data["batch_images"]
        if augment_config.enabled:
            batch_images = augment_images(batch_images, augment_config, seed=config.seed)
        images, labels, dropout_rate = dg.placeholder_inputs(batch_images, data["batch_labels"])
        # With dropout switched off for the run, leave the dropout ops out: they would draw a random
        # number per hidden unit per example on every step only to keep every unit.
        rate_in_graph = dropout_rate if config.dropout > 0 else None
        logits = dg.inference(
            images, config.hidden_units, rate_in_graph, config.architecture, config.seed, config.conv_filters
        )
        loss = dg.loss(logits, labels)
        train_op, global_step, learning_rate = dg.training(
            loss, config.learning_rate, config.lr_decay, steps_per_epoch
        )
        accuracy, correct = dg.evaluation(logits, labels)
        probabilities = tf.nn.softmax(logits, name="probabilities")
    return TrainingGraph(
        graph=graph, images=images, labels=labels, dropout_rate=dropout_rate, data=data, logits=logits,
        loss=loss, train_op=train_op, global_step=global_step, learning_rate=learning_rate,
        accuracy=accuracy, correct=correct, probabilities=probabilities,
    ).finalize()


@dataclass
class EpochRecord:
    """What one epoch did. Accuracies are fractions (0-1)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    validation_loss: float
    validation_accuracy: float
    learning_rate: float
    seconds: float


@dataclass
class TrainResult:
    """Outcome of `train`.

    Attributes:
        history: one EpochRecord per epoch run.
        best_epoch: epoch whose weights were restored (1-based).
        validation_accuracy / test_accuracy: of the restored best weights, fractions 0-1.
        test_probabilities: float32 [n_test, 10], softmax outputs of the best weights on the test set.
        train_seconds: wall time of the epoch loop (graph building and data loading excluded).
        checkpoint: path prefix of the Saver checkpoint holding the best weights.
        run_dir: the TensorBoard run folder.
    """

    history: list[EpochRecord]
    best_epoch: int
    validation_accuracy: float
    test_accuracy: float
    test_probabilities: np.ndarray
    train_seconds: float
    checkpoint: str
    run_dir: Path
    stopped_early: bool = False
    config: TrainConfig = field(default_factory=TrainConfig)

    @property
    def test_predictions(self) -> np.ndarray:
        """int64 [n_test] predicted digits."""
        return np.argmax(self.test_probabilities, axis=1)

    def history_columns(self) -> dict[str, list[float]]:
        """History as columns, e.g. {'epoch': [...], 'train_accuracy': [...], ...} for plotting."""
        names = EpochRecord.__dataclass_fields__.keys()
        return {name: [getattr(record, name) for record in self.history] for name in names}


def session_config(threads: int = 0):
    """Session settings: `threads` kernel threads (0 = one per core) and one op at a time.

    The graph is a chain of dependent ops, so running several ops concurrently (inter-op parallelism)
    only makes them compete for the same cores; all cores go to each matrix multiply instead.
    """
    threads = threads or os.cpu_count() or 1
    return tf1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)


def enable_determinism() -> None:
    """Make every op deterministic so two runs with one seed give the same weights."""
    tf.config.experimental.enable_op_determinism()


def evaluate_split(session, model: TrainingGraph, split: Split) -> tuple[float, float]:
    """Mean loss and accuracy of the current weights on `split` (dropout off). Returns (loss, accuracy)."""
    total_loss, total_correct = 0.0, 0
    for start in range(0, len(split), EVAL_BATCH):
        images = _scaled_rows(split, start)
        labels = split.labels[start : start + EVAL_BATCH]
        batch_loss, batch_correct = session.run(
            [model.loss, model.correct], {model.images: images, model.labels: labels}
        )
        total_loss += float(batch_loss) * len(labels)
        total_correct += int(batch_correct)
    return total_loss / len(split), total_correct / len(split)


def _scaled_rows(split: Split, start: int) -> np.ndarray:
    return np.asarray(split.images[start : start + EVAL_BATCH], dtype=np.float32) / np.float32(255.0)


def predict_probabilities(session, model: TrainingGraph, split: Split) -> np.ndarray:
    """Softmax outputs float32 [n, 10] of the current weights on `split`."""
    outputs = [
        session.run(model.probabilities, {model.images: _scaled_rows(split, start)})
        for start in range(0, len(split), EVAL_BATCH)
    ]
    return np.concatenate(outputs) if outputs else np.zeros((0, 10), np.float32)


def batch_schedule(num_examples: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle row indices and cut them into batches (the last one may be smaller). int32 arrays."""
    order = rng.permutation(num_examples).astype(np.int32)
    return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]


def run_epoch(session, model: TrainingGraph, num_examples: int, config: TrainConfig,
              rng: np.random.Generator, on_step=None) -> tuple[float, float]:
    """One pass over the in-graph training rows in a fresh random order.

    Each step feeds only the batch's row indices and the dropout rate; the graph gathers (and, if
    configured, distorts) the images itself.

    Returns:
        (mean training loss, training accuracy) over the epoch, as measured on the trained batches.
    """
    loss_sum, correct_sum = 0.0, 0
    fetches = [model.train_op, model.loss, model.correct]
    batch_indices, dropout_rate = model.data["batch_indices"], model.dropout_rate
    for indices in batch_schedule(num_examples, config.batch_size, rng):
        _, batch_loss, batch_correct = session.run(fetches, {batch_indices: indices, dropout_rate: config.dropout})
        loss_sum += float(batch_loss) * len(indices)
        correct_sum += int(batch_correct)
        if on_step is not None:
            on_step(1)
    return loss_sum / num_examples, correct_sum / num_examples


def open_session(model: TrainingGraph, train_split: Split, config: TrainConfig):
    """A Session on `model.graph` with variables initialised and the training rows loaded into the graph."""
    enable_determinism()
    session = tf1.Session(graph=model.graph, config=session_config(config.threads))
    session.run(model.initializer)
    session.run(model.data["initializer"], {
        model.data["images_source"]: train_split.images,
        model.data["labels_source"]: train_split.labels,
    })
    return session


def train(
    model: TrainingGraph,
    data: MnistData,
    config: TrainConfig,
    progress: bool = True,
    run_dir: Path | None = None,
    epoch_callback=None,
) -> TrainResult:
    """Train `model` on `data.train`, early-stop on `data.validation`, report on `data.test`.

    Args:
        model: from `build_training_graph` (or built step by step and wrapped in TrainingGraph).
        data: the splits; `config.limit` caps the training rows used.
        progress: show a tqdm bar (a widget in Jupyter, text in a terminal) and one line per epoch.
        run_dir: TensorBoard run folder; a fresh one under `config.log_dir` when None.
        epoch_callback: optional ``f(session, record)`` called after each epoch (benchmarks use it to
            time how long training takes to reach a given test accuracy).

    Returns:
        TrainResult with the history and the accuracies of the restored best weights.
    """
    train_split = data.train if config.limit is None else Split(
        data.train.images[: config.limit], data.train.labels[: config.limit]
    )
    run_dir = Path(run_dir) if run_dir else new_run_dir(config.log_dir)
    checkpoint_prefix = str(run_dir / "checkpoints" / "best")
    rng = np.random.default_rng(config.seed)
    steps_per_epoch = -(-len(train_split) // config.batch_size)

    with open_session(model, train_split, config) as session:
        logger = TensorBoardLogger(run_dir, model.graph)
        logger.log_input_images(session, model, first_batch=np.arange(min(8, len(train_split)), dtype=np.int32))
        history: list[EpochRecord] = []
        best_accuracy, best_epoch, stale_epochs, stopped_early = -1.0, 0, 0, False
        bar = tqdm(total=config.epochs * steps_per_epoch, unit="batch", desc="training",
                   disable=not progress, mininterval=0.5, dynamic_ncols=True)
        started = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            rate = float(session.run(model.learning_rate))
            train_loss, train_accuracy = run_epoch(session, model, len(train_split), config, rng, bar.update)
            validation_loss, validation_accuracy = evaluate_split(session, model, data.validation)
            record = EpochRecord(
                epoch=epoch,
                train_loss=train_loss,
                train_accuracy=train_accuracy,
                validation_loss=validation_loss,
                validation_accuracy=validation_accuracy,
                learning_rate=rate,
                seconds=time.perf_counter() - epoch_started,
            )
            history.append(record)
            logger.log_epoch(session, model, record)
            if epoch_callback is not None:
                epoch_callback(session, record)
            improved = validation_accuracy > best_accuracy
            if improved:
                best_accuracy, best_epoch, stale_epochs = validation_accuracy, epoch, 0
                model.saver.save(session, checkpoint_prefix, write_meta_graph=False)
            else:
                stale_epochs += 1
            bar.set_postfix(epoch=epoch, val_acc=f"{validation_accuracy:.2%}", best=best_epoch, refresh=False)
            if progress:
                bar.write(_epoch_line(record, config.epochs, improved))
            if config.patience and stale_epochs >= config.patience:
                stopped_early = True
                if progress:
                    bar.write(f"early stop: no better validation accuracy for {config.patience} epochs")
                break
        train_seconds = time.perf_counter() - started
        bar.close()
        logger.close()

        model.saver.restore(session, checkpoint_prefix)
        _, validation_accuracy = evaluate_split(session, model, data.validation)
        test_probabilities = predict_probabilities(session, model, data.test)
    test_accuracy = float(np.mean(np.argmax(test_probabilities, axis=1) == data.test.labels))
    return TrainResult(
        history=history, best_epoch=best_epoch, validation_accuracy=validation_accuracy,
        test_accuracy=test_accuracy, test_probabilities=test_probabilities, train_seconds=train_seconds,
        checkpoint=checkpoint_prefix, run_dir=run_dir, stopped_early=stopped_early, config=config,
    )


def _epoch_line(record: EpochRecord, epochs: int, improved: bool) -> str:
    marker = "  *best" if improved else ""
    return (
        f"epoch {record.epoch:>3}/{epochs}  loss {record.train_loss:.4f}  acc {record.train_accuracy:.2%}  "
        f"val_loss {record.validation_loss:.4f}  val_acc {record.validation_accuracy:.2%}  "
        f"lr {record.learning_rate:.2e}  {record.seconds:.1f}s{marker}"
    )


def export_result(result: TrainResult, data: MnistData, export_base: str | Path | None = None) -> Path:
    """Export the run's best weights as the next ``SavedModel/<N>`` with a JSON record of the run.

    The record holds the parameters, the SHA-256 of the four CSVs, the validation and test accuracy,
    the training time and the per-epoch history.
    """
    from digitnet.export import export_saved_model

    config = result.config
    record = {
        "validation_accuracy": result.validation_accuracy,
        "test_accuracy": result.test_accuracy,
        "test_examples": len(data.test),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "training_seconds": round(result.train_seconds, 2),
        "data_checksums_sha256": data.checksums(),
        "tensorboard_run": str(result.run_dir),
        "history": result.history_columns(),
    }
    return export_saved_model(result.checkpoint, config, export_base or config.export_dir, record)


def run_training(config: TrainConfig, progress: bool = True, data: MnistData | None = None) -> TrainResult:
    """Load the CSVs (unless `data` is given), build the graph and train: what `digitnet train` does."""
    from digitnet.data import load_mnist

    data = data or load_mnist(config.data_dir, config.validation_size)
    rows = len(data.train) if config.limit is None else min(config.limit, len(data.train))
    model = build_training_graph(config, rows, steps_per_epoch=-(-rows // config.batch_size))
    return train(model, data, config, progress=progress)
