"""The lines the touching-digit reader (`digitnet.line_reader`) learns from, composed of MNIST's own training digits.

A line is 1 to `MAX_TRAINING_DIGITS` digits side by side (`compose_line`), mostly overlapping their neighbours,
sometimes apart, each resized (often narrower) and shifted up or down; or one shape the training code draws
that is not a digit (`shape_line`, `digitnet.negatives.shapes`), which spells nothing. `training_batch` pads a
batch of them to one width with their CTC targets; `prefetched` makes batches ahead in a thread of their own.
"""

from __future__ import annotations

import contextlib
import queue
import threading

import numpy as np
from PIL import Image

LINE_HEIGHT = 28  # rows of a line image, as MNIST's canvas
DIGIT_HEIGHT = 20  # a digit's height in it, as MNIST's 20x20 box
MARGIN = 4  # blank rows above and below, blank columns before and after
FRAME_WIDTH = 4  # columns per output frame (two 2x2 poolings)
BLANK = 0  # CTC's "no digit here" class; digit d is class d + 1
MAX_TRAINING_DIGITS = 4  # longer runs are read as well: the network is convolutional along the line
# Each training digit's width, times its own at the line's height. Digits in a row are often written narrower
# than MNIST's: on a development draw's touching numbers a digit took 8.8 columns of a 20-pixel line, on lines
# composed at 0.85-1.15 12.7. On two development draws, 0.6-1.15 read 195 of their 600 touching numbers right
# instead of 173 (95 wrong instead of 94); on one of them 0.5-1.15 and 0.65-1.0 read about as well, and a slant
# of up to 0.3 on each line read fewer.
WIDTH_FACTOR = (0.6, 1.15)
SHAPE_POOL = 2000  # shapes that are not digits (`digitnet.negatives`) drawn once for the blank lines


def digit_crops(images: np.ndarray) -> list[np.ndarray]:
    """uint8 [n, 784] MNIST rows -> each digit cropped to its ink, float32 [h, w] in [0, 1]."""
    crops = []
    for image in images.reshape(-1, 28, 28):
        rows, columns = np.flatnonzero(image.max(axis=1) > 30), np.flatnonzero(image.max(axis=0) > 30)
        if len(rows) == 0:
            rows = columns = np.arange(28)
        crops.append(image[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1].astype(np.float32) / 255.0)
    return crops


def resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """float32 [h, w] -> float32 [height, width], bilinear (a digit, a shape or a line's writing)."""
    scaled = Image.fromarray(image, mode="F").resize((max(1, width), max(1, height)), Image.Resampling.BILINEAR)
    return np.asarray(scaled, dtype=np.float32)


