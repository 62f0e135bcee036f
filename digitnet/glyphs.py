"""Letters and symbols that are not digits, drawn as pen strokes by the training code itself.

People write more than digits, and a letter or a symbol must not come back as a confident digit. These
are this project's own stroke sketches (no fonts, no one's handwriting) of the capital and small Latin
letters and the common symbols, except those a person could read as a digit (O, I, l, S, Z, B, G, b, g, q,
U, C, J, Q, a, e, /, parentheses). Each is drawn with a random slant, proportions, jitter and pen width,
as a person's hand would vary it. Points are (x, y) in a unit box, y downwards; a stroke of more than two
points is drawn as a smooth curve through them.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Stroke = tuple[tuple[float, float], ...]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 8) -> Stroke:
    """Points on an ellipse from angle `start` to `end` in degrees (0 = right, 90 = down)."""
    angles = np.radians(np.linspace(start, end, steps))
    return tuple((cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles)


_BOWL = ((0.2, 0.0), (0.6, 0.0), (0.82, 0.25), (0.6, 0.5), (0.2, 0.5))  # the bowl of a P or an R

GLYPHS: dict[str, tuple[Stroke, ...]] = {
    "A": (((0.1, 1.0), (0.5, 0.0), (0.9, 1.0)), ((0.28, 0.62), (0.72, 0.62))),
    "E": (((0.8, 0.0), (0.2, 0.0), (0.2, 1.0), (0.8, 1.0)), ((0.2, 0.5), (0.7, 0.5))),
    "F": (((0.8, 0.0), (0.2, 0.0), (0.2, 1.0)), ((0.2, 0.48), (0.7, 0.48))),
    "H": (((0.2, 0.0), (0.2, 1.0)), ((0.8, 0.0), (0.8, 1.0)), ((0.2, 0.5), (0.8, 0.5))),
    "K": (((0.2, 0.0), (0.2, 1.0)), ((0.8, 0.0), (0.2, 0.58)), ((0.4, 0.42), (0.85, 1.0))),
    "M": (((0.1, 1.0), (0.2, 0.0)), ((0.2, 0.0), (0.5, 0.65)), ((0.5, 0.65), (0.8, 0.0)), ((0.8, 0.0), (0.9, 1.0))),
    "N": (((0.2, 1.0), (0.2, 0.0)), ((0.2, 0.0), (0.8, 1.0)), ((0.8, 1.0), (0.8, 0.0))),
    "P": (((0.2, 1.0), (0.2, 0.0)), _BOWL),
    "R": (((0.2, 1.0), (0.2, 0.0)), _BOWL, ((0.45, 0.5), (0.85, 1.0))),
    "V": (((0.1, 0.0), (0.5, 1.0)), ((0.5, 1.0), (0.9, 0.0))),
    "W": (((0.05, 0.0), (0.28, 1.0)), ((0.28, 1.0), (0.5, 0.35)), ((0.5, 0.35), (0.72, 1.0)),
          ((0.72, 1.0), (0.95, 0.0))),
    "X": (((0.15, 0.0), (0.85, 1.0)), ((0.85, 0.0), (0.15, 1.0))),
    "Y": (((0.1, 0.0), (0.5, 0.5)), ((0.9, 0.0), (0.5, 0.5)), ((0.5, 0.5), (0.5, 1.0))),
    "f": (((0.8, 0.08), (0.62, 0.0), (0.46, 0.15), (0.45, 1.0)), ((0.2, 0.42), (0.72, 0.42))),
    "h": (((0.25, 0.0), (0.25, 1.0)), ((0.25, 0.58), (0.5, 0.4), (0.75, 0.55), (0.75, 1.0))),
    "k": (((0.25, 0.0), (0.25, 1.0)), ((0.75, 0.4), (0.25, 0.75)), ((0.42, 0.65), (0.8, 1.0))),
    "m": (((0.1, 1.0), (0.1, 0.3)), ((0.1, 0.48), (0.3, 0.3), (0.5, 0.48), (0.5, 1.0)),
          ((0.5, 0.48), (0.7, 0.3), (0.9, 0.48), (0.9, 1.0))),
    "n": (((0.2, 1.0), (0.2, 0.3)), ((0.2, 0.48), (0.5, 0.3), (0.8, 0.48), (0.8, 1.0))),
    "r": (((0.3, 1.0), (0.3, 0.3)), ((0.3, 0.52), (0.5, 0.33), (0.78, 0.36))),
    "t": (((0.45, 0.0), (0.45, 0.85), (0.55, 1.0), (0.78, 0.94)), ((0.18, 0.3), (0.78, 0.3))),
    "w": (((0.05, 0.3), (0.28, 1.0)), ((0.28, 1.0), (0.5, 0.5)), ((0.5, 0.5), (0.72, 1.0)), ((0.72, 1.0), (0.95, 0.3))),
    "y": (((0.15, 0.25), (0.5, 0.7)), ((0.85, 0.25), (0.5, 0.7), (0.3, 1.05))),
    "#": (((0.35, 0.0), (0.25, 1.0)), ((0.75, 0.0), (0.65, 1.0)), ((0.05, 0.33), (0.95, 0.33)),
          ((0.05, 0.67), (0.95, 0.67))),
    "%": (_arc(0.25, 0.2, 0.15, 0.18, 0, 360), _arc(0.75, 0.8, 0.15, 0.18, 0, 360), ((0.85, 0.0), (0.15, 1.0))),
    "&": (((0.9, 1.0), (0.35, 0.42), (0.32, 0.12), (0.52, 0.02), (0.66, 0.2), (0.22, 0.62), (0.3, 0.96),
           (0.62, 0.92), (0.85, 0.58)),),
    "@": (_arc(0.55, 0.5, 0.18, 0.2, 0, 360),
          ((0.73, 0.35), (0.75, 0.72), (0.92, 0.7)) + _arc(0.5, 0.5, 0.45, 0.48, 0, 300)),
    "+": (((0.5, 0.1), (0.5, 0.9)), ((0.1, 0.5), (0.9, 0.5))),
    "=": (((0.1, 0.35), (0.9, 0.35)), ((0.1, 0.65), (0.9, 0.65))),
    "*": (((0.5, 0.05), (0.5, 0.95)), ((0.1, 0.25), (0.9, 0.75)), ((0.9, 0.25), (0.1, 0.75))),
    "x": (((0.2, 0.25), (0.8, 0.95)), ((0.8, 0.25), (0.2, 0.95))),
    "<": (((0.85, 0.1), (0.15, 0.5), (0.85, 0.9)),),
    ">": (((0.15, 0.1), (0.85, 0.5), (0.15, 0.9)),),
    "~": (((0.05, 0.55), (0.3, 0.35), (0.55, 0.6), (0.8, 0.45), (0.95, 0.4)),),
    "-": (((0.1, 0.5), (0.9, 0.5)),),
}


def _smooth(points: np.ndarray, steps: int = 6) -> np.ndarray:
    """A Catmull-Rom curve through the points ([n, 2]); two points stay a straight line."""
    if len(points) < 3:
        return points
    p = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    path = [0.5 * (2 * b + (c - a) * t + (2 * a - 5 * b + 4 * c - d) * t**2 + (3 * b - a - 3 * c + d) * t**3)
            for a, b, c, d in zip(p[:-3], p[1:-2], p[2:-1], p[3:], strict=True)]
    return np.concatenate([*path, points[-1:]])


def draw_glyph(name: str, rng: np.random.Generator, side: int = 96) -> np.ndarray:
    """One letter or symbol as a person might write it: float32 [side, side], white strokes on black.

    The sketch is jittered point by point, slanted, stretched and turned a little, and drawn with a pen
    of random width.
    """
    layer = Image.new("L", (side, side), 0)
    pen = ImageDraw.Draw(layer)
    width = int(rng.integers(5, 12))
    shear, stretch, turn = rng.uniform(-0.3, 0.3), rng.uniform(0.7, 1.25), rng.uniform(-0.15, 0.15)
    cos, sin = np.cos(turn), np.sin(turn)
    for stroke in GLYPHS[name]:
        points = np.asarray(stroke, dtype=np.float64) + rng.normal(0, 0.03, (len(stroke), 2))
        x, y = (points[:, 0] - 0.5) * stretch, points[:, 1] - 0.5
        x = x + shear * -y  # a forward slant leans the tops right
        points = np.stack([x * cos - y * sin, x * sin + y * cos], axis=1) * 0.8 * side + 0.5 * side
        pen.line([tuple(q) for q in _smooth(points)], fill=255, width=width, joint="curve")
    return np.asarray(layer, np.float32)
