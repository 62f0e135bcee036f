"""Read MNIST in the seed's CSV format, fast, and refuse malformed files with a precise message.

The seed format is four files in one folder:

- ``digit_xtrain.csv``: 60000 rows x 784 pixel columns, integers 0-255, no header
- ``digit_ytrain.csv``: 60000 labels 0-9, one a line
- ``digit_xtest.csv`` / ``digit_ytest.csv``: the same for the 10000 test images

Users' own files are accepted when they are unambiguous: a UTF-8 byte-order mark (Excel's "CSV UTF-8") is
skipped, a header row (recognised because every cell of the first line is non-numeric) is skipped, and an
image file with 785 columns is accepted when its header names the first column ``label``. Anything else that
is off is refused with one line naming the file, the line and the column, and saying what the file seems to
be (gzip, UTF-16, tab-separated, pixels scaled to 0-1, a label file where images were expected...).

A file is read once into memory; its SHA-256 is taken from those bytes (the export records it, and the
binary cache in `csv_cache` is keyed by it), and on a cache miss the same bytes are parsed (`csv_table`).
Memory stays below about three times the file's size; a malformed file is refused after reading at most
its first megabyte when its start gives it away (a binary file, rows joined onto one line, the wrong
column count), else after one more pass over it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitnet import csv_cache
from digitnet.csv_table import HEAD_BYTES, Layout, inspect_head, parse_table
from digitnet.errors import DigitnetError, DigitnetWarning, unreadable, where

IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NUM_CLASSES = 10
PIXEL_MAX = 255.0  # pixels are divided by this, in training (graph.scale_pixels_in_graph) and prediction
VALIDATION_SIZE = 10000  # the first 10000 training rows, by convention

FILE_NAMES = {
    "train_images": "digit_xtrain.csv",
    "train_labels": "digit_ytrain.csv",
    "test_images": "digit_xtest.csv",
    "test_labels": "digit_ytest.csv",
}


@dataclass(frozen=True)
class Split:
    """Images and labels of one split.

    Attributes:
        images: uint8 array, shape [n, 784], pixel values 0-255 (row-major 28x28).
        labels: int64 array, shape [n], values 0-9.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, rows: int) -> Split:
        """The first `rows` images and labels (views, no copy)."""
        return self if rows >= len(self) else Split(self.images[:rows], self.labels[:rows])

    def scaled(self) -> np.ndarray:
        """The images as float32 [n, 784] in [0, 1] (divided by 255, as at prediction time)."""
        return scale_pixels(self.images)


@dataclass(frozen=True)
class MnistData:
    """The three splits used for training, plus where they came from."""

    train: Split
    validation: Split
    test: Split
    files: tuple[Path, ...]

    def checksums(self) -> dict[str, str]:
        """File name -> SHA-256 of the CSVs this data came from (recorded beside each export), as read."""
        return {path.name: _DIGESTS.get(os.path.abspath(path)) or file_sha256(path) for path in self.files}


