"""Section A: single digits, evenly over digits, capture styles and sources.

Image i of the section is fully determined by (seed, i): its digit, style, source (template
or font) and template/font come from i alone, everything else from the image's own random
stream, so adding images never changes earlier ones.
"""

from __future__ import annotations

import numpy as np

from .capture import STYLES
from .fonts import FONTS, installed_fonts
from .marks import font_mark, template_mark
from .picture import Picture, finish, row_fields, single
from .templates import DIGIT_TEMPLATES


def plan(i: int) -> dict:
    """What image i of section A shows: digit, style, and template name or font.

    Every block of 60 holds each (digit, style) pair once; within a block, 6-image runs cover
    all styles, and 2 of every 5 runs (shifting each block) use fonts, so templates and fonts
    are both spread evenly over digits and styles (60 % templates, 40 % fonts).
    """
    r, j = divmod(i, 60)
    digit = j % 10
    style_index = (j + j // 30) % 6
    use_font = (j // 6 + r) % 5 in (1, 3)
    out = {"digit": digit, "style": STYLES[style_index]}
    if use_font:
        out["font"] = FONTS[(3 * r + j) % len(FONTS)]
    else:
        names = list(DIGIT_TEMPLATES[digit])
        out["template"] = names[(r + style_index + j // 30) % len(names)]
    return out


def make(i: int, rng: np.random.Generator) -> Picture | None:
    """Image i of section A, or None when its font is not installed."""
    p = plan(i)
    digit, style = p["digit"], p["style"]
    if "font" in p:
        font = p["font"]
        if font not in installed_fonts():
            return None
        variant = {}

        def render(look, size):
            got = font_mark(font, str(digit), look, size, rng)
            if got is None:
                return None
            variant["v"] = got[1]
            return got[0]

        laid = single(style, rng, render)
        if laid is None:
            return None
        canvas, look, box = laid
        row = row_fields("digit", str(digit), look, f"font:{font.name}", variant["v"], [box], f"font:{font.name}")
    else:
        name = p["template"]
        specs = DIGIT_TEMPLATES[digit][name]
        laid = single(style, rng, lambda look, size: template_mark(specs, look, size, rng))
        canvas, look, box = laid
        row = row_fields("digit", str(digit), look, f"template:{name}", name, [box], f"template:{name}")
    return finish(canvas, look, rng, row)
