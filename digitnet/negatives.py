"""Things that are not one digit, synthesised by the training code for the network's 11th class.

A classifier that has only ever seen digits must call everything a digit: random noise came out as a
"0" at 88%, a star or a scribble at 80-99%. Training an extra "not a digit" class on generated negatives
(outlier exposure) teaches it what is outside the ten classes. The negatives here are procedural, with
no one's handwriting and no fonts: random scribbles and zig-zags, straight strokes crossing each other,
polygons and stars, blobs and smudges, speckles and hatching, and two or three MNIST *training* digits
squeezed together (touching neighbours of a written number, which the segmentation cannot pull apart).
Each is normalised like an MNIST digit (fitted into 20x20, centred by mass).

Every image is uint8 [784], white on black. All randomness comes from the Generator.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitnet.data import IMAGE_PIXELS, IMAGE_SIZE, Split
from digitnet.images.fit import center_by_mass, fit_into_box

NOT_A_DIGIT = 10  # the label of the extra class
_SIDE = 96  # shapes are drawn on a 96x96 canvas, then fitted into 20x20 like a digit
KINDS = ("scribble", "zigzag", "crossing", "polygon", "star", "blob", "speckles", "hatching", "touching")
NEGATIVE_FRACTION = 0.1  # negatives added per training row


def _normalised(canvas: np.ndarray) -> np.ndarray:
    """float [h, w] >= 0 -> uint8 [784]: fitted into 20x20, centred by mass, peak 255 (zeros if empty)."""
    if not canvas.any():
        return np.zeros(IMAGE_PIXELS, np.uint8)
    centred = center_by_mass(fit_into_box(canvas.astype(np.float32)))
    return np.round(centred / float(centred.max()) * 255.0).astype(np.uint8).reshape(IMAGE_PIXELS)


def _pen(rng: np.random.Generator) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    layer = Image.new("L", (_SIDE, _SIDE), 0)
    return layer, ImageDraw.Draw(layer), int(rng.integers(5, 12))


def _points(rng: np.random.Generator, count: int) -> list[tuple[float, float]]:
    return [tuple(p) for p in rng.uniform(0.1 * _SIDE, 0.9 * _SIDE, size=(count, 2))]


def _smooth_path(points: list[tuple[float, float]], steps: int = 12) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points (a hand's smooth scribble rather than a polygon)."""
    p = np.asarray([points[0], *points, points[-1]], dtype=np.float64)
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    path = []
    for i in range(1, len(p) - 2):
        a, b, c, d = p[i - 1], p[i], p[i + 1], p[i + 2]
        path.extend(0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t**2 + (3 * b - a - 3 * c + d) * t**3))
    path.append(p[-2])
    return [tuple(q) for q in path]


def scribble(rng: np.random.Generator) -> np.ndarray:
    """A smooth random curve with many turns (through 8 to 13 points), crossing itself."""
    layer, pen, width = _pen(rng)
    pen.line(_smooth_path(_points(rng, int(rng.integers(8, 14)))), fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)


def zigzag(rng: np.random.Generator) -> np.ndarray:
    """A zig-zag or a meander: 5 to 9 straight strokes joined at sharp turns."""
    layer, pen, width = _pen(rng)
    count = int(rng.integers(6, 10))
    xs = np.linspace(0.1, 0.9, count) * _SIDE + rng.uniform(-4, 4, count)
    ys = np.where(np.arange(count) % 2, 0.15, 0.85) * _SIDE + rng.uniform(-10, 10, count)
    points = list(zip(xs, ys, strict=True)) if rng.random() < 0.5 else list(zip(ys, xs, strict=True))
    pen.line(points, fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)


def crossing(rng: np.random.Generator) -> np.ndarray:
    """Three to five long straight strokes crossing each other (x, #, asterisks and the like)."""
    layer, pen, width = _pen(rng)
    for _ in range(int(rng.integers(3, 6))):
        angle = rng.uniform(0, np.pi)
        centre = rng.uniform(0.3 * _SIDE, 0.7 * _SIDE, 2)
        half = rng.uniform(0.3, 0.45) * _SIDE * np.array([np.cos(angle), np.sin(angle)])
        pen.line([tuple(centre - half), tuple(centre + half)], fill=255, width=width)
    return np.asarray(layer, np.float32)


