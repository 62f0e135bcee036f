"""Section B: pictures that are not one digit, each labelled with its category.

Categories (the ``source`` column): letter (templates and fonts), shape, scribble, noise
(textures), smudge (blank paper with a soft mark), blank (paper or canvas with only sensor
noise) and number (2-4 digits; kind "number" so a reader may refuse or read it).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage

from . import fields, strokes
from .capture import STYLES, choose_look, compose, image_size, paper
from .fonts import FONTS, installed_fonts
from .marks import drawing_coverage, font_mark, paste, template_mark
from .numbers import LAYOUTS, number_picture
from .pen import stroke_coverage
from .picture import Picture, finish, row_fields, single
from .symbols import FONT_LETTERS, LETTER_TEMPLATES, LETTERS_BY_MAX, SHAPE_TEMPLATES

# One cycle of 11 images; 11 and the 6 styles are coprime, so every 66 images hold every
# (category slot, style) pair once.
PATTERN = ["letter", "shape", "number", "scribble", "letter", "noise", "smudge", "letter", "shape", "number", "blank"]
TEXTURES = ["gaussian", "salt_pepper", "wood", "fabric", "checkerboard", "text_hatching"]
SCRIBBLES = ["zigzag", "tangle", "loops"]


def plan(i: int) -> dict:
    """Category, style and a variant counter k of image i of section B.

    k counts the category's earlier images plus the number of whole 66-image cycles, so that
    within one style the variants (letter, texture, ...) still rotate instead of repeating.
    """
    cycle, slot = divmod(i, len(PATTERN))
    category = PATTERN[slot]
    occurrence = cycle * PATTERN.count(category) + PATTERN[:slot].count(category)
    return {"category": category, "style": STYLES[i % len(STYLES)], "k": occurrence + i // 66}


def make(i: int, rng: np.random.Generator) -> Picture | None:
    """Image i of section B, or None when the font it needs is not installed."""
    p = plan(i)
    maker = {"letter": _letter, "shape": _shape, "scribble": _scribble, "noise": _noise, "smudge": _smudge,
             "blank": _blank, "number": _number}[p["category"]]
    return maker(p["style"], p["k"], rng)


def _mark_picture(style, rng, render, source, variant, renderer="procedural", by="height") -> Picture | None:
    laid = single(style, rng, render, pen_scale=0.7 if by == "max" else 1.0)
    if laid is None:
        return None
    canvas, look, _ = laid
    return finish(canvas, look, rng, row_fields("not_digit", "", look, source, variant, [], renderer))


def _letter(style: str, k: int, rng: np.random.Generator) -> Picture | None:
    if k % 2 == 0:  # templates and fonts alternate
        names = list(LETTER_TEMPLATES)
        char = names[(k // 2) % len(names)]
        by = "max" if char in LETTERS_BY_MAX else "height"
        specs = LETTER_TEMPLATES[char]
        return _mark_picture(style, rng, lambda look, size: template_mark(specs, look, size, rng, by=by),
                             "letter", char, f"template:{char}", by)
    font = FONTS[(k // 2) % len(FONTS)]
    if font not in installed_fonts():
        return None
    char = FONT_LETTERS[(k // 2 * 5) % len(FONT_LETTERS)]
    by = "max" if char in LETTERS_BY_MAX else "height"

    def render(look, size):
        got = font_mark(font, char, look, size, rng, by=by)
        return None if got is None else got[0]

    return _mark_picture(style, rng, render, "letter", char, f"font:{font.name}", by)


def _shape(style: str, k: int, rng: np.random.Generator) -> Picture | None:
    name = list(SHAPE_TEMPLATES)[k % len(SHAPE_TEMPLATES)]
    return _mark_picture(style, rng, lambda look, size: template_mark(SHAPE_TEMPLATES[name], look, size, rng, by="max"),
                         "shape", name, f"template:{name}", "max")


def scribble_drawing(kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A random scribble in spec units (~0-100): a crossing-out zigzag, a tangle, or a chain of loops."""
    if kind == "zigzag":
        # Crossing something out: a dense back-and-forth over a patch, there and back again.
        n = int(rng.integers(14, 26))
        xs = np.concatenate([np.linspace(0, 100, n), np.linspace(100, 0, n)[1:]]) + rng.normal(0, 3, 2 * n - 1)
        top, bottom = rng.uniform(0, 15, 2 * n - 1), rng.uniform(55, 75, 2 * n - 1)
        ys = np.where(np.arange(2 * n - 1) % 2 == 0, top, bottom)
        spec = [(x, y, "c") for x, y in zip(xs, ys, strict=True)]
    elif kind == "tangle":
        n = int(rng.integers(12, 20))
        spec = [tuple(p) for p in rng.uniform(0, 100, (n, 2)) * [1.0, rng.uniform(0.5, 0.9)]]
    else:  # loops, like a row of cursive "e" with no meaning
        t = np.linspace(0, 2 * math.pi * rng.integers(3, 6), 100)
        r = rng.uniform(14, 20)
        spec = [(3.2 * ti + r * math.sin(-ti), 40 - r * math.cos(ti) * 1.6) for ti in t]
    pose = strokes.random_pose(rng, slant=(-0.1, 0.3), rot=20.0)
    return strokes.instance([spec], rng, jitter=1.0, warp=1.5, overshoot=0.0, pose=pose)


