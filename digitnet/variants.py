"""Handwriting that MNIST lacks, drawn onto MNIST's own training digits: the training code's synthesis.

MNIST was written by American census staff and students: its 1s are single strokes and its 7s have no
crossbar. Much of the world writes a 1 with a flag (often with a base too) and crosses its 7s, and a model
that never saw them reads a flagged 1 as a 7 and a crossed 7 as a 4 or a 2. `handwriting_variants` draws
those strokes onto copies of training 1s and 7s, with the pen width of the digit itself, and normalises
the result the way MNIST normalised its digits (fitted into 20x20, centred by mass), so the training set
gains the variants without any other writer's handwriting.

Every image is uint8 [784], white on black, as in the CSVs. All randomness comes from the Generator.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitnet.data import IMAGE_PIXELS, IMAGE_SIZE, Split
from digitnet.images.fit import mnist_uint8
from digitnet.images.ink import crop_box

_SCALE = 4  # strokes are drawn on a 4x canvas and shrunk with area averaging (anti-aliased, like MNIST)
_PAD = 8  # room around the 28x28 digit for a flag or a base that reaches beyond it
_INK = 80  # uint8 level above which an MNIST pixel counts as ink when finding the strokes
_BICUBIC_REACH = 3  # source pixels: a bicubic enlargement reads 2 pixels each side, and one more to spare

FLAG_FRACTION = 0.35  # of the training 1s, copies with a flag are added ...
BASE_FRACTION = 0.45  # ... and of those, this many also get a base
CROSS_FRACTION = 0.35  # of the training 7s, copies with a crossbar are added


def _canvas(digit: np.ndarray) -> np.ndarray:
    """uint8 [784] -> float32 [(28 + 2 pad) * 4]^2 in [0, 255]: the digit enlarged, with room around it."""
    padded = np.pad(digit.reshape(IMAGE_SIZE, IMAGE_SIZE), _PAD).astype(np.float32)
    side = padded.shape[0] * _SCALE
    canvas = np.zeros((side, side), np.float32)
    if not padded.any():
        return canvas
    # Only the ink's box (and _BICUBIC_REACH pixels around it) is enlarged: a bicubic pixel further from all
    # ink is exactly 0, and inside the box the filter reads the same pixels with the same weights, so the
    # canvas is the whole picture's enlargement to the bit (tests/test_variants.py), in less time.
    top, bottom, left, right = crop_box(padded > 0)
    top, left = top - _BICUBIC_REACH, left - _BICUBIC_REACH
    bottom, right = bottom + _BICUBIC_REACH, right + _BICUBIC_REACH
    part = Image.fromarray(padded, "F").resize(((right - left) * _SCALE, (bottom - top) * _SCALE),
                                               Image.Resampling.BICUBIC, box=(left, top, right, bottom))
    canvas[top * _SCALE : bottom * _SCALE, left * _SCALE : right * _SCALE] = np.asarray(part)
    return canvas


def _pen_width(ink: np.ndarray) -> float:
    """The digit's stroke width in 28x28 pixels: ink area over the length of its strokes (about its height)."""
    rows = np.flatnonzero(ink.any(axis=1))
    return float(np.clip(ink.sum() / max(len(rows), 1), 1.6, 3.6))


def _draw(canvas: np.ndarray, lines: list[tuple[tuple[float, float], tuple[float, float]]], width: float,
          level: float) -> np.ndarray:
    """Draw round-capped straight strokes (28x28 coordinates) onto the enlarged canvas; max with the digit."""
    layer = Image.new("F", (canvas.shape[1], canvas.shape[0]), 0.0)
    pen = ImageDraw.Draw(layer)
    radius = width * _SCALE / 2
    for start, end in lines:
        points = [((x + _PAD) * _SCALE, (y + _PAD) * _SCALE) for x, y in (start, end)]
        pen.line(points, fill=level, width=max(1, round(width * _SCALE)))
        for x, y in points:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=level)
    return np.maximum(canvas, np.asarray(layer))


