"""Shared fixtures: synthetic MNIST folders and a tiny trained, exported model."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic import write_mnist_folder  # tests/ is on sys.path (pytest's rootdir conftest)

from digitnet.config import TrainConfig

TINY_VALIDATION = 100


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """A folder with the four CSVs: 600 synthetic training rows (100 for validation), 200 test rows."""
    return write_mnist_folder(tmp_path_factory.mktemp("mnist"))


def tiny_config(tmp: Path, mnist: Path, **changes) -> TrainConfig:
    """A TrainConfig that trains in about a second on the synthetic folder."""
    settings = dict(
        hidden_units=(32, 16), epochs=3, batch_size=50, learning_rate=3e-3, dropout=0.1, patience=2,
        data_dir=str(mnist), export_dir=str(tmp / "SavedModel"), log_dir=str(tmp / "logs"),
        validation_size=TINY_VALIDATION, seed=7,
    )
    settings.update(changes)
    return TrainConfig(**settings)


def _train_and_export(tmp_path_factory, mnist_dir, **changes):
    from digitnet.data import load_mnist
    from digitnet.export import export_result
    from digitnet.training import run_training

    tmp = tmp_path_factory.mktemp("trained")
    config = tiny_config(tmp, mnist_dir, epochs=4, **changes)
    data = load_mnist(mnist_dir, TINY_VALIDATION)
    result = run_training(config, progress=False, data=data)
    return export_result(result, data), result, data


@pytest.fixture(scope="session")
def trained_export(tmp_path_factory, mnist_dir):
    """A tiny ten-digit MLP (no "not a digit" class), trained once per session and exported: it answers
    every image, which the CLI and notebook tests need. Returns (export_dir, TrainResult, data)."""
    return _train_and_export(tmp_path_factory, mnist_dir, negatives=0)


@pytest.fixture(scope="session")
def trained_export_with_not_digit(tmp_path_factory, mnist_dir):
    """A tiny MLP as the defaults train it: synthesised variants and the "not a digit" class."""
    return _train_and_export(tmp_path_factory, mnist_dir)
