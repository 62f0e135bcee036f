"""The ten digits as pen strokes, drawn the way people write them, to be placed anywhere on a canvas.

Each digit is a list of strokes; each stroke a list of (x, y) in a unit box (x right, y down). `place`
scales a digit into a box on the canvas; curves are sampled finely enough to look like a hand's stroke.
"""

from __future__ import annotations

import math

Stroke = list[tuple[float, float]]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 24) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down, as on a screen)."""
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / steps)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / steps))) for i in range(steps + 1)]


def line(*points: tuple[float, float], steps: int = 8) -> Stroke:
    """A polyline through `points`, each segment sampled in `steps` points (a mouse sends many moves)."""
    out: Stroke = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return out


DIGITS: dict[int, list[Stroke]] = {
    0: [arc(0.5, 0.5, 0.32, 0.48, -90, 275)],
    1: [line((0.42, 0.14), (0.58, 0.0), (0.58, 1.0))],
    2: [arc(0.5, 0.3, 0.32, 0.27, 200, 385) + line((0.79, 0.41), (0.12, 1.0), (0.9, 1.0))[1:]],
    3: [arc(0.48, 0.25, 0.3, 0.24, 200, 450) + arc(0.48, 0.74, 0.34, 0.26, 270, 520)[1:]],
    4: [line((0.6, 0.0), (0.08, 0.66), (0.92, 0.66)), line((0.68, 0.3), (0.68, 1.0))],
    5: [line((0.85, 0.02), (0.25, 0.02), (0.2, 0.45)) + arc(0.47, 0.68, 0.36, 0.3, 225, 500)[1:]],
    6: [line((0.74, 0.0), (0.32, 0.32), (0.18, 0.7)) + arc(0.5, 0.7, 0.32, 0.3, 180, 540)[1:]],
    7: [line((0.08, 0.0), (0.92, 0.0), (0.4, 1.0))],
    8: [arc(0.5, 0.25, 0.27, 0.24, 90, 450) + arc(0.5, 0.74, 0.33, 0.26, -90, 270)[1:]],
    9: [arc(0.48, 0.28, 0.3, 0.27, 0, 360), line((0.78, 0.28), (0.72, 1.0))],
}


def place(digit: int, left: float, top: float, height: float, aspect: float = 0.7) -> list[Stroke]:
    """`digit`'s strokes in canvas pixels, in a box `height` tall (and aspect * height wide) at (left, top)."""
    width = height * aspect
    return [[(round(left + x * width, 1), round(top + y * height, 1)) for x, y in stroke] for stroke in DIGITS[digit]]


# Where each digit is drawn on the 280 px canvas: different sizes and places, as people draw.
LAYOUT: dict[int, tuple[float, float, float]] = {
    0: (70, 40, 200), 1: (120, 30, 210), 2: (20, 20, 150), 3: (140, 110, 150), 4: (60, 60, 170),
    5: (30, 120, 140), 6: (90, 20, 240), 7: (150, 20, 120), 8: (100, 70, 180), 9: (40, 40, 220),
}


def layout_strokes(digit: int) -> list[Stroke]:
    """The strokes of `digit` at its place in LAYOUT."""
    left, top, height = LAYOUT[digit]
    return place(digit, left, top, height)
