"""Build the training graph and run it in a ``tf.compat.v1.Session``.

`build_training_graph` wires the pieces of `digitnet.graph` together (the notebook makes the same calls
one cell at a time and then wraps them with `TrainingGraph`); `train` runs shuffled mini-batches, checks
the validation split after every epoch, keeps the best weights in a ``tf.compat.v1.train.Saver``
checkpoint, stops early when validation stops improving, restores the best weights and measures the test
set. It returns the per-epoch history for plotting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from digitnet import graph as dg
from digitnet._tf import session_config, tf, tf1
from digitnet.augment import AugmentConfig, augment_images
from digitnet.config import NetworkSpec, TrainConfig
from digitnet.data import MnistData, Split, load_mnist, scale_pixels
from digitnet.negatives import not_digits
from digitnet.tensorboard import TensorBoardLogger, new_run_dir
from digitnet.variants import handwriting_variants

# Rows per evaluation run: large enough to keep the matrix multiplies efficient, small enough that a run's first
# evaluation does not first allocate the CNN's activations for thousands of images (benchmarks/history.md).
EVAL_BATCH = 1000


@dataclass
class TrainingGraph:
    """The tensors and ops of a training graph (all in `graph`), and what it was built for."""

    graph: object
    network: NetworkSpec
    num_examples: int  # training rows held in the graph (the config's limit already applied)
    images: object  # float32 [None, 784] placeholder_with_default(next training batch)
    labels: object  # int64 [None]
    dropout_rate: object  # float32 scalar, 0.0 unless fed
    data: dict  # from graph.training_inputs: sources, initializer, batch_indices
    logits: object  # float32 [None, 10 or 11]
    loss: object  # float32 scalar
    train_op: object
    global_step: object
    learning_rate: object
    accuracy: object  # float32 scalar
    correct: object  # int32 scalar
    outputs: dict  # graph.prediction_outputs: probabilities [None, 10], classes, not_digit (11 outputs only)
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


def training_data(config: TrainConfig, data: MnistData) -> MnistData:
    """The splits as this run trains on them: the first `config.limit` training rows (all by default), plus
    the synthesised handwriting variants (`variants`) and not-a-digit images (`negatives`), shuffled in.

    Deterministic for a given seed. Validation and test stay MNIST's own.
    """
    rng = np.random.default_rng([config.seed, 1])
    train = data.train.head(config.training_rows(len(data.train)))
    parts = [train]
    if config.variants:
        parts.append(handwriting_variants(train, rng))
    if config.negatives:
        parts.append(not_digits(round(config.negatives * len(train)), train, rng))
    if len(parts) == 1:
        return MnistData(train, data.validation, data.test, data.files)
    order = rng.permutation(sum(len(part) for part in parts))
    images = np.concatenate([part.images for part in parts])[order]
    labels = np.concatenate([part.labels for part in parts])[order]
    return MnistData(Split(images, labels), data.validation, data.test, data.files)


def build_training_graph(config: TrainConfig, rows: int) -> TrainingGraph:
    """Build the whole training graph for `config` in a fresh ``tf.Graph``.

    Args:
        rows: training rows the graph holds (``len(training_data(config, data).train)``); the learning
            rate decays once per epoch of that many rows.
    """
    augment_config = AugmentConfig.from_name(config.augment)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(config.seed)
        data = dg.training_inputs(rows)
        batch_images = data["batch_images"]
        if augment_config.enabled:
            batch_images = augment_images(batch_images, augment_config, seed=config.seed)
        images, labels, dropout_rate = dg.placeholder_inputs(batch_images, data["batch_labels"])
        # With dropout switched off for the run, leave the dropout ops out: they would draw a random
        # number per hidden unit per example on every step only to keep every unit.
        rate_in_graph = dropout_rate if config.dropout > 0 else None
        logits = dg.inference(images, config.network, rate_in_graph, config.seed)
        loss = dg.loss(logits, labels)
        train_op, global_step, learning_rate = dg.training(loss, config.learning_rate, **config.schedule(rows))
        accuracy, correct = dg.evaluation(logits, labels)
        outputs = dg.prediction_outputs(logits)
    return TrainingGraph(
        graph=graph, network=config.network, num_examples=rows, images=images, labels=labels,
        dropout_rate=dropout_rate, data=data, logits=logits, loss=loss, train_op=train_op, global_step=global_step,
        learning_rate=learning_rate, accuracy=accuracy, correct=correct, outputs=outputs,
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
        test_probabilities: float32 [n_test, 10], the digits' probabilities of the best weights on the test set.
        test_not_digit: float32 [n_test], their "not a digit" probability (zeros without that class).
        train_seconds: wall time of the epoch loop (graph building and data loading excluded).
        checkpoint: path prefix of the Saver checkpoint holding the best weights (``<run>/checkpoints/best``).
        run_dir: the TensorBoard run folder.
        training_rows: how many training rows were used.
    """

    history: list[EpochRecord]
    best_epoch: int
    validation_accuracy: float
    test_accuracy: float
    test_probabilities: np.ndarray
    test_not_digit: np.ndarray
    train_seconds: float
    checkpoint: str
    run_dir: Path
    stopped_early: bool = False
    config: TrainConfig = field(default_factory=TrainConfig)
    training_rows: int = 0

    @property
    def checkpoint_dir(self) -> Path:
        """The folder of the best checkpoint, with the ``network.json`` that lets it be exported alone."""
        return Path(self.checkpoint).parent

    @property
    def test_predictions(self) -> np.ndarray:
        """int64 [n_test] predicted digits."""
        return np.argmax(self.test_probabilities, axis=1)

    def history_columns(self) -> dict[str, list[float]]:
        """History as columns, e.g. {'epoch': [...], 'train_accuracy': [...], ...} for plotting."""
        names = EpochRecord.__dataclass_fields__.keys()
        return {name: [getattr(record, name) for record in self.history] for name in names}


