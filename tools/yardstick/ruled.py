"""Section E: photos of writing on ruled or squared paper, the camera turned a little against the ruling.

Image i is a photo-style picture of section A (a digit), C (a number) or B (not one digit) on plain paper, drawn
exactly as that section draws it (the same seed gives the same picture), with the printed lines of a ruled or
squared sheet laid under it as the yardstick's own ruled paper has them (`capture.paper`: the same spacing,
colours and strengths), but turned by 0.5 to 8 degrees either way, as a photo taken by hand is turned against
the page. The writing stays as it was drawn, so what changes is only the lines' tilt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from .desk import PHOTO_STYLES, SOURCES
from .picture import Picture

RULINGS = ("lined", "squared")
TILT_DEGREES = (0.5, 8.0)  # either way


def ruling_mask(shape: tuple[int, int], ruling: str, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """float32 [h, w] in [0, 1]: printed lines about 2 px wide, `spacing` apart, turned by `degrees`."""
    height, width = shape
    spacing = rng.uniform(0.05, 0.09) * max(height, width)
    offset = rng.uniform(0, spacing)
    angle = np.radians(degrees)
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    across = rows * np.cos(angle) - columns * np.sin(angle)  # constant along a turned horizontal line

    def lines(distance: np.ndarray) -> np.ndarray:
        return np.clip(1.2 - np.abs(((distance - offset + spacing / 2) % spacing) - spacing / 2), 0, 1)

    mask = lines(across)
    if ruling == "squared":
        mask = np.maximum(mask, lines(columns * np.cos(angle) + rows * np.sin(angle)))
    return mask


def make(index: int, rng: np.random.Generator, source: Callable[[str, int], Picture | None]) -> Picture | None:
    """Image i of section E; `source(section, j)` draws image j of another section. None when no photo-style
    picture on plain paper came up in a few tries (or its font is not installed)."""
    shares = np.array([share for _, _, share in SOURCES])
    for _ in range(12):
        section, count, _ = SOURCES[int(rng.choice(len(SOURCES), p=shares / shares.sum()))]
        picture = source(section, int(rng.integers(count)))
        if picture is not None and picture.look.style in PHOTO_STYLES and picture.look.ruling == "plain":
            break
    else:
        return None
    ruling = RULINGS[int(rng.integers(len(RULINGS)))]
    degrees = float(rng.uniform(*TILT_DEGREES) * rng.choice([-1, 1]))
    pixels = np.asarray(picture.image.convert("RGB"), np.float32)
    mask = ruling_mask(pixels.shape[:2], ruling, degrees, rng)
    colour = np.array([160, 185, 225], np.float32) if rng.random() < 0.7 else np.array([170, 170, 175], np.float32)
    strength = rng.uniform(0.2, 0.45)
    # printed under the writing, in the same light: the line's colour multiplies whatever lies on it
    lined = pixels * (1 - strength * mask[..., None] * (1 - colour / 255.0))
    row = {**picture.row, "source": ruling}  # source names the ruling (what drew the marks stays in renderer)
    return Picture(Image.fromarray(np.clip(np.round(lined), 0, 255).astype(np.uint8)), picture.look, row)
