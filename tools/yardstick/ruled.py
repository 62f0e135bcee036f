"""Section E: photos of writing on ruled or squared paper, the camera turned a little against the ruling.

Image i is a photo-style picture of section A (a digit), C (a number) or B (not one digit) on plain paper, drawn
exactly as that section draws it (the same seed gives the same picture), with the printed lines of a ruled or
squared sheet laid under it as the yardstick's own ruled paper has them (`capture.printed_lines`: the same
spacing, colours and strengths), but turned by 0.5 to 8 degrees either way, as a photo taken by hand is turned
against the page. The writing stays as it was drawn, so what changes is only the lines' tilt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from .capture import printed_lines
from .desk import photo_picture
from .picture import Picture

RULINGS = ("lined", "squared")
TILT_DEGREES = (0.5, 8.0)  # either way


def make(index: int, rng: np.random.Generator, source: Callable[[str, int], Picture | None]) -> Picture | None:
    """Image i of section E (`desk.photo_picture` on plain paper, drawn with `source`, the turned lines laid
    under its writing), or None."""
    picture = photo_picture(rng, source, plain_paper=True)
    if picture is None:
        return None
    ruling = RULINGS[int(rng.integers(len(RULINGS)))]
    degrees = float(rng.uniform(*TILT_DEGREES) * rng.choice([-1, 1]))
    pixels = np.asarray(picture.image.convert("RGB"), np.float32)
    mask, colour, strength = printed_lines(pixels.shape[:2], ruling, rng, degrees)
    # printed under the writing, in the same light: the line's colour multiplies whatever lies on it
    lined = pixels * (1 - strength * mask[..., None] * (1 - colour / 255.0))
    row = {**picture.row, "source": ruling}  # source names the ruling (what drew the marks stays in renderer)
    return Picture(Image.fromarray(np.clip(np.round(lined), 0, 255).astype(np.uint8)), picture.look, row)
