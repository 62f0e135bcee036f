"""Things that are not one digit, synthesised by the training code for the network's 11th class.

A classifier that has only ever seen digits must call everything a digit: random noise came out as a
"0" at 88%, a star or a scribble at 80-99%. Training an extra "not a digit" class on generated negatives
(outlier exposure) teaches it what is outside the ten classes. The negatives here are drawn by this code,
with no one's handwriting and no fonts: letters and symbols that do not look like digits (see
`digitnet.glyphs`), random scribbles and zig-zags, straight strokes joined and crossing at
random (the joints letters and symbols are made of), parallel strokes, rings with strokes, arrows, a mark
with a dot, polygons, stars and hearts, blobs and smudges, speckles and hatching; and from MNIST's
*training* digits: two or three squeezed together (touching neighbours in a number: a glyph to cut) and a
digit cut in two (a wrong cut). Negatives make a tenth of the training rows by default.
Each is normalised like an MNIST digit (fitted into 20x20, centred by mass).

Every image is uint8 [784], white on black. All randomness comes from the Generator.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitnet.data import IMAGE_PIXELS, IMAGE_SIZE, Split
from digitnet.glyphs import GLYPHS, draw_glyph
from digitnet.images.fit import mnist_uint8

NOT_A_DIGIT = 10  # the label of the extra class
_SIDE = 96  # shapes are drawn on a 96x96 canvas, then fitted into 20x20 like a digit
KINDS = ("letter", "letter", "letter", "scribble", "zigzag", "crossing", "junctions", "parallels", "loops", "arrow",
         "mark_and_dot", "polygon", "star", "heart", "blob", "speckles", "hatching", "touching", "touching",
         "fragment")


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


def _segment(centre: np.ndarray, angle: float, length: float) -> list[tuple[float, float]]:
    half = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
    return [tuple(centre - half), tuple(centre + half)]


def junctions(rng: np.random.Generator) -> np.ndarray:
    """Three to five straight strokes, each starting on or crossing an earlier one: joints like those of
    letters and symbols, in random arrangements."""
    layer, pen, width = _pen(rng)
    square = rng.random() < 0.5  # joints at right angles to upright strokes, as in printed capitals
    first_angle = rng.choice([0.0, np.pi / 2]) + rng.uniform(-0.15, 0.15) if square else rng.uniform(0, np.pi)
    strokes = [_segment(rng.uniform(0.35, 0.65, 2) * _SIDE, first_angle, rng.uniform(0.5, 0.8) * _SIDE)]
    for _ in range(int(rng.integers(2, 5))):
        start, end = (np.asarray(p) for p in strokes[rng.integers(len(strokes))])
        joint = start + rng.choice([0.0, 0.5, 1.0, rng.uniform(0.2, 0.8)]) * (end - start)
        turn = np.pi / 2 + rng.uniform(-0.15, 0.15) if square else rng.uniform(np.pi / 5, np.pi / 2)
        angle = np.arctan2(*(end - start)[::-1]) + rng.choice([-1, 1]) * turn
        length = rng.uniform(0.35, 0.7) * _SIDE
        direction = np.array([np.cos(angle), np.sin(angle)])
        crossing = rng.random() < 0.3
        strokes.append([tuple(joint - (0.5 * length if crossing else 0.0) * direction),
                        tuple(joint + (0.5 if crossing else 1.0) * length * direction)])
    for stroke in strokes:
        pen.line(stroke, fill=255, width=width)
    return np.asarray(layer, np.float32)


def parallels(rng: np.random.Generator) -> np.ndarray:
    """Two or three parallel strokes, sometimes crossed by one or two others (=, #, || and the like)."""
    layer, pen, width = _pen(rng)
    angle = rng.uniform(0, np.pi)
    normal = np.array([-np.sin(angle), np.cos(angle)])
    count = int(rng.integers(2, 4))
    spacing = rng.uniform(0.2, 0.35) * _SIDE
    for index in range(count):
        centre = 0.5 * _SIDE + (index - (count - 1) / 2) * spacing * normal
        pen.line(_segment(centre, angle + rng.uniform(-0.08, 0.08), rng.uniform(0.55, 0.85) * _SIDE), fill=255,
                 width=width)
    for _ in range(int(rng.integers(0, 3))):
        pen.line(_segment(rng.uniform(0.4, 0.6, 2) * _SIDE, angle + np.pi / 2 + rng.uniform(-0.3, 0.3),
                          rng.uniform(0.6, 0.85) * _SIDE), fill=255, width=width)
    return np.asarray(layer, np.float32)


def loops(rng: np.random.Generator) -> np.ndarray:
    """One or two small rings with strokes running through them (%, @, a crossed o and the like)."""
    layer, pen, width = _pen(rng)
    rings = []
    for _ in range(int(rng.integers(1, 3))):
        x, y = rng.uniform(0.25, 0.75, 2) * _SIDE
        rx, ry = rng.uniform(0.08, 0.2, 2) * _SIDE
        pen.ellipse((x - rx, y - ry, x + rx, y + ry), outline=255, width=max(2, width - 2))
        rings.append((x, y, min(rx, ry)))
    for _ in range(int(rng.integers(1, 4))):
        x, y, r = rings[rng.integers(len(rings))]
        centre = np.array([x, y]) + rng.uniform(-0.5, 0.5, 2) * r  # through the ring, not beside it (a 9)
        pen.line(_segment(centre, rng.uniform(0, np.pi), rng.uniform(0.5, 0.85) * _SIDE), fill=255, width=width)
    return np.asarray(layer, np.float32)


def arrow(rng: np.random.Generator) -> np.ndarray:
    """An arrow: a long stroke with a two-stroke head (sometimes a head at both ends)."""
    layer, pen, width = _pen(rng)
    angle = rng.uniform(0, 2 * np.pi)
    tail, tip = _segment(np.full(2, 0.5 * _SIDE), angle, rng.uniform(0.6, 0.85) * _SIDE)
    pen.line([tail, tip], fill=255, width=width)
    for end, direction in ((np.asarray(tip), angle), (np.asarray(tail), angle + np.pi))[: 1 + (rng.random() < 0.2)]:
        for side in (-1, 1):
            barb = direction + np.pi + side * rng.uniform(0.4, 0.8)
            length = rng.uniform(0.15, 0.3) * _SIDE
            pen.line([tuple(end), tuple(end + length * np.array([np.cos(barb), np.sin(barb)]))], fill=255, width=width)
    return np.asarray(layer, np.float32)


def mark_and_dot(rng: np.random.Generator) -> np.ndarray:
    """A stroke or a hook with a separate dot below or above it (?, !, i, j and the like)."""
    layer, pen, width = _pen(rng)
    x = rng.uniform(0.4, 0.6) * _SIDE
    if rng.random() < 0.5:  # a hook: an arc over the top coming down to the middle
        radius = rng.uniform(0.15, 0.25) * _SIDE
        pen.arc((x - radius, 0.1 * _SIDE, x + radius, 0.1 * _SIDE + 2 * radius), start=180, end=90 + rng.uniform(0, 40),
                fill=255, width=width)
        pen.line([(x, 0.1 * _SIDE + 2 * radius), (x + rng.uniform(-3, 3), 0.68 * _SIDE)], fill=255, width=width)
    else:
        pen.line([(x, 0.1 * _SIDE), (x + rng.uniform(-6, 6), 0.68 * _SIDE)], fill=255, width=width)
    y = (0.85 if rng.random() < 0.8 else 0.02) * _SIDE
    r = width * rng.uniform(0.6, 1.0)
    pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(layer, np.float32)


def heart(rng: np.random.Generator) -> np.ndarray:
    """A heart (two lobes and a point), outlined or filled, a little irregular."""
    layer, pen, width = _pen(rng)
    t = np.linspace(0, 2 * np.pi, 80)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    x, y = x * rng.uniform(0.8, 1.2), y * rng.uniform(0.8, 1.2)
    angle = rng.uniform(-0.4, 0.4)
    points = [(0.5 * _SIDE + 1.3 * (a * np.cos(angle) - b * np.sin(angle)),
               0.5 * _SIDE + 1.3 * (a * np.sin(angle) + b * np.cos(angle))) for a, b in zip(x, y, strict=True)]
    if rng.random() < 0.3:
        pen.polygon(points, fill=255)
    else:
        pen.line(points, fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)


def polygon(rng: np.random.Generator) -> np.ndarray:
    """A triangle, square or pentagon, outlined (sometimes filled), a little irregular (not a hexagon: with a
    round pen that is a 0)."""
    layer, pen, width = _pen(rng)
    corners = int(rng.choice([3, 4, 5]))
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
    """A smudge: one to three soft, filled, irregular blobs (sometimes cut hard, as a threshold cuts them)."""
    y, x = np.mgrid[0:_SIDE, 0:_SIDE] / _SIDE
    field = np.zeros((_SIDE, _SIDE), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(0.3, 0.7, 2)
        sy = rng.uniform(0.08, 0.25)
        sx = sy * rng.uniform(0.6, 1.6)  # roundish: a long thin smear would be a 1
        field += np.exp(-0.5 * (((y - cy) / sy) ** 2 + ((x - cx) / sx) ** 2)).astype(np.float32)
    if rng.random() < 0.5:
        return (field > rng.uniform(0.3, 0.6)).astype(np.float32) * 255.0
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
    """Two or three MNIST training digits side by side, touching or overlapping by up to a third of a digit."""
    count = 2 if rng.random() < 0.75 else 3
    chosen = digits.images[rng.integers(len(digits), size=count)].reshape(count, IMAGE_SIZE, IMAGE_SIZE)
    overlap = int(rng.integers(2, 13))  # the ink of MNIST's digits starts about 4 px inside their frame
    width = IMAGE_SIZE * count - overlap * (count - 1)
    canvas = np.zeros((IMAGE_SIZE, width), np.float32)
    for index, digit in enumerate(chosen):
        left = index * (IMAGE_SIZE - overlap)
        canvas[:, left : left + IMAGE_SIZE] = np.maximum(canvas[:, left : left + IMAGE_SIZE], digit)
    return canvas


def fragment(rng: np.random.Generator, digits: Split) -> np.ndarray:
    """Part of an MNIST training digit (not a 1) cut off on the left or right: what a wrong cut between
    touching digits leaves, which must not read as a digit (the left of a 0 is not a 1)."""
    candidates = np.flatnonzero(digits.labels != 1)
    digit = digits.images[rng.choice(candidates)].reshape(IMAGE_SIZE, IMAGE_SIZE).astype(np.float32)
    columns = np.flatnonzero(digit.max(axis=0) > 0)
    if columns.size < 4:
        return digit
    cut = int(rng.integers(columns[0] + columns.size // 3, columns[-1] - columns.size // 3 + 1))
    if rng.random() < 0.5:
        digit[:, cut:] = 0
    else:
        digit[:, :cut] = 0
    return digit


SHAPES = {"letter": lambda generator: draw_glyph(str(generator.choice(list(GLYPHS))), generator),
          "scribble": scribble, "zigzag": zigzag, "crossing": crossing, "junctions": junctions,
          "parallels": parallels, "loops": loops, "arrow": arrow, "mark_and_dot": mark_and_dot,
          "polygon": polygon, "star": star, "heart": heart, "blob": blob, "speckles": speckles,
          "hatching": hatching}  # the kinds drawn without any digit


def shapes(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` negatives drawn without digits (no `touching` or `fragment`), as uint8 [count, 784]."""
    kinds = [kind for kind in KINDS if kind in SHAPES]
    return np.stack([mnist_uint8(SHAPES[kinds[i % len(kinds)]](rng)) for i in range(count)]) if count else \
        np.zeros((0, IMAGE_PIXELS), np.uint8)


def not_digits(count: int, digits: Split, rng: np.random.Generator) -> Split:
    """`count` negatives, the kinds in equal shares, labelled NOT_A_DIGIT.

    Args:
        digits: training digits for the `touching` kind (uint8 [n, 784]).
    Returns:
        Split of uint8 [count, 784] images and int64 labels, all NOT_A_DIGIT.
    """
    drawers = {**SHAPES, "touching": lambda generator: touching(generator, digits),
               "fragment": lambda generator: fragment(generator, digits)}
    images = np.stack([mnist_uint8(drawers[KINDS[i % len(KINDS)]](rng)) for i in range(count)]) if count else \
        np.zeros((0, IMAGE_PIXELS), np.uint8)
    return Split(images, np.full(count, NOT_A_DIGIT, dtype=np.int64))
