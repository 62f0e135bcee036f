"""Find the ink in a user's image: the front half of the recipe, shared by one digit and a whole number.

The image is opened and flattened, a working copy of at most `WORK_SIDE` pixels is analysed: polarity,
the paper's colour, the ink map with ruled lines taken out, and the ink pixels by hysteresis. The paper's
colour is a closing at a scale that suits the strokes: a coarse one (a sixth of the image) keeps even a
marker's strokes; for thin strokes, the common case, a fine one (a tenth) follows uneven light and shadows
more closely and still keeps them. A quick look at a quarter of the resolution tells which.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from digitnet.errors import DigitnetError
from digitnet.images.background import Background, detect_polarity, ink_map, paper_background
from digitnet.images.ink import ink_mask, ink_thresholds, smooth_3x3, stroke_width, without_ruled_lines
from digitnet.images.opening import LOAD_SIDE, Source, flatten_image, image_to_array, open_image, reduce_for_analysis
from digitnet.images.segment import digit_mask

FINE_SCALE = 0.1  # the closing's window for thin strokes, as a fraction of the working copy's longest side
COARSE_SCALE = 1 / 6  # the first closing's window: wider than a marker's strokes
STROKE_ROOM = 4.0  # the closing's window must be this many stroke widths (plus 4 px) wide
PROBE_REDUCTION = 4  # the first look is at a quarter of the working copy's resolution


@dataclass
class Analysis:
    """What the front half of the recipe found in one image.

    Attributes:
        image: the flattened ("L" or "RGB") image at decoding resolution (large JPEGs decoded reduced).
        decode_scale: the file's pixels per pixel of `image` (1, or 2, 4, 8 for a JPEG decoded reduced).
        working_image: the working copy analysed (at most WORK_SIDE px); `factor` image pixels per its pixel.
        background: the paper's colour (and polarity) on the working copy.
        ink: float32 [h, w], how strongly each working pixel is ink, in grey levels (ruled lines removed).
        smoothed: float32 [h, w], `ink` after a 3x3 mean (what the thresholds apply to).
        weak, strong: the hysteresis thresholds (grey levels).
        ink_pixels: bool [h, w], every ink pixel (hysteresis), before any is dropped as a speck or stray mark.
    """

    image: Image.Image
    decode_scale: float
    working_image: Image.Image
    factor: int
    background: Background
    ink: np.ndarray
    smoothed: np.ndarray
    weak: float
    strong: float
    ink_pixels: np.ndarray

    @property
    def polarity(self) -> str:
        return self.background.polarity

    @property
    def shape(self) -> tuple[int, int]:
        return self.ink.shape

    @cached_property
    def stroke(self) -> float:
        """The strokes' median width in working pixels."""
        return stroke_width(self.ink_pixels)

    def file_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A (top, bottom, left, right) box on the working copy as (x0, y0, x1, y1) in the file's pixels."""
        scale = self.factor * self.decode_scale
        top, bottom, left, right = box
        return round(left * scale), round(top * scale), round(right * scale), round(bottom * scale)


def _find_ink(working_image: Image.Image, working: np.ndarray, polarity: str, scale: float, label: str) -> tuple:
    """(background, ink, smoothed, weak, strong, ink pixels) with a closing of `scale` working pixels."""
    background = paper_background(working_image, polarity, scale)
    ink = without_ruled_lines(ink_map(working, background.sample(*working.shape[:2]), polarity))
    smoothed = smooth_3x3(ink)
    weak, strong = ink_thresholds(smoothed, label)
    return background, ink, smoothed, weak, strong, ink_mask(smoothed, weak, strong)


def analyse(source: Source, label: str) -> Analysis:
    """Open `source` and find its ink (see the module docstring).

    Raises:
        DigitnetError: the file is not a usable image, or it is blank (one line, starting with `label`).
    """
    opened = open_image(source, label, max_side=LOAD_SIDE)
    decode_scale = float(opened.info.get("decode_scale", 1.0))
    image = flatten_image(opened)
    working_image, factor = reduce_for_analysis(image)
    working = image_to_array(working_image)
    polarity = detect_polarity(working)
    side = max(working.shape[:2])
    # A first look at a quarter of the resolution, with the coarse closing that keeps even wide strokes, tells
    # thin strokes from wide ones at a small part of the cost of a full look.
    small = working_image.reduce(PROBE_REDUCTION) if min(working_image.size) >= 32 * PROBE_REDUCTION else working_image
    small_side = max(small.size)
    try:
        probe = _find_ink(small, image_to_array(small), polarity, COARSE_SCALE * small_side, label)
        # The writing's width, not a shadow's; the 3x3 smoothing widened every stroke by about 2 pixels.
        width = max(stroke_width(digit_mask(probe[5], probe[2], label)) - 2.0, 1.0) * side / small_side
        wide = STROKE_ROOM * width + 4 > FINE_SCALE * side
    except DigitnetError:
        wide = False  # faint strokes can drown in a coarse background's errors: the fine one decides
    # Thin strokes: the fine closing follows uneven light and shadows closely and still keeps them.
    found = _find_ink(working_image, working, polarity, (COARSE_SCALE if wide else FINE_SCALE) * side, label)
    background, ink, smoothed, weak, strong, ink_pixels = found
    return Analysis(image, decode_scale, working_image, factor, background, ink, smoothed, weak, strong, ink_pixels)

