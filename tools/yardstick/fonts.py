"""Handwriting-style fonts from Debian packages: which ones, whether installed, and their glyphs.

The list is fixed here (FONT_PACKAGES) and the yardstick picks a font by image index, not by
what happens to be installed, so an image either comes out identical on every machine or is
skipped where its font is missing.  Each font was inspected on a contact sheet of its 0-9;
rejected ones are listed in REJECTED with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .skeleton import glyph_drawing


@dataclass(frozen=True)
class Font:
    """One font file: short name used in labels.csv, its Debian package and path."""

    name: str
    package: str
    path: str


FONT_PACKAGES: dict[str, list[tuple[str, str]]] = {
    # package: [(short name, font file)]
    "fonts-comic-neue": [("comic_neue_bold", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf")],
    "fonts-dkg-handwriting": [("dkg", "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf")],
    "fonts-bwht": [("because_we_organize", "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf")],
    "fonts-humor-sans": [("humor_sans", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf")],
    "fonts-rufscript": [("rufscript", "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf")],
    "fonts-sjfonts": [("steve_hand", "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf")],
    "fonts-dancingscript": [("dancing_script", "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf")],
}

REJECTED: dict[str, str] = {
    "fonts-breip": "its 0 is open at the top like a U, and its 2 is a Z with a long tail: not read instantly",
    "fonts-femkeklaver": "hollow (outlined) digits: nobody writes an outline",
    "fonts-ecolier-court": "French school cursive with hairline serifs: small on the em, looks typeset",
    "fonts-klee": "Japanese textbook face (Klee One): too regular to pass for handwriting, large package",
    "fonts-kristi": "very condensed, light script; its 4 is closed and rounded and reads as 9 once redrawn thin",
    "fonts-kaushanscript": "heavy brush lettering: looks like a shop sign, not like someone's digit",
    "fonts-sjfonts Delphine.ttf": "scrawled: digits collide and 5/6 are ambiguous",
    "fonts-bwht BecauseWeLearn/Create/Mentor/Build": "6 looks like a b, others too condensed or spiky",
    "fonts-bwht BecauseWeConnect": "legible, but too close to BecauseWeOrganize (one face per family)",
    "other weights (Comic Neue light/italic, dkg italic/bold, Dancing Script bold)": "one face per family",
}

FONTS: list[Font] = [Font(name, pkg, path) for pkg, items in FONT_PACKAGES.items() for name, path in items]

APT_LINE = "apt-get install -y --no-install-recommends " + " ".join(FONT_PACKAGES)

REF_SIZE = 240  # font size (px) at which glyphs are measured and traced


def installed_fonts() -> list[Font]:
    """The fonts of FONTS whose file exists on this machine, in FONTS order."""
    return [f for f in FONTS if os.path.exists(f.path)]


def missing_packages() -> list[str]:
    """Debian packages of FONT_PACKAGES with at least one font file missing."""
    return [pkg for pkg, items in FONT_PACKAGES.items() if not all(os.path.exists(p) for _, p in items)]


def font_by_name(name: str) -> Font:
    return next(f for f in FONTS if f.name == name)


@lru_cache(maxsize=64)
def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def render_mask(font: Font, char: str, size: int, stroke: int = 0) -> np.ndarray:
    """Glyph coverage as uint8 (H, W), cropped to the ink with a 2 px border.

    size: font size in px; stroke: extra outline width in px (FreeType stroker), used to thicken
    thin fonts for the wide-brush styles.
    """
    ft = _truetype(font.path, int(size))
    x0, y0, x1, y1 = ft.getbbox(char, stroke_width=stroke)
    img = Image.new("L", (x1 - x0 + 4, y1 - y0 + 4), 0)
    ImageDraw.Draw(img).text((2 - x0, 2 - y0), char, font=ft, fill=255, stroke_width=stroke, stroke_fill=255)
    a = np.asarray(img)
    rows, cols = np.nonzero(a > 8)
    if len(rows) == 0:
        return a[:0, :0]
    return a[max(0, rows.min() - 2):rows.max() + 3, max(0, cols.min() - 2):cols.max() + 3]


@dataclass(frozen=True)
class Glyph:
    """A glyph measured at REF_SIZE.

    ink_height: px height of the ink at REF_SIZE (to choose the size for a wanted height);
    width_frac: median stroke width / ink height; drawing: centre lines, normalised to height 1.
    """

    ink_height: int
    width_frac: float
    drawing: tuple


@lru_cache(maxsize=512)
def glyph(font_name: str, char: str) -> Glyph | None:
    """Measure and trace one glyph (cached per process); None when the font lacks it."""
    font = font_by_name(font_name)
    a = render_mask(font, char, REF_SIZE)
    if a.size == 0 or not has_glyph(font, char):
        return None
    drawing, width = glyph_drawing(a > 127)
    h = a.shape[0] - 4
    x0 = min(float(s[:, 0].min()) for s in drawing)
    y0 = min(float(s[:, 1].min()) for s in drawing)
    norm = tuple((s - [x0, y0]) / h for s in drawing)
    return Glyph(ink_height=h, width_frac=width / h, drawing=norm)


@lru_cache(maxsize=512)
def has_glyph(font: Font, char: str) -> bool:
    """True unless the font draws the same box for char as for an unassigned code point (tofu)."""
    tofu = render_mask(font, "\ue000", REF_SIZE)
    got = render_mask(font, char, REF_SIZE)
    return got.size > 0 and not (got.shape == tofu.shape and np.array_equal(got, tofu))