def compose_line(crops: list[np.ndarray], labels: np.ndarray, rng: np.random.Generator,
                 count: int, touching: bool) -> tuple[np.ndarray, np.ndarray]:
    """`count` random MNIST digits side by side on one line.

    Each digit is 80-100% of the digit height (a flat one keeps MNIST's 20-pixel width), 60-115% of its own
    width (`WIDTH_FACTOR`: digits written side by side are often narrower than MNIST's), and sits on the
    baseline or centred on the line, a pixel or two off. Touching digits overlap their left neighbour by up
    to 6 pixels (a third of a digit, at most half of the narrower one) or just meet; others stand 1-7 pixels
    apart.

    Returns:
        (line float32 [LINE_HEIGHT, w] in [0, 1], its digits int64 [count]).
    """
    chosen = rng.integers(len(crops), size=count)
    line = np.zeros((LINE_HEIGHT, MARGIN + count * 40 + 2 * MARGIN), np.float32)
    right, previous_width = MARGIN, 0
    for position, index in enumerate(chosen):
        crop = crops[index]
        height = round(DIGIT_HEIGHT * rng.uniform(0.8, 1.0))
        if crop.shape[0] < 0.6 * crop.shape[1]:
            height = max(4, round(crop.shape[0] * DIGIT_HEIGHT / 20))
        width = max(2, round(crop.shape[1] * height / crop.shape[0] * rng.uniform(*WIDTH_FACTOR)))
        digit = resized(crop, height, width)
        on_baseline = MARGIN + DIGIT_HEIGHT - height + int(rng.integers(-2, 3))
        centred = MARGIN + (DIGIT_HEIGHT - height) // 2 + int(rng.integers(-1, 2))
        top = int(np.clip(on_baseline if rng.random() < 0.5 else centred, 0, LINE_HEIGHT - height))
        gap = int(rng.integers(-6, 2)) if touching else int(rng.integers(1, 8))
        # at most half of the narrower digit is covered: narrow 1s overlapping by 6 pixels would hide each
        # other (nothing left to spell) and walk off the line's left end
        gap = max(gap, -(min(width, previous_width) // 2))
        left = right + gap if position else right
        line[top : top + height, left : left + width] = np.maximum(line[top : top + height, left : left + width], digit)
        right, previous_width = left + width, width
    return line[:, : right + MARGIN + int(rng.integers(0, 3))], labels[chosen]


def shape_line(shape: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A line holding one shape that is not a digit (a crop, see `digit_crops`) and no digits."""
    height = round(DIGIT_HEIGHT * rng.uniform(0.8, 1.0))
    width = max(2, round(shape.shape[1] * height / shape.shape[0] * rng.uniform(0.85, 1.15)))
    line = np.zeros((LINE_HEIGHT, width + 2 * MARGIN), np.float32)
    top = MARGIN + (DIGIT_HEIGHT - height) // 2
    line[top : top + height, MARGIN : MARGIN + width] = resized(shape, height, width)
    return line, np.zeros(0, np.int64)


def training_batch(crops: list[np.ndarray], labels: np.ndarray, rng: np.random.Generator,
                   shapes: list[np.ndarray] = (), size: int = 64, touching_share: float = 0.8,
                   shape_share: float = 0.1) -> dict[str, np.ndarray]:
    """A batch of composed lines, padded to one width (a multiple of FRAME_WIDTH); `shape_share` of them
    (when `shapes`, crops of things that are not digits, are given) hold one shape and nothing to spell.

    Returns a dict: lines float32 [size, 28, w, 1]; frames int32 [size] (each line's own frame count);
    digits int32 [size, MAX_TRAINING_DIGITS] (CTC classes, padded with BLANK); digit_counts int32 [size].
    """
    made = [shape_line(shapes[int(rng.integers(len(shapes)))], rng) if len(shapes) and rng.random() < shape_share
            else compose_line(crops, labels, rng, int(rng.integers(1, MAX_TRAINING_DIGITS + 1)),
                              bool(rng.random() < touching_share)) for _ in range(size)]
    width = -(-max(line.shape[1] for line, _ in made) // FRAME_WIDTH) * FRAME_WIDTH
    lines = np.zeros((size, LINE_HEIGHT, width, 1), np.float32)
    digits = np.full((size, MAX_TRAINING_DIGITS), BLANK, np.int32)
    for row, (line, line_digits) in enumerate(made):
        lines[row, :, : line.shape[1], 0] = line
        digits[row, : len(line_digits)] = line_digits + 1
    return {"lines": lines, "frames": np.array([-(-line.shape[1] // FRAME_WIDTH) for line, _ in made], np.int32),
            "digits": digits, "digit_counts": np.array([len(d) for _, d in made], np.int32)}


def prefetched(make, count: int, depth: int = 2):
    """Yield `make()` `count` times, in order, each made in a thread of its own up to `depth` ahead, so that
    composing the next batch of lines (Python and numpy) overlaps the TensorFlow step on this one. One thread
    makes them all, so the batches, and the weights trained on them, are those of making them one after
    another. An error in `make` is raised here; closing the generator early stops the thread."""
    # On a 2-core machine a reader's step took 82 ms instead of 106 ms, and 1,300 of them 132 s instead of 147 s.
    made: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def fill() -> None:
        try:
            for _ in range(count):
                if stop.is_set():
                    return
                made.put((make(), None))
        except Exception as error:  # noqa: BLE001 - handed to the consumer, which raises it
            made.put((None, error))

    thread = threading.Thread(target=fill, name="line batches", daemon=True)
    thread.start()
    try:
        for _ in range(count):
            batch, error = made.get()
            if error is not None:
                raise error
            yield batch
    finally:
        stop.set()
        while thread.is_alive():  # make room for a batch it is waiting to put, so it sees `stop` and ends
            with contextlib.suppress(queue.Empty):
                made.get(timeout=0.05)
