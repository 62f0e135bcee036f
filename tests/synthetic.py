"""Small synthetic stand-ins for MNIST, so tests never need the real data (CI has none).

Each class is a bright bar in a class-specific place and direction, plus noise and a 1-pixel jitter:
easy enough that a tiny network learns it in a few steps, varied enough that accuracy is not trivial.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from digitnet.data import FILE_NAMES


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return images uint8 [count, 784] and labels int64 [count] (labels cycle 0-9, then shuffled)."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10).astype(np.int64)
    images = rng.integers(0, 40, size=(count, 28, 28)).astype(np.int16)
    for index, label in enumerate(labels):
        jitter = rng.integers(-1, 2)
        position = 4 + 2 * int(label) + jitter
        if label % 2:
            images[index, 4:24, position : position + 2] = 255
        else:
            images[index, position : position + 2, 4:24] = 255
    return images.reshape(count, 784).clip(0, 255).astype(np.uint8), labels


def write_mnist_folder(folder: Path, train_rows: int = 600, test_rows: int = 200, seed: int = 0) -> Path:
    """Write the four seed-format CSVs (no header) with synthetic digits into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = synthetic_digits(train_rows, seed)
    test_images, test_labels = synthetic_digits(test_rows, seed + 1)
    arrays = {
        "train_images": train_images, "train_labels": train_labels,
        "test_images": test_images, "test_labels": test_labels,
    }
    for key, name in FILE_NAMES.items():
        pd.DataFrame(arrays[key].reshape(len(arrays[key]), -1)).to_csv(folder / name, header=False, index=False)
    return folder
