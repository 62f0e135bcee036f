"""Child processes: the environment they get, the training workload, and the protocol of a worker.

The workload is one network, one data set and one set of hyper-parameters for all three frameworks. The
parent writes the training and test arrays once as .npy files; every worker loads them (about 0.1 s)
instead of parsing the CSVs, so CSV parsing never lands in anyone's timing. A worker is a module run as
``python -m benchmarks.<module> SPEC.json OUT.json``: `run_worker` starts one in a fresh process and
`worker_main` is the worker's side. Every worker imports this module, so it imports neither TensorFlow
nor PyTorch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import PROJECT_ROOT
from benchmarks.machine import blas_own_choice

ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")


def child_env() -> dict:
    """Environment for child processes: the checkout importable, TensorFlow's start-up chatter off, oneDNN on,
    and numpy's OpenBLAS on the kernels it picks for this processor (`benchmarks.machine.blas_own_choice`)."""
    env = blas_own_choice(dict(os.environ))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # Keras gets the kernels ours gets (see digitnet._tf)
    return env


def network_settings(hidden_units: tuple[int, ...], batch_size: int, learning_rate: float,
                     conv_filters: tuple[int, ...] = ()) -> dict:
    """The network and optimiser every framework gets: an MLP (or, with `conv_filters`, the default's kind of
    CNN: 5x5 'SAME' convolutions + ReLU + 2x2 max-pooling, then the dense layers), Adam, constant rate, no
    augmentation, float32.

    Adam's betas and epsilon are spelled out because the frameworks' defaults differ (Keras: epsilon 1e-7;
    tf.compat.v1's AdamOptimizer and PyTorch: 1e-8). The learning rate stays constant in all three, because
    only ours has schedules built in. No dropout: the three frameworks draw their masks differently.
    """
    return {"hidden_units": list(hidden_units), "conv_filters": list(conv_filters), "kernel_size": 5,
            "dropout": 0.0, "batch_size": batch_size, "learning_rate": learning_rate, "beta1": 0.9,
            "beta2": 0.999, "epsilon": 1e-8, "lr_decay": 1.0, "augment": "none", "dtype": "float32"}


def write_arrays(data, folder: Path) -> dict[str, str]:
    """Save the training split (validation rows excluded) and the test split as .npy; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": data.train.images, "train_labels": data.train.labels,
              "test_images": data.test.images, "test_labels": data.test.labels}
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", np.ascontiguousarray(array))
    return {name: str(folder / f"{name}.npy") for name in arrays}


def load_arrays(paths: dict[str, str]) -> dict[str, np.ndarray]:
    """The arrays written by `write_arrays`: uint8 images [n, 784] and int64 labels [n]."""
    return {name: np.load(paths[name]) for name in ARRAY_NAMES}


def scaled_float32(images: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1], as Keras and PyTorch users prepare their inputs before training."""
    return images.astype(np.float32) / np.float32(255.0)


def time_epochs(spec: dict, train_one_epoch) -> tuple[list[float], list[float]]:
    """Call `train_one_epoch()` for the spec's warm-up then timed epochs; (warm-up, timed) wall seconds."""
    seconds = []
    for _ in range(spec["warmup_epochs"] + spec["timed_epochs"]):
        started = time.perf_counter()
        train_one_epoch()
        seconds.append(time.perf_counter() - started)
    return seconds[: spec["warmup_epochs"]], seconds[spec["warmup_epochs"] :]


def throughput_result(framework: str, setup_seconds: float, warmup: list[float], timed: list[float], rows: int,
                      test_accuracy: float, **extra) -> dict:
    """What every training worker returns: epoch wall seconds, examples/s over the timed epochs, accuracy."""
    return {"framework": framework, "setup_seconds": setup_seconds, "warmup_seconds": warmup, "epoch_seconds": timed,
            "examples_per_epoch": rows, "examples_per_second": rows * len(timed) / sum(timed),
            "test_accuracy": float(test_accuracy), **extra}


def worker_main(measure) -> None:
    """Entry point of a worker module: read the spec file, call `measure(spec)`, write its dict."""
    spec_path, out_path = sys.argv[1], sys.argv[2]
    Path(out_path).write_text(json.dumps(measure(json.loads(Path(spec_path).read_text()))))


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
            completed = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True,
                                       timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"benchmarks.{module} ran past {timeout:.0f} s"}
        if completed.returncode != 0 or not out_path.exists():
            tail = " | ".join(completed.stderr.strip().splitlines()[-3:]) or f"exit status {completed.returncode}"
            return {"error": f"benchmarks.{module} failed: {tail}"}
        return json.loads(out_path.read_text())
