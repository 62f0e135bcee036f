"""TensorBoard logs: one fresh folder per run, training and validation in separate writers.

Layout: ``logs/<run>/train`` (graph, training scalars, weight histograms, a few input images) and
``logs/<run>/validation`` (validation scalars), so TensorBoard draws the two curves on one chart.
Scalars are written once per epoch from numbers the training loop already has, which costs nothing.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from digitnet._tf import tf1


def new_run_dir(log_dir: str | Path) -> Path:
    """Create and return a fresh run folder such as ``logs/run-20261124-101500`` (suffixed if taken)."""
    base = Path(log_dir)
    base.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    candidate, suffix = base / stamp, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            suffix += 1
            candidate = base / f"{stamp}-{suffix}"


def _scalar_summary(values: dict[str, float]):
    return tf1.Summary(value=[tf1.Summary.Value(tag=tag, simple_value=float(v)) for tag, v in values.items()])


class TensorBoardLogger:
    """Writes a run's summaries; `close()` flushes them."""

    def __init__(self, run_dir: Path, graph) -> None:
        self.train_writer = tf1.summary.FileWriter(str(run_dir / "train"), graph)
        self.validation_writer = tf1.summary.FileWriter(str(run_dir / "validation"))

    def log_input_images(self, session, model, first_batch) -> None:
        """A few training inputs as the network sees them (after augmentation, if any)."""
        summary = session.run(model.input_images_summary, {model.data["batch_indices"]: first_batch})
        self.train_writer.add_summary(summary, 0)

    def log_epoch(self, session, model, record) -> None:
        """Per-epoch loss and accuracy for both splits, the learning rate and weight histograms."""
        self.train_writer.add_summary(
            _scalar_summary({"loss": record.train_loss, "accuracy": record.train_accuracy,
                             "learning_rate": record.learning_rate}), record.epoch)
        self.validation_writer.add_summary(
            _scalar_summary({"loss": record.validation_loss, "accuracy": record.validation_accuracy}),
            record.epoch)
        self.train_writer.add_summary(session.run(model.histograms), record.epoch)

    def close(self) -> None:
        self.train_writer.close()
        self.validation_writer.close()
