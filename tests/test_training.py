"""The training loop: history, early stopping with restored best weights, determinism, TensorBoard."""

from __future__ import annotations

import numpy as np
from conftest import TINY_VALIDATION, tiny_config

from digitnet.data import load_mnist
from digitnet.training import batch_schedule, run_training


def test_history_and_accuracies(trained_export):
    _, result, data = trained_export
    assert 1 <= len(result.history) <= 4
    columns = result.history_columns()
    assert columns["epoch"] == list(range(1, len(result.history) + 1))
    assert all(0 <= a <= 1 for a in columns["validation_accuracy"])
    assert columns["train_loss"][-1] < columns["train_loss"][0]
    assert result.test_accuracy > 0.5  # synthetic bars are easy; chance is 0.1
    assert result.test_probabilities.shape == (len(data.test), 10)
    np.testing.assert_allclose(result.test_probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert result.validation_accuracy == max(columns["validation_accuracy"])


def test_same_seed_same_result(tmp_path, mnist_dir):
    data = load_mnist(mnist_dir, TINY_VALIDATION)
    runs = [run_training(tiny_config(tmp_path / str(i), mnist_dir, epochs=2), progress=False, data=data)
            for i in range(2)]
    assert runs[0].test_accuracy == runs[1].test_accuracy
    np.testing.assert_array_equal(runs[0].test_probabilities, runs[1].test_probabilities)


def test_early_stopping_restores_best_epoch(tmp_path, mnist_dir):
    data = load_mnist(mnist_dir, TINY_VALIDATION)
    # A learning rate this high makes validation accuracy wander, so patience 1 stops early.
    config = tiny_config(tmp_path, mnist_dir, epochs=12, patience=1, learning_rate=0.05, lr_decay=1.0)
    result = run_training(config, progress=False, data=data)
    accuracies = result.history_columns()["validation_accuracy"]
    assert result.stopped_early and len(accuracies) < 12
    assert result.best_epoch == int(np.argmax(accuracies)) + 1
    assert result.validation_accuracy == accuracies[result.best_epoch - 1]


def test_tensorboard_run_folder_has_separate_writers(trained_export):
    _, result, _ = trained_export
    assert list((result.run_dir / "train").glob("events.out.tfevents.*"))
    assert list((result.run_dir / "validation").glob("events.out.tfevents.*"))


def test_batch_schedule_covers_every_row_once():
    batches = batch_schedule(103, 25, np.random.default_rng(0))
    assert [len(b) for b in batches] == [25, 25, 25, 25, 3]
    assert sorted(np.concatenate(batches).tolist()) == list(range(103))
    again = batch_schedule(103, 25, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))


def test_limit_uses_only_the_first_rows(tmp_path, mnist_dir):
    data = load_mnist(mnist_dir, TINY_VALIDATION)
    result = run_training(tiny_config(tmp_path, mnist_dir, epochs=1, limit=60), progress=False, data=data)
    assert len(result.history) == 1