def scale_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 [n, 784] -> float32 [n, 784] in [0, 1]. Training and prediction both divide by 255."""
    return np.asarray(images, dtype=np.float32) / np.float32(PIXEL_MAX)


# ---------------------------------------------------------------------------------------------------
# Reading one file

LABEL_NAMES = ("label", "labels", "digit", "class")  # a first header cell that marks a 785-column file's labels
_DIGESTS: dict[str, str] = {}  # absolute path -> SHA-256 of the bytes this process last read there


def _read_file(path: Path, expected: str) -> tuple[bytearray, Layout]:
    """The file's bytes (a regular file's in one buffer of its size) and layout. The first `HEAD_BYTES` are
    inspected before the rest is read, so a file whose start gives it away is refused without reading it all
    (so is an endless device such as /dev/zero or /dev/urandom)."""
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if stat.S_ISDIR(status.st_mode):
                raise DigitnetError(f"{path}: is a folder, expected a CSV file")
            head = handle.read(HEAD_BYTES)
            layout = inspect_head(path, head, len(head) < HEAD_BYTES, expected)
            # A regular file is read into one buffer of its size (no copies); a pipe in blocks, as they come.
            data = bytearray(max(len(head), status.st_size if stat.S_ISREG(status.st_mode) else 0))
            data[: len(head)] = head
            filled = len(head)
            with memoryview(data) as view:
                while filled < len(data) and (count := handle.readinto(view[filled:])):
                    filled += count
            del data[filled:]  # the file shrank while being read
            while block := handle.read(16 << 20):  # or grew
                data += block
    except DigitnetError:
        raise
    except OSError as error:
        raise unreadable(path, error, "a CSV file") from None
    return data, layout


def _load(path: str | os.PathLike, kind: str, use_cache: bool) -> dict[str, np.ndarray]:
    """Read, hash and (unless cached under this content and `kind`) parse a CSV as `kind` ("images"/"labels")."""
    path = Path(path)
    data, layout = _read_file(path, _EXPECTED[kind])
    digest = hashlib.sha256(data).hexdigest()
    _DIGESTS[os.path.abspath(path)] = digest
    arrays = csv_cache.load(digest, kind) if use_cache else None
    if arrays is None:
        arrays = _PARSERS[kind](path, data, layout)
        if use_cache:
            csv_cache.store(digest, kind, arrays, source_bytes=len(data))
    return arrays


def _parse_images(path: Path, data: bytearray, layout: Layout) -> dict[str, np.ndarray]:
    """images uint8 [n, 784] and labels int64 [n] (empty [0] when the file has no label column)."""
    header, columns, data_line = layout.header, layout.columns, layout.first_line
    if header and len(header) != columns:
        raise DigitnetError(f"{where(path, 1)}: header has {len(header)} names for {columns} columns")
    if columns == IMAGE_PIXELS + 1:
        if not header or header[0].lower() not in LABEL_NAMES:
            raise DigitnetError(
                f"{path}: 785 columns and no 'label' header: cannot tell whether the first column is a "
                "label; add a header row starting with 'label' or remove that column"
            )
    elif columns == 1:
        raise DigitnetError(f"{where(path, data_line)}: 1 value a line where an image file has {IMAGE_PIXELS} "
                            "pixels: is this a label file?")
    elif columns != IMAGE_PIXELS:
        raise DigitnetError(f"{where(path, data_line)}: {columns} columns, expected {IMAGE_PIXELS} pixels")
    values = parse_table(path, data, layout, high=255, what="pixel")
    if columns == IMAGE_PIXELS:
        return {"images": values, "labels": np.zeros(0, np.int64)}
    labels = values[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DigitnetError(f"{where(path, data_line + int(bad[0]), 1)}: label {labels[bad[0]]} is outside 0-9")
    return {"images": np.ascontiguousarray(values[:, 1:]), "labels": labels}


def _parse_labels(path: Path, data: bytearray, layout: Layout) -> dict[str, np.ndarray]:
    """labels int64 [n]."""
    if layout.columns != 1:
        hint = ": is this an image file?" if layout.columns in (IMAGE_PIXELS, IMAGE_PIXELS + 1) else ""
        raise DigitnetError(f"{where(path, layout.first_line)}: {layout.columns} columns, expected one label a "
                            f"line{hint}")
    return {"labels": parse_table(path, data, layout, high=9, what="label")[:, 0].astype(np.int64)}


_EXPECTED = {"images": f"{IMAGE_PIXELS} pixel values a line", "labels": "one label a line"}
_PARSERS = {"images": _parse_images, "labels": _parse_labels}


def read_images(path: str | os.PathLike, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Read an image CSV (from the binary cache when these exact bytes were parsed before).

    Warns (`DigitnetWarning`) when every pixel is 0 or 1: such images were binarised or scaled to 0-1, and a
    model trained on 0-255 sees them as black.

    Returns:
        images: uint8 [n, 784].
        labels: int64 [n] when the file carries a first column named ``label``, else None.

    Raises:
        DigitnetError: one line naming the file (and line/column) for any malformed input.
    """
    arrays = _load(path, "images", use_cache)
    images, labels = arrays["images"], arrays["labels"]
    if images.size and images.max() == 1:  # all zeros is blank images, not a scaling mistake
        warnings.warn(f"{path}: every pixel is 0 or 1, but pixels should be 0-255: were the images binarised or "
                      "scaled to 0-1? Multiply them by 255", DigitnetWarning, stacklevel=2)
    return images, (labels if labels.size else None)


def read_labels(path: str | os.PathLike, use_cache: bool = True) -> np.ndarray:
    """Read a label CSV (one digit 0-9 a line, optional header). Returns int64 [n]."""
    return _load(path, "labels", use_cache)["labels"]


def read_split(images_path: str | os.PathLike, labels_path: str | os.PathLike | None,
               use_cache: bool = True) -> Split:
    """Read an image CSV and its label CSV and check that they pair up row for row.

    `labels_path` may be None when the image file carries its own ``label`` column. `use_cache=False`
    parses the CSVs even when a current binary copy exists (and writes none).
    """
    images, embedded = read_images(images_path, use_cache)
    if labels_path is None:
        if embedded is None:
            raise DigitnetError(f"{images_path}: no label column and no label file given")
        return Split(images, embedded)
    labels = read_labels(labels_path, use_cache)
    if len(labels) != len(images):
        raise DigitnetError(
            f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path} (row counts differ)"
        )
    if embedded is not None and not np.array_equal(embedded, labels):
        row = int(np.flatnonzero(embedded != labels)[0])
        raise DigitnetError(f"{where(labels_path, row + 1)}: label disagrees with the label column of {images_path}")
    return Split(images, labels)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file as it is now."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        raise unreadable(path, error, "a CSV file") from None


def load_mnist(data_dir: str | os.PathLike = "MNIST", validation_size: int = VALIDATION_SIZE,
               use_cache: bool = True) -> MnistData:
    """Load the four CSVs and split off the validation rows.

    Args:
        data_dir: folder holding the four seed-format CSVs.
        validation_size: how many of the first training rows become the validation split (0 for none).
        use_cache: reuse the binary copy of a CSV whose exact bytes were parsed before (`csv_cache`).

    Returns:
        MnistData with uint8 images [n, 784] and int64 labels [n] per split.
    """
    data_dir = Path(data_dir)
    paths = {key: data_dir / name for key, name in FILE_NAMES.items()}
    try:
        missing = [str(p) for p in paths.values() if not p.exists()]
    except OSError as error:
        raise DigitnetError(f"{data_dir}: cannot look into the folder ({error.strerror or error})") from None
    if missing:
        raise DigitnetError(
            f"{missing[0]}: file not found; run `python -m digitnet data --dir {data_dir}` (or `make data`) "
            "to build the MNIST CSVs"
        )
    train = read_split(paths["train_images"], paths["train_labels"], use_cache)
    test = read_split(paths["test_images"], paths["test_labels"], use_cache)
    if not 0 <= validation_size < len(train):
        raise DigitnetError(
            f"{paths['train_images']}: {len(train)} training rows, too few for a validation split of "
            f"{validation_size}"
        )
    validation = Split(train.images[:validation_size], train.labels[:validation_size])
    train = Split(train.images[validation_size:], train.labels[validation_size:])
    return MnistData(train=train, validation=validation, test=test, files=tuple(paths.values()))
