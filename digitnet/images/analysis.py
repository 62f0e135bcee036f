"""Find the ink in a user's image: the front half of the recipe, shared by one digit and a whole number.

The image is opened and flattened (a small picture enlarged to at least `MIN_WORK_SIDE` pixels: `enlarge_if_small`),
a working copy of at most `WORK_SIDE` pixels is made (of the sheet of paper alone, cut out of the photo at more
detail, when the photo shows the desk around it: `digitnet.images.sheet`) and analysed: polarity, the paper's
colour, the ink map with ruled lines taken out, and the ink pixels by hysteresis. The paper's colour is a closing
at a scale that suits the strokes: a coarse one (a sixth of the image) keeps even a marker's strokes, and bolder
ones get as much as they need (`closing_window`); for thin strokes, the common case, a fine one (a tenth) follows
uneven light and shadows more closely and still keeps them. A quick look at a quarter of the resolution tells
which. When nothing stands out, a second look at twice the detail looks for a faint hairline that the working copy
averaged away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from digitnet.errors import DigitnetError
from digitnet.images.background import Background, detect_polarity, ink_map, paper_background
from digitnet.images.ink import crop_box, ink_mask, ink_thresholds, smooth_3x3, stroke_width
from digitnet.images.opening import (
    LOAD_SIDE,
    WORK_SIDE,
    Source,
    enlarge_if_small,
    flatten_image,
    image_to_array,
    open_image,
    reduce_for_analysis,
)
from digitnet.images.ruling import without_ruled_lines
from digitnet.images.segment import digit_mask
from digitnet.images.sheet import SHEET_RIM, find_sheet, paint_surround, paper_within

FINE_SCALE = 0.1  # the closing's window for thin strokes, as a fraction of the working copy's longest side
COARSE_SCALE = 1 / 6  # the first closing's window: wider than a marker's strokes
# A bold marker digit can be wider still where its strokes meet or fill a small loop (a 4's junction, a
# 2's curl): a window narrower than that takes the middle of the ink for paper and leaves a hole, which
# the model reads as no digit. Such strokes get a window of 4 stroke widths, up to this much of the side
# (0.25, 1/3, 0.35 and 0.5 all closed the holes on two development draws; 0.35 refused fewest digits).
WIDEST_SCALE = 0.35
STROKE_ROOM = 4.0  # the closing's window must be this many stroke widths (plus 4 px) wide
PROBE_REDUCTION = 4  # the first look is at a quarter of the working copy's resolution
FAINT_SIDE = 2 * WORK_SIDE  # the second look, when the first found nothing: twice the detail ...
# ... where the image is blank unless this share of its pixels stand out (a 2 px line across a tenth of a
# 400 px copy is 0.2% of it). On two development draws this found 3 faint pencil digits that were "blank",
# and one salt-and-pepper image that is still refused; judged by the strongest pixel alone, as the first
# look judges, 14 noise and texture images were not blank there, and two of them read as digits.
STROKE_SHARE = 0.002


@dataclass
class Analysis:
    """What the front half of the recipe found in one image.

    Attributes:
        image: the flattened ("L" or "RGB") image at decoding resolution (large JPEGs decoded reduced, small
            pictures enlarged).
        decode_scale: the file's pixels per pixel of `image`: 1; 2, 4 or 8 for a JPEG decoded reduced; 1/2, 1/3 ...
            for a small picture enlarged (`enlarge_if_small`).
        working_image: the working copy analysed (at most WORK_SIDE px); `factor` image pixels per its pixel.
        background: the paper's colour (and polarity) on the working copy.
        ink: float32 [h, w], how strongly each working pixel is ink, in grey levels (ruled lines removed).
        smoothed: float32 [h, w], `ink` after a 3x3 mean (what the thresholds apply to).
        weak, strong: the hysteresis thresholds (grey levels).
        ink_pixels: bool [h, w], every ink pixel (hysteresis), before any is dropped as a speck or stray mark.
        origin: (x, y) of `image`'s top-left pixel in the decoded picture: (0, 0), or where the sheet of paper
            begins in a photo that shows the desk around it (`digitnet.images.sheet`; `image` is then the sheet).
        file_size: (width, height) of the file's picture, in its own pixels.
        picture: the whole picture at the working copy's size, for display (the working copy itself when no
            sheet was cut out of it).
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
    origin: tuple[int, int]
    file_size: tuple[int, int]
    picture: Image.Image

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

    @property
    def scale(self) -> float:
        """The file's pixels per working pixel: 1 when the image is analysed at its own resolution."""
        return self.factor * self.decode_scale

    def file_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A (top, bottom, left, right) box on the working copy as (x0, y0, x1, y1) in the file's pixels."""
        top, bottom, left, right = box
        x0, y0 = self.origin

        def in_file(working: int, origin: int) -> int:
            return round((working * self.factor + origin) * self.decode_scale)

        return in_file(left, x0), in_file(top, y0), in_file(right, x0), in_file(bottom, y0)