def _centre_line(ink: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(rows with ink, column of the stroke at the top row, at the bottom row): a line fitted to the
    middle of each row's ink, so a slanted 1 gets its flag and base at its real ends."""
    counts = ink.sum(axis=1)
    rows = np.flatnonzero(counts)
    middles = (ink[rows] @ np.arange(ink.shape[1], dtype=np.float64)) / counts[rows]
    slope, intercept = np.polyfit(rows, middles, 1) if len(rows) > 1 else (0.0, float(middles[0]))
    return rows, slope * rows[0] + intercept, slope * rows[-1] + intercept


def flag_one(digit: np.ndarray, rng: np.random.Generator, base: bool) -> np.ndarray:
    """A 1 with a flag from its top down to the left (and a base across its foot when `base`).

    Args:
        digit: uint8 [784], an MNIST 1.
    Returns:
        uint8 [784], renormalised.
    """
    ink = digit.reshape(IMAGE_SIZE, IMAGE_SIZE) > _INK
    rows, top_x, bottom_x = _centre_line(ink)
    top, bottom = float(rows[0]), float(rows[-1])
    height = bottom - top + 1
    angle = np.radians(rng.uniform(25, 60))  # below the horizontal: steeper than a 7's bar
    length = rng.uniform(0.25, 0.45) * height
    start = (top_x + rng.uniform(-0.3, 0.5), top + rng.uniform(0.0, 0.8))
    lines = [(start, (start[0] - length * np.cos(angle), start[1] + length * np.sin(angle)))]
    if base:
        tilt = np.radians(rng.uniform(-4, 4))
        left, right = rng.uniform(0.18, 0.35) * height, rng.uniform(0.18, 0.35) * height
        y = bottom + rng.uniform(-0.5, 0.5)
        lines.append(((bottom_x - left, y - left * np.tan(tilt)), (bottom_x + right, y + right * np.tan(tilt))))
    level = float(np.percentile(digit[digit > _INK], 75)) if (digit > _INK).any() else 255.0
    return mnist_uint8(_draw(_canvas(digit), lines, _pen_width(ink) * rng.uniform(0.8, 1.05), level))


def cross_seven(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 7 with a short bar across its stem, a little below the middle; None if no stem is found there.

    Args:
        digit: uint8 [784], an MNIST 7.
    Returns:
        uint8 [784], renormalised, or None.
    """
    ink = digit.reshape(IMAGE_SIZE, IMAGE_SIZE) > _INK
    rows = np.flatnonzero(ink.any(axis=1))
    top, bottom = rows[0], rows[-1]
    height = bottom - top + 1
    row = int(round(top + rng.uniform(0.45, 0.62) * (bottom - top)))
    columns = np.flatnonzero(ink[row])
    if columns.size == 0 or np.ptp(columns) > 0.5 * height:  # no stem there, or the row cuts something else
        return None
    stem = float(columns.mean())
    tilt = np.radians(rng.uniform(-6, 6))
    left, right = rng.uniform(0.15, 0.3) * height, rng.uniform(0.15, 0.3) * height
    y = row + rng.uniform(-0.5, 0.5)
    lines = [((stem - left, y + left * np.tan(tilt)), (stem + right, y - right * np.tan(tilt)))]
    level = float(np.percentile(digit[digit > _INK], 75))
    return mnist_uint8(_draw(_canvas(digit), lines, _pen_width(ink) * rng.uniform(0.8, 1.05), level))


def handwriting_variants(train: Split, rng: np.random.Generator) -> Split:
    """Extra training rows: flagged (and based) copies of some 1s and crossed copies of some 7s.

    Args:
        train: the training split, uint8 [n, 784] and int64 [n].
    Returns:
        A Split of the new rows only (labels 1 and 7), to be added to the training rows.
    """
    images, labels = [], []
    ones = np.flatnonzero(train.labels == 1)
    for index in rng.choice(ones, size=int(FLAG_FRACTION * len(ones)), replace=False):
        images.append(flag_one(train.images[index], rng, base=rng.random() < BASE_FRACTION))
        labels.append(1)
    sevens = np.flatnonzero(train.labels == 7)
    for index in rng.choice(sevens, size=int(CROSS_FRACTION * len(sevens)), replace=False):
        crossed = cross_seven(train.images[index], rng)
        if crossed is not None:
            images.append(crossed)
            labels.append(7)
    if not images:
        return Split(np.zeros((0, IMAGE_PIXELS), np.uint8), np.zeros(0, np.int64))
    return Split(np.stack(images), np.asarray(labels, dtype=np.int64))