def _scribble(style: str, k: int, rng: np.random.Generator) -> Picture | None:
    kind = SCRIBBLES[k % len(SCRIBBLES)]
    return _mark_picture(style, rng, lambda look, size: _drawing_cov(scribble_drawing(kind, rng), look, size, rng),
                         "scribble", kind, "procedural", "max")


def _drawing_cov(drawing, look, size, rng):
    return drawing_coverage(drawing, look, size, rng, by="max")


def texture(kind: str, shape: tuple[int, int], rng: np.random.Generator, look) -> np.ndarray:
    """A texture filling the picture, float32 (H, W, 3) in 0-255."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "gaussian":
        base = rng.uniform(60, 200, 3).astype(np.float32)
        grey = rng.random() < 0.6
        n = rng.normal(0, rng.uniform(25, 60), (h, w, 1 if grey else 3)).astype(np.float32)
        return np.broadcast_to(base + n, (h, w, 3)).copy()
    if kind == "salt_pepper":
        out = paper(look, shape, rng)
        u = rng.random((h, w))
        frac = rng.uniform(0.02, 0.12)
        out[u < frac / 2] = 15.0
        out[u > 1 - frac / 2] = 250.0
        return out
    if kind == "wood":
        a = rng.uniform(-0.3, 0.3)
        along = xx * math.cos(a) + yy * math.sin(a)
        across = -xx * math.sin(a) + yy * math.cos(a)
        grain = np.sin(across / rng.uniform(4, 12) + 6 * fields.fbm(shape, w / 3, rng) + along * 0.002)
        t = (0.5 + 0.5 * grain)[..., None] * 0.7 + 0.3 * (0.5 + 0.5 * fields.fbm(shape, 30, rng))[..., None]
        light, dark = np.array([200, 150, 100], np.float32), np.array([110, 65, 35], np.float32)
        return dark + (light - dark) * np.clip(t, 0, 1)
    if kind == "fabric":
        period = rng.uniform(3, 8)
        warp = 0.5 + 0.5 * np.sin(xx / period * math.pi) * np.sign(np.sin(yy / (2 * period) * math.pi))
        weft = 0.5 + 0.5 * np.sin(yy / period * math.pi) * np.sign(np.sin(xx / (2 * period) * math.pi))
        colour = rng.uniform(60, 220, 3).astype(np.float32)
        t = (0.6 + 0.25 * warp + 0.15 * weft + 0.1 * fields.fbm(shape, 20, rng))[..., None]
        return colour * t
    if kind == "checkerboard":
        size = rng.uniform(12, 70)
        a = rng.uniform(-0.4, 0.4)
        u, v = (xx * math.cos(a) + yy * math.sin(a)) / size, (-xx * math.sin(a) + yy * math.cos(a)) / size
        board = ((np.floor(u) + np.floor(v)) % 2).astype(np.float32)
        lo, hi = rng.uniform(10, 90), rng.uniform(170, 250)
        return np.broadcast_to((lo + (hi - lo) * board)[..., None], (h, w, 3)).copy()
    # text_hatching: a page of illegible "words" at reading distance, drawn with the look's pen.
    cov = np.zeros(shape, np.float32)
    line_h = rng.uniform(0.05, 0.09) * h
    y = rng.uniform(0.3, 1.0) * line_h
    while y < h - line_h * 0.3:
        x = rng.uniform(0, 0.1) * w
        while x < w * 0.95:
            n = int(rng.integers(3, 12))
            pts = [(x + 0.4 * line_h * j / 2, y + (line_h * 0.5 if j % 2 else 0) + rng.normal(0, 0.08 * line_h))
                   for j in range(n)]
            pen = dataclasses.replace(look.pen, width=min(look.pen.width, 0.12 * line_h))
            c, x0, y0 = stroke_coverage([np.array(pts)], pen, rng)
            paste(cov, c, x0, y0)
            x += 0.2 * line_h * n + rng.uniform(0.3, 0.8) * line_h
        y += line_h * rng.uniform(1.3, 1.8)
    bg = paper(look, shape, rng)
    ink = np.array(look.ink if look.style != "pencil" else (120, 120, 120), np.float32)
    return bg * (1 - cov[..., None]) + ink * cov[..., None]


def _noise(style: str, k: int, rng: np.random.Generator) -> Picture:
    kind = TEXTURES[k % len(TEXTURES)]
    w, h = image_size(style, rng)
    if style.startswith("canvas"):  # big noisy PNGs would dominate the set's size
        w, h = min(w, 480), min(h, 480)
    look = choose_look(style, rng, 0.5 * h)
    if look.transparent:
        look = dataclasses.replace(look, transparent=False)
    bg = texture(kind, (h, w), rng, look)
    cov = np.zeros((h, w), np.float32)
    return finish(cov, look, rng, row_fields("not_digit", "", look, "noise", kind, []), background=bg)


def _smudge(style: str, k: int, rng: np.random.Generator) -> Picture:
    kind = "blob" if k % 2 == 0 else "fingerprint"
    w, h = image_size(style, rng)
    look = choose_look(style, rng, 0.5 * h)
    shape = (h, w)
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "blob":
        r = rng.uniform(0.08, 0.25) * min(h, w)
        d = np.hypot((xx - cx) / rng.uniform(0.7, 1.4), yy - cy) / r + 0.6 * fields.fbm(shape, r, rng, octaves=3)
        mark = np.clip(1.2 - d, 0, 1) ** 1.5
        mark = ndimage.gaussian_filter(mark, r * 0.15) * rng.uniform(0.12, 0.3)
    else:
        a, b = rng.uniform(0.05, 0.1) * min(h, w), rng.uniform(0.07, 0.13) * min(h, w)
        th = rng.uniform(0, math.pi)
        u = ((xx - cx) * math.cos(th) + (yy - cy) * math.sin(th)) / a
        v = (-(xx - cx) * math.sin(th) + (yy - cy) * math.cos(th)) / b
        rr = np.hypot(u, v)
        period = rng.uniform(0.12, 0.2)
        ridges = 0.5 + 0.5 * np.sin(2 * math.pi * (rr + 0.25 * fields.fbm(shape, a / 2, rng, 3)) / period)
        envelope = np.clip(1.0 - rr, 0, 1) ** 0.7 * np.clip(0.6 + fields.fbm(shape, a / 2, rng, 2), 0, 1)
        mark = ridges * envelope * rng.uniform(0.1, 0.22)
    bg = paper(look, shape, rng)
    if look.polarity == "light_on_dark":
        bg = bg + (200 - bg) * mark[..., None]
    else:
        bg = bg * (1 - mark[..., None])
    look = dataclasses.replace(look, transparent=False)
    cov = np.zeros(shape, np.float32)
    return finish(cov, look, rng, row_fields("not_digit", "", look, "smudge", kind, []), background=bg)


def _blank(style: str, k: int, rng: np.random.Generator) -> Picture:
    w, h = image_size(style, rng)
    look = choose_look(style, rng, 0.5 * h)
    cov = np.zeros((h, w), np.float32)
    variant = "empty_canvas" if style.startswith("canvas") else "sensor_noise"
    return Picture(compose(cov, look, rng), look, row_fields("not_digit", "", look, "blank", variant, []))


def _number(style: str, k: int, rng: np.random.Generator) -> Picture | None:
    n = 2 + k % 3
    return number_picture(style, LAYOUTS[k % len(LAYOUTS)], n, k % 5 in (1, 3), k, rng, source="number")