def _find_ink(working_image: Image.Image, working: np.ndarray, polarity: str, scale: float, label: str,
              stroke_share: float = 0.0, paper: np.ndarray | None = None) -> tuple:
    """(background, ink, smoothed, weak, strong, ink pixels) with a closing of `scale` working pixels (`paper`:
    bool [h, w], the sheet's own pixels when a sheet was cut out of a photo of a desk, else None)."""
    background = paper_background(working_image, polarity, scale)
    ink = without_ruled_lines(ink_map(working, background.sample(*working.shape[:2]), polarity), paper)
    smoothed = smooth_3x3(ink)
    weak, strong = ink_thresholds(smoothed, label, stroke_share)
    return background, ink, smoothed, weak, strong, ink_mask(smoothed, weak, strong)


def closing_window(room: float, side: int) -> float:
    """The paper closing's window in working pixels, for strokes that need `room` pixels on a `side`-px copy.

    Thin strokes (the common case) get the fine window, which follows uneven light and shadows closely and
    still keeps them; wider ones the coarse window, or as many pixels as they need up to `WIDEST_SCALE`.
    """
    if room <= FINE_SCALE * side:
        return FINE_SCALE * side
    return min(max(COARSE_SCALE * side, room), WIDEST_SCALE * side)


def analyse(source: Source, label: str) -> Analysis:
    """Open `source` and find its ink (see the module docstring).

    Raises:
        DigitnetError: the file is not a usable image, or it is blank (one line, starting with `label`).
    """
    opened = open_image(source, label, max_side=LOAD_SIDE)
    image, enlargement = enlarge_if_small(flatten_image(opened))
    decode_scale = float(opened.info.get("decode_scale", 1.0)) / enlargement
    try:
        return _analyse_at(image, decode_scale, WORK_SIDE, label)
    except DigitnetError:
        # A faint pencil line a pixel or two wide loses most of its contrast when box-averaged into the
        # working copy, and can sink below the paper's noise there: look once more at twice the detail
        # before calling the image blank (a blank image costs this second look; a digit found does not).
        # At that detail a photo's noise has single pixels as strong as such a line, so there a line must
        # be a stroke: STROKE_SHARE of the pixels must stand out.
        if max(image.size) <= WORK_SIDE:  # the working copy had every pixel already
            raise
        return _analyse_at(image, decode_scale, FAINT_SIDE, label, STROKE_SHARE)