def polygon(rng: np.random.Generator) -> np.ndarray:
    """A triangle, square, pentagon or hexagon, outlined (sometimes filled), a little irregular."""
    layer, pen, width = _pen(rng)
    corners = int(rng.choice([3, 4, 5, 6]))
    angles = np.linspace(0, 2 * np.pi, corners, endpoint=False) + rng.uniform(0, np.pi)
    radius = 0.4 * _SIDE * rng.uniform(0.85, 1.15, corners)
    points = [(0.5 * _SIDE + r * np.cos(a), 0.5 * _SIDE + r * np.sin(a)) for r, a in zip(radius, angles, strict=True)]
    if rng.random() < 0.25:
        pen.polygon(points, fill=255)
    else:
        pen.line(points + points[:1], fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)


def star(rng: np.random.Generator) -> np.ndarray:
    """A star of 5 to 8 points, outlined or as crossing strokes."""
    layer, pen, width = _pen(rng)
    tips = int(rng.integers(5, 9))
    angles = np.linspace(0, 2 * np.pi, 2 * tips, endpoint=False) + rng.uniform(0, np.pi)
    radii = np.where(np.arange(2 * tips) % 2, rng.uniform(0.15, 0.25), 0.45) * _SIDE
    points = [(0.5 * _SIDE + r * np.cos(a), 0.5 * _SIDE + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)]
    pen.line(points + points[:1], fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)


def blob(rng: np.random.Generator) -> np.ndarray:
    """A smudge: one to three soft, filled, irregular blobs."""
    y, x = np.mgrid[0:_SIDE, 0:_SIDE] / _SIDE
    field = np.zeros((_SIDE, _SIDE), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(0.3, 0.7, 2)
        sy = rng.uniform(0.08, 0.25)
        sx = sy * rng.uniform(0.6, 1.6)  # roundish: a long thin smear would be a 1
        field += np.exp(-0.5 * (((y - cy) / sy) ** 2 + ((x - cx) / sx) ** 2)).astype(np.float32)
    return np.clip(field * rng.uniform(1.0, 2.5), 0, 1) * 255.0


def speckles(rng: np.random.Generator) -> np.ndarray:
    """Scattered dots of different sizes: sensor noise or dust that was mistaken for ink."""
    layer, pen, _ = _pen(rng)
    for _ in range(int(rng.integers(8, 40))):
        x, y = rng.uniform(0, _SIDE, 2)
        r = rng.uniform(1.5, 5)
        pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(layer, np.float32)


def hatching(rng: np.random.Generator) -> np.ndarray:
    """A texture of parallel strokes, one or two directions, filling the box."""
    layer, pen, width = _pen(rng)
    for angle in rng.uniform(0, np.pi, int(rng.integers(1, 3))):
        direction = np.array([np.cos(angle), np.sin(angle)])
        normal = np.array([-direction[1], direction[0]])
        for offset in np.arange(-_SIDE, _SIDE, rng.uniform(10, 18)):
            centre = 0.5 * _SIDE + offset * normal
            pen.line([tuple(centre - _SIDE * direction), tuple(centre + _SIDE * direction)], fill=255,
                     width=max(2, width // 2))
    return np.asarray(layer, np.float32)


def touching(rng: np.random.Generator, digits: Split) -> np.ndarray:
    """Two or three MNIST training digits side by side, overlapping by up to a few pixels."""
    count = 2 if rng.random() < 0.75 else 3
    chosen = digits.images[rng.integers(len(digits), size=count)].reshape(count, IMAGE_SIZE, IMAGE_SIZE)
    overlap = int(rng.integers(-1, 6))
    width = IMAGE_SIZE * count - overlap * (count - 1)
    canvas = np.zeros((IMAGE_SIZE, width), np.float32)
    for index, digit in enumerate(chosen):
        left = index * (IMAGE_SIZE - overlap)
        canvas[:, left : left + IMAGE_SIZE] = np.maximum(canvas[:, left : left + IMAGE_SIZE], digit)
    return canvas


def not_digits(count: int, digits: Split, rng: np.random.Generator) -> Split:
    """`count` negatives, the kinds in equal shares, labelled NOT_A_DIGIT.

    Args:
        digits: training digits for the `touching` kind (uint8 [n, 784]).
    Returns:
        Split of uint8 [count, 784] images and int64 labels, all NOT_A_DIGIT.
    """
    drawers = {"scribble": scribble, "zigzag": zigzag, "crossing": crossing, "polygon": polygon, "star": star,
               "blob": blob, "speckles": speckles, "hatching": hatching,
               "touching": lambda generator: touching(generator, digits)}
    images = np.stack([_normalised(drawers[KINDS[i % len(KINDS)]](rng)) for i in range(count)]) if count else \
        np.zeros((0, IMAGE_PIXELS), np.uint8)
    return Split(images, np.full(count, NOT_A_DIGIT, dtype=np.int64))
