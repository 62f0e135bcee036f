"""Section D: phone photos of the sheet lying on a desk or a table, the surface around it in the picture.

Image i is a photo-style picture of section A (a digit), C (a number) or B (not one digit), drawn exactly as
that section draws it (the same seed gives the same picture), then laid on a surface: dark or light wood, grey
laminate, a dark patterned cloth or a worn grey top, turned by up to 12 degrees, the sheet spanning 35-80% of
the frame and now and then running off its bottom edge, under light that falls off across the picture. The
sheets are the other sections' pictures, cut close round the writing, so writing often comes near the sheet's
edge: harder than most real photos.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from .picture import Picture

PHOTO_STYLES = ("pencil", "ballpoint", "marker", "fountain_pen")  # canvas drawings are never photographed on a desk
SOURCES = (("A", 1500, 0.5), ("C", 600, 0.3), ("B", 330, 0.2))  # section, its default count, share of section D
SURFACES = ("dark_wood", "light_wood", "laminate", "cloth", "worn")
LONGEST_SIDE = 2000  # the photo's longer side at most, in pixels


def surface(kind: str, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """float32 [height, width, 3]: a desk or table top seen from above."""
    columns = np.arange(width, dtype=np.float32)[None, :, None]
    if kind in ("dark_wood", "light_wood"):
        base = rng.uniform([60, 35, 20], [110, 70, 45]) if kind == "dark_wood" else rng.uniform([150, 105, 60],
                                                                                                [200, 150, 100])
        wobble = rng.normal(0, 0.3, (height, 1, 1)).cumsum(axis=0) * 0.05
        grain = np.sin(columns / rng.uniform(4, 10) + wobble) * rng.uniform(8, 20)
        pixels = base + grain * np.array([1.0, 0.7, 0.4])
    elif kind == "laminate":
        pixels = np.full((height, width, 3), rng.uniform(95, 150), np.float32) + rng.normal(0, 3, (height, width, 1))
    elif kind == "cloth":
        cell = int(rng.integers(8, 20))
        check = ((np.arange(height)[:, None] // cell + np.arange(width)[None, :] // cell) % 2)[..., None]
        pixels = rng.uniform([20, 30, 50], [70, 90, 150]) + 18.0 * check
    else:
        pixels = rng.uniform(50, 110) + rng.normal(0, 12, (height, width, 3))
    return np.broadcast_to(pixels, (height, width, 3)).astype(np.float32)


def photo_picture(rng: np.random.Generator, source: Callable[[str, int], Picture | None],
                  plain_paper: bool = False) -> Picture | None:
    """A photo-style picture of section A, C or B (in SOURCES' shares), on plain paper if `plain_paper`;
    `source(section, j)` draws image j of another section. None when none came up in a few tries (or its font
    is not installed)."""
    shares = np.array([share for _, _, share in SOURCES])
    for _ in range(12):
        section, count, _ = SOURCES[int(rng.choice(len(SOURCES), p=shares / shares.sum()))]
        picture = source(section, int(rng.integers(count)))
        if picture is not None and picture.look.style in PHOTO_STYLES and \
                (not plain_paper or picture.look.ruling == "plain"):
            return picture
    return None


def make(index: int, rng: np.random.Generator, source: Callable[[str, int], Picture | None]) -> Picture | None:
    """Image i of section D (`photo_picture` drawn with `source`, laid on a desk), or None."""
    picture = photo_picture(rng, source)
    if picture is None:
        return None
    sheet = picture.image.convert("RGB")
    cover = rng.uniform(0.35, 0.8)  # share of the frame's sides the sheet spans
    shrink = min(1.0, LONGEST_SIDE * cover / max(sheet.size))
    if shrink < 1.0:
        sheet = sheet.resize((round(sheet.width * shrink), round(sheet.height * shrink)), Image.Resampling.BOX)
    width, height = round(sheet.width / cover), round(sheet.height / cover)
    kind = SURFACES[int(rng.integers(len(SURFACES)))]
    angle = float(rng.uniform(-12, 12))
    turned = sheet.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    where = Image.new("L", sheet.size, 255).rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    photo = Image.fromarray(np.clip(surface(kind, width, height, rng), 0, 255).astype(np.uint8))
    left = int(rng.integers(0, max(1, width - turned.width)))
    top = height - int(0.85 * turned.height) if rng.random() < 0.2 else \
        int(rng.integers(0, max(1, height - turned.height)))
    photo.paste(turned, (left, top), where)
    light = np.linspace(rng.uniform(0.8, 0.95), rng.uniform(1.0, 1.1), width, dtype=np.float32)[None, :, None]
    pixels = np.asarray(photo, np.float32) * light + rng.normal(0, 2.5, (height, width, 3))
    # source names the surface (what drew the marks stays in renderer); the boxes were the sheet's, not the photo's
    row = {**picture.row, "source": kind, "boxes": "[]"}
    return Picture(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), picture.look, row)