def _analyse_at(image: Image.Image, decode_scale: float, max_side: int, label: str,
                stroke_share: float = 0.0) -> Analysis:
    """`analyse` on a working copy of at most `max_side` pixels (`stroke_share`: see `ink_thresholds`)."""
    file_size = tuple(round(side * decode_scale) for side in image.size)
    working_image, factor = reduce_for_analysis(image, max_side)
    working = image_to_array(working_image)
    origin, picture, paper = (0, 0), working_image, None
    sheet = find_sheet(working)
    if sheet is not None:  # a photo of a sheet on a desk: only the sheet is analysed, at the working copy's detail
        image, origin, working_image, factor, working, paper = _on_sheet(image, working_image, factor, sheet,
                                                                         max_side)
    polarity = detect_polarity(working)
    side = max(working.shape[:2])
    # The second look is for hairlines: the fine closing, without a probe.
    room = 0.0 if stroke_share else _stroke_room(working_image, polarity, side, label, paper)
    found = _find_ink(working_image, working, polarity, closing_window(room, side), label, stroke_share, paper)
    background, ink, smoothed, weak, strong, ink_pixels = found
    return Analysis(image, decode_scale, working_image, factor, background, ink, smoothed, weak, strong, ink_pixels,
                    origin, file_size, picture)


def _on_sheet(image: Image.Image, working_image: Image.Image, factor: int, sheet: np.ndarray, max_side: int):
    """The sheet (bool [h, w] on the working copy, `find_sheet`) cut out of `image` and reduced to a working
    copy of its own, its surround painted over: (image, origin, working image, factor, working pixels, paper),
    paper: bool [h, w] on the new copy, the sheet's pixels that were not painted over."""
    top, bottom, left, right = crop_box(sheet)
    origin = (left * factor, top * factor)
    image = image.crop((*origin, min(right * factor, image.width), min(bottom * factor, image.height)))
    cropped, cropped_factor = reduce_for_analysis(image, max_side)
    working = image_to_array(cropped)
    # the sheet at the new copy's pixel centres
    rows = ((origin[1] + (np.arange(working.shape[0]) + 0.5) * cropped_factor) / factor).astype(int)
    columns = ((origin[0] + (np.arange(working.shape[1]) + 0.5) * cropped_factor) / factor).astype(int)
    sheet = sheet[np.ix_(np.clip(rows, 0, sheet.shape[0] - 1), np.clip(columns, 0, sheet.shape[1] - 1))]
    # the sheet's edge is known to a pixel of the first copy: the rim painted over spans that much and more
    rim = SHEET_RIM * math.ceil(factor / cropped_factor) + 1
    working = paint_surround(working, sheet, rim)
    pixels = np.round(working[..., 0] if cropped.mode == "L" else working).astype(np.uint8)
    return image, origin, Image.fromarray(pixels, mode=cropped.mode), cropped_factor, working, paper_within(sheet, rim)


def _stroke_room(working_image: Image.Image, polarity: str, side: int, label: str,
                 paper: np.ndarray | None = None) -> float:
    """The room (working pixels) the strokes need in the paper's closing, from a first look at a quarter of
    the resolution with the coarse closing that keeps even wide strokes: it tells thin strokes from wide
    ones at a small part of the cost of a full look. 0 when that look finds no ink."""
    small = working_image.reduce(PROBE_REDUCTION) if min(working_image.size) >= 32 * PROBE_REDUCTION else working_image
    small_side = max(small.size)
    # the sheet (`paper`) where the copy is the working copy itself; a reduced one is at most 80 px wide, too narrow
    # for a ruling's tilt to be looked for (`ruling.MIN_BLOCKS`)
    paper = paper if small is working_image else None
    try:
        probe = _find_ink(small, image_to_array(small), polarity, COARSE_SCALE * small_side, label, paper=paper)
        # The writing's width, not a shadow's; the 3x3 smoothing widened every stroke by about 2 pixels.
        # (Writing is not freed from shadows here: at this resolution vignettes often touch the edge, and it
        # would cost 0.2 ms of a 5 ms budget to tell the same stroke width.)
        writing = digit_mask(probe[5], probe[2], label, quick_look=True)
        width = max(stroke_width(writing) - 2.0, 1.0) * side / small_side
    except DigitnetError:
        return 0.0  # faint strokes can drown in a coarse background's errors: the fine one decides
    return STROKE_ROOM * width + 4
