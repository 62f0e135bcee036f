"""Shared fixtures: synthetic MNIST folders and a tiny trained, exported model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from synthetic import write_mnist_folder  # tests/ is on sys.path (pytest's rootdir conftest)

from digitnet.config import TrainConfig

TINY_VALIDATION = 100

# Property-based tests: a budget that keeps the suite fast; HYPOTHESIS_PROFILE=thorough runs twenty times more.
# No example database: it would be written into the working tree (.hypothesis/).
settings.register_profile("digitnet", max_examples=100, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", settings.get_profile("digitnet"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "digitnet"))


@pytest.fixture(scope="session", autouse=True)
def private_csv_cache(tmp_path_factory):
    """The CSV cache of this test session (and of the CLIs and notebooks it starts), not the user's."""
    previous = os.environ.get("DIGITNET_CACHE_DIR")
    os.environ["DIGITNET_CACHE_DIR"] = str(tmp_path_factory.mktemp("csv-cache"))
    yield Path(os.environ["DIGITNET_CACHE_DIR"])
    if previous is None:
        os.environ.pop("DIGITNET_CACHE_DIR", None)
    else:
        os.environ["DIGITNET_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """A folder with the four CSVs: 600 synthetic training rows (100 for validation), 200 test rows."""
    return write_mnist_folder(tmp_path_factory.mktemp("mnist"))


def tiny_config(tmp: Path, mnist: Path, **changes) -> TrainConfig:
    """A TrainConfig that trains in about a second on the synthetic folder (a small MLP on the old decaying
    schedule, which early stopping can end)."""
    settings = dict(
        architecture="mlp", hidden_units=(32, 16), epochs=3, batch_size=50, learning_rate=3e-3, dropout=0.1,
        patience=2, lr_schedule="decay",
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


# The files that take longest, slowest first (test time on a 2-core machine, measured with --durations:
# together about 140 of the suite's 175 s). `make test` runs the suite on two workers
# that take one file at a time in collection order (-n 2 --dist loadfile --no-loadscope-reorder); started
# first, the long files run side by side, and the many short ones fill in around them instead of one long
# file starting last and running alone.
SLOWEST_FILES = ("test_readme.py", "test_benchmarks.py", "test_notebooks.py", "test_faults.py", "test_cli.py")


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOWEST_FILES)))  # stable: each file keeps its order
