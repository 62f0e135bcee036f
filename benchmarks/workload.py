"""The training-throughput workload: one network, one data set, one set of hyper-parameters for all three.

The parent process writes the training and test arrays once as .npy files; every worker loads them
(about 0.1 s) instead of parsing the CSVs again, so CSV parsing never lands in anyone's timing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitnet.config import TrainConfig

ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")


def network_settings(config: TrainConfig | None = None) -> dict:
    """The network and optimiser every framework gets: TrainConfig()'s MLP, Adam, no decay, no augmentation.

    Adam's betas and epsilon are spelled out because the frameworks' defaults differ (Keras: epsilon 1e-7;
    tf.compat.v1's AdamOptimizer and PyTorch: 1e-8). The learning rate stays constant (lr_decay 1.0) in
    all three, because only ours has a per-epoch decay built in.
    """
    config = config or TrainConfig()
    return {
        "hidden_units": list(config.hidden_units),
        "dropout": config.dropout,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
        "lr_decay": 1.0,
        "augment": "none",
        "dtype": "float32",
    }


def write_arrays(data, folder: Path) -> dict[str, str]:
    """Save the training split (validation rows excluded) and the test split as .npy; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": data.train.images, "train_labels": data.train.labels,
        "test_images": data.test.images, "test_labels": data.test.labels,
    }
    paths = {}
    for name, array in arrays.items():
        path = folder / f"{name}.npy"
        np.save(path, np.ascontiguousarray(array))
        paths[name] = str(path)
    return paths


def load_arrays(paths: dict[str, str]) -> dict[str, np.ndarray]:
    """The arrays written by `write_arrays`: uint8 images [n, 784] and int64 labels [n]."""
    return {name: np.load(paths[name]) for name in ARRAY_NAMES}


def scaled_float32(images: np.ndarray) -> np.ndarray:
    """uint8 -> float32 in [0, 1], as Keras and PyTorch users prepare their inputs before training."""
    return images.astype(np.float32) / np.float32(255.0)
