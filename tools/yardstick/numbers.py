"""Section C (and B's short numbers): several digits written in one picture, with per-digit boxes.

Layouts (the ``variant`` column):
  gap_*       digits separated by a clear gap;
  touching_*  each digit's ink runs a few px into its left neighbour's;
  *_straight  one straight baseline, equal sizes;
  *_wavy      the baseline wanders and tilts, digits vary in size and lean.

Digits are rendered one by one (each its own coverage crop) so that each box is the exact
ink box of that digit.  Spacing is measured row by row between the ink placed so far and the
next digit's ink, which is how touching digits can touch without swallowing each other.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import strokes
from .capture import STYLES, Look, choose_look
from .fonts import FONTS, installed_fonts
from .marks import font_mark, paste, template_mark
from .pen import ink_box
from .picture import Picture, finish, row_fields
from .templates import DIGIT_TEMPLATES

LAYOUTS = ("gap_straight", "gap_wavy", "touching_straight", "touching_wavy")


def plan(i: int) -> dict:
    """Layout, style, digit count (2-8) and source of image i of section C, spread evenly."""
    return {"layout": LAYOUTS[i % 4], "style": STYLES[(i + i // 12) % 6], "n": 2 + (i // 4) % 7,
            "font": (i // 4) % 5 in (1, 3)}


def make(i: int, rng: np.random.Generator) -> Picture | None:
    """Image i of section C, or None when its font is not installed."""
    p = plan(i)
    return number_picture(p["style"], p["layout"], p["n"], p["font"], i, rng)


def _digits(n: int, rng: np.random.Generator) -> str:
    first = str(rng.integers(1, 10)) if rng.random() < 0.9 else str(rng.integers(0, 10))
    return first + "".join(str(d) for d in rng.integers(0, 10, n - 1))


def _render_digits(text: str, look: Look, height: float, layout: str, font, rng: np.random.Generator):
    """Coverage crops (one per digit) in one writer's hand: the same template per digit value and
    a shared slant; wavy layouts vary size and pose more.  Returns (crops, names) or None."""
    wavy = layout.endswith("wavy")
    writer = {d: list(DIGIT_TEMPLATES[d])[int(rng.integers(0, len(DIGIT_TEMPLATES[d])))] for d in range(10)}
    slant, aspect = rng.uniform(-0.08, 0.3), rng.uniform(0.85, 1.15)
    crops, names = [], []
    for ch in text:
        spread = 0.08 if wavy else 0.03
        pose = strokes.random_pose(rng, slant=(slant - spread, slant + spread),
                                   aspect=(aspect * (1 - spread), aspect * (1 + spread)), rot=5.0 if wavy else 2.0)
        size = height * (rng.uniform(0.85, 1.15) if wavy else rng.uniform(0.97, 1.03))
        if font is None:
            name = writer[int(ch)]
            crops.append(template_mark(DIGIT_TEMPLATES[int(ch)][name], look, size, rng, pose=pose))
            names.append(name)
        else:
            got = font_mark(font, ch, look, size, rng, pose=pose)
            if got is None:
                return None
            crops.append(got[0])
            names.append(got[1])
    return crops, names


def _layout(crops: list[np.ndarray], height: float, layout: str, pen_width: float, rng: np.random.Generator):
    """Positions (x, y) of each crop's corner, relative to a block origin; returns (positions, w, h)."""
    wavy = layout.endswith("wavy")
    touching = layout.startswith("touching")
    amp = rng.uniform(0.05, 0.14) * height if wavy else rng.uniform(0.0, 0.02) * height
    phase, freq = rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 1.3)
    tilt = rng.uniform(-0.1, 0.1) if wavy else rng.uniform(-0.015, 0.015)
    rows = int(4 * height) + 8
    base = 2 * height + 4  # baseline row inside a tall scratch band, so wavy digits never fall off it
    right = np.full(rows, -np.inf)
    positions, x = [], 0.0
    for i, c in enumerate(crops):
        ink = c > 0.2
        # Crops are trimmed, so their bottom is the digit's bottom: sit it on the (wavy) baseline.
        y = int(round(base - c.shape[0] + amp * math.sin(phase + freq * i) + tilt * x))
        y = min(max(y, 0), rows - c.shape[0])
        has = ink.any(axis=1)
        left_col = np.where(has, ink.argmax(axis=1), np.inf)
        if i == 0:
            xi = 0
        else:
            gap_wanted = -rng.uniform(1.0, 3.0) - 0.25 * pen_width if touching else rng.uniform(0.12, 0.35) * height
            band = right[y:y + c.shape[0]]
            both = has & np.isfinite(band)
            prev_box_right = positions[-1][0] + crops[i - 1].shape[1]
            narrow = min(c.shape[1], crops[i - 1].shape[1])
            if both.any():
                xi = gap_wanted - float(np.min(left_col[both] - band[both]))
            else:
                xi = prev_box_right + gap_wanted
            # Row-by-row contact alone lets a digit slide under an overhang (a 2 under the bar of
            # a 5) until the two nest; people do not write like that, so cap the box overlap:
            # a sliver for gaps, about a third of the narrower digit for touching ones.
            xi = max(xi, prev_box_right - (0.35 if touching else 0.1) * narrow)
            if touching and both.any():
                # Still apart after the cap?  Close the gap if that nests them no more than half.
                gap = xi + float(np.min(left_col[both] - band[both]))
                closer = xi - gap + gap_wanted
                if gap > 0 and prev_box_right - closer <= 0.5 * narrow:
                    xi = closer
        xi = int(round(xi))
        right_col = np.where(has, c.shape[1] - 1 - ink[:, ::-1].argmax(axis=1), -np.inf)
        seg = right[y:y + c.shape[0]]
        np.maximum(seg, xi + right_col, out=seg)
        positions.append((xi, y))
        x = xi
    x0 = min(p[0] for p in positions)
    y0 = min(p[1] for p in positions)
    x1 = max(p[0] + c.shape[1] for p, c in zip(positions, crops, strict=True))
    y1 = max(p[1] + c.shape[0] for p, c in zip(positions, crops, strict=True))
    return [(px - x0, py - y0) for px, py in positions], x1 - x0, y1 - y0