def enable_determinism() -> None:
    """Make every op deterministic so two runs with one seed give the same weights."""
    tf.config.experimental.enable_op_determinism()


def evaluate_split(session, model: TrainingGraph, split: Split) -> tuple[float, float]:
    """Mean loss and accuracy of the current weights on `split` (dropout off). Returns (loss, accuracy)."""
    total_loss, total_correct = 0.0, 0
    for start in range(0, len(split), EVAL_BATCH):
        images = scale_pixels(split.images[start : start + EVAL_BATCH])
        labels = split.labels[start : start + EVAL_BATCH]
        batch_loss, batch_correct = session.run(
            [model.loss, model.correct], {model.images: images, model.labels: labels}
        )
        total_loss += float(batch_loss) * len(labels)
        total_correct += int(batch_correct)
    return total_loss / len(split), total_correct / len(split)


def predict(session, model: TrainingGraph, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """The current weights on `split`: the digits' probabilities float32 [n, 10] and the "not a digit"
    probability float32 [n] (zeros when the network has no such class)."""
    fetches = {key: model.outputs[key] for key in ("probabilities", "not_digit") if key in model.outputs}
    batches = [session.run(fetches, {model.images: scale_pixels(split.images[start : start + EVAL_BATCH])})
               for start in range(0, len(split), EVAL_BATCH)]
    probabilities = np.concatenate([b["probabilities"] for b in batches]) if batches else np.zeros((0, 10), np.float32)
    not_digit = np.concatenate([b["not_digit"] for b in batches]) if "not_digit" in fetches and batches else \
        np.zeros(len(probabilities), np.float32)
    return probabilities, not_digit


def batch_schedule(num_examples: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle row indices and cut them into batches (the last one may be smaller). int32 arrays."""
    order = rng.permutation(num_examples).astype(np.int32)
    return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]


def run_epoch(session, model: TrainingGraph, num_examples: int, config: TrainConfig,
              rng: np.random.Generator, on_step=None) -> tuple[float, float]:
    """One pass over the in-graph training rows in a fresh random order.

    Each step feeds only the batch's row indices (and the dropout rate, when there is dropout); the graph
    gathers (and, if configured, distorts) the images itself.

    Returns:
        (mean training loss, training accuracy) over the epoch, as measured on the trained batches.
    """
    loss_sum, correct_sum = 0.0, 0
    # A callable made once an epoch skips session.run's per-call handling of fetches and feeds, and the dropout
    # rate is fed only when the graph has dropout: per-step overhead that weighs on small networks.
    dropout = [config.dropout] if config.dropout > 0 else []
    step = session.make_callable([model.train_op, model.loss, model.correct],
                                 [model.data["batch_indices"]] + ([model.dropout_rate] if dropout else []))
    for indices in batch_schedule(num_examples, config.batch_size, rng):
        _, batch_loss, batch_correct = step(indices, *dropout)
        loss_sum += float(batch_loss) * len(indices)
        correct_sum += int(batch_correct)
        if on_step is not None:
            on_step(1)
    return loss_sum / num_examples, correct_sum / num_examples


def open_session(model: TrainingGraph, train_split: Split, threads: int = 0):
    """A Session on `model.graph` with variables initialised and the training rows loaded into the graph."""
    enable_determinism()
    session = tf1.Session(graph=model.graph, config=session_config(threads))
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
        data: the splits; the first `model.num_examples` training rows are used.
        progress: show a tqdm bar (a widget in Jupyter, text in a terminal) and one line per epoch.
        run_dir: TensorBoard run folder; a fresh one under `config.log_dir` when None.
        epoch_callback: optional ``f(session, record)`` called after each epoch (benchmarks use it to
            time how long training takes to reach a given test accuracy).

    Returns:
        TrainResult with the history and the accuracies of the restored best weights.
    """
    train_split = data.train.head(model.num_examples)
    run_dir = Path(run_dir) if run_dir else new_run_dir(config.log_dir)
    checkpoint_dir = run_dir / "checkpoints"
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    model.network.save(checkpoint_dir)  # with it, the checkpoint can be exported on its own
    checkpoint_prefix = str(checkpoint_dir / NetworkSpec.CHECKPOINT_PREFIX)
    rng = np.random.default_rng(config.seed)
    steps_per_epoch = config.steps_per_epoch(len(train_split))

    with open_session(model, train_split, config.threads) as session:
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
                    bar.write(f"early stop: no better validation accuracy for {epochs_text(config.patience)}")
                break
        train_seconds = time.perf_counter() - started
        if stopped_early:  # a finished run, not a failed one: the bar ends full, at the steps really run
            bar.total = bar.n
            if hasattr(bar, "container"):  # tqdm's notebook widget keeps its own maximum (it drew 40% full)
                bar.container.children[1].max = bar.n
            bar.set_description(f"training (stopped early after {len(history)} of {config.epochs} epochs)")
        bar.close()
        logger.close()

        model.saver.restore(session, checkpoint_prefix)
        _, validation_accuracy = evaluate_split(session, model, data.validation)
        test_probabilities, test_not_digit = predict(session, model, data.test)
    test_accuracy = float(np.mean(np.argmax(test_probabilities, axis=1) == data.test.labels))
    return TrainResult(
        history=history, best_epoch=best_epoch, validation_accuracy=validation_accuracy,
        test_accuracy=test_accuracy, test_probabilities=test_probabilities, test_not_digit=test_not_digit,
        train_seconds=train_seconds,
        checkpoint=checkpoint_prefix, run_dir=run_dir, stopped_early=stopped_early, config=config,
        training_rows=len(train_split),
    )


def epochs_text(count: int) -> str:
    """How many epochs, as a person writes it: "1 epoch", "5 epochs"."""
    return f"{count} epoch{'' if count == 1 else 's'}"


def _epoch_line(record: EpochRecord, epochs: int, improved: bool) -> str:
    marker = "  *best" if improved else ""
    return (
        f"epoch {record.epoch:>3}/{epochs}  loss {record.train_loss:.4f}  acc {record.train_accuracy:.2%}  "
        f"val_loss {record.validation_loss:.4f}  val_acc {record.validation_accuracy:.2%}  "
        f"lr {record.learning_rate:.2e}  {record.seconds:.1f}s{marker}"
    )


def run_training(config: TrainConfig, progress: bool = True, data: MnistData | None = None) -> TrainResult:
    """Load the CSVs (unless `data` is given), add the synthesised rows, build the graph and train: what
    `digitnet train` does."""
    data = training_data(config, data or load_mnist(config.data_dir, config.validation_size))
    return train(build_training_graph(config, len(data.train)), data, config, progress=progress)