def number_picture(style: str, layout: str, n: int, use_font: bool, k: int, rng: np.random.Generator,
                   source: str | None = None) -> Picture | None:
    """A picture of an n-digit number.  k picks the font; source overrides the source column (B uses "number")."""
    font = FONTS[k % len(FONTS)] if use_font else None
    if font is not None and font not in installed_fonts():
        return None
    text = _digits(n, rng)
    w = int(rng.integers(max(300, 70 * n), 1001))
    height = min(0.88 * w / (n * (0.72 if layout.startswith("gap") else 0.58)), rng.uniform(90, 360))
    h = int(np.clip(height / rng.uniform(0.25, 0.7), 250, 1000))
    look = choose_look(style, rng, height)
    for _ in range(6):
        got = _render_digits(text, look, height, layout, font, rng)
        if got is None:
            return None
        crops, names = got
        positions, bw, bh = _layout(crops, height, layout, look.pen.width, rng)
        if bw <= 0.96 * w and bh <= 0.96 * h:
            break
        # Too big for the picture: shrink the digits, and brushes sized by digit height with them.
        factor = min(0.96 * w / bw, 0.96 * h / bh) * 0.93
        height *= factor
        if look.pen.kind in ("round", "marker", "fountain"):
            look = dataclasses.replace(look, pen=dataclasses.replace(look.pen, width=look.pen.width * factor))
    else:
        return None
    ox, oy = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
    canvas = np.zeros((h, w), np.float32)
    boxes = []
    for (px, py), c in zip(positions, crops, strict=True):
        paste(canvas, c, ox + px, oy + py)
        boxes.append(ink_box(c, ox + px, oy + py))
    renderer = f"font:{font.name}" if font is not None else "template:" + "+".join(names)
    row = row_fields("number", text, look, source or renderer, layout, boxes, renderer)
    return finish(canvas, look, rng, row)
