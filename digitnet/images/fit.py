"""The digit cut out at detail resolution, its strokes brought to MNIST's width, fitted and centred.

MNIST digits are white strokes on black, size-normalised to fit a 20x20 box (aspect ratio kept,
anti-aliased) and placed in 28x28 so that the centre of mass of the pixel intensities sits at the centre.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitnet.images.background import Background, ink_map
from digitnet.images.ink import InkLevels, crop_box
from digitnet.images.opening import image_to_array

CANVAS_SIZE = 28  # MNIST's image size
FIT_SIZE = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 canvas
CANVAS_CENTER = 14.0  # MNIST's mean centre of mass, in pixel indices (row, column)
DETAIL_SIDE = 64  # the digit is cut out at 3x to 6x its final 20 px (or at the resolution there is)
MNIST_STROKE_WIDTH = 2.3  # median stroke width of MNIST test digits, in 28x28 pixels
THIN_STROKE_WIDTH = 1.6  # strokes thinner than this after fitting are thickened to MNIST's width
# A run of touching digits for the line reader is thickened less: digits written in a row are narrower than
# MNIST's, and at MNIST's stroke width their loops close up ("6" and "9" become blobs). On two development draws
# (600 touching numbers) 1.8 (below 1.4) read 282 right and 79 wrong, MNIST's 2.3 (below 1.6) 274 and 81; 2.0
# read 280 and 82, 1.6 (below 1.2) 273 and 75. Single digits keep MNIST's width.
LINE_STROKE_WIDTH = 1.8
LINE_THIN_STROKE_WIDTH = 1.4


def _pixel_centres(count: int, step: float = 1.0, start: float = 0.0) -> np.ndarray:
    """float32 [count]: centres of ``count`` pixels of size ``step`` starting at ``start`` (working px)."""
    return start + (np.arange(count, dtype=np.float32) + 0.5) * step


def margin_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of a non-empty mask's ink plus one working pixel each side (inside the image):
    the margin keeps a digit's anti-aliased fringe, and the mask is grown by one pixel to match."""
    top, bottom, left, right = crop_box(mask)
    return max(0, top - 1), min(mask.shape[0], bottom + 1), max(0, left - 1), min(mask.shape[1], right + 1)


@dataclass
class SoftRegion:
    """A region of the full-resolution image as a soft ink map, unmasked, and where each of its pixels lies
    on the working copy.

    Attributes:
        soft: float32 [rows, columns] in [0, 1], 1 = stroke core.
        rows, columns: intp [rows], [columns]: the working pixel each region row / column falls in.
        box: (top, bottom, left, right) of the region on the working copy (working pixels).
    """

    soft: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    box: tuple[int, int, int, int]

    def __post_init__(self) -> None:
        # The working row / column of each region pixel, where one past the region's own box (the last of a
        # reduction that did not divide evenly) counts as the box's last: never decreasing, so the pixels
        # near a mask's box are found by a binary search.
        self._box_rows = np.clip(self.rows, self.box[0], self.box[1] - 1)
        self._box_columns = np.clip(self.columns, self.box[2], self.box[3] - 1)

    def masked(self, mask: np.ndarray, origin: tuple[int, int] = (0, 0),
               grid: tuple[int, int] | None = None) -> np.ndarray:
        """The ink near `mask` (bool [h, w], grown by one pixel), cropped to the mask's box plus one working
        pixel: float32 [r, c] in [0, 1], as `extract_digit` cuts a digit out (all zero when the mask is empty).

        `mask` is on the working copy, or on a part of it whose top-left working pixel is `origin` (row,
        column) in a working copy of `grid` (rows, columns) pixels: a glyph's pieces are cut on the glyph's
        box, and looking at each only there saves a copy the size of the image per piece.
        """
        if not mask.any():
            return np.zeros((1, 1), np.float32)
        grid = mask.shape if grid is None else grid
        ink_top, ink_bottom, ink_left, ink_right = crop_box(mask)
        top, left = ink_top + origin[0] - 1, ink_left + origin[1] - 1  # the grown ink's first working pixel
        # the margin box (see `margin_box`), on the working copy
        box_top, box_bottom = max(0, top), min(grid[0], ink_bottom + origin[0] + 1)
        box_left, box_right = max(0, left), min(grid[1], ink_right + origin[1] + 1)
        first_row, end_row = np.searchsorted(self._box_rows, (box_top, box_bottom))
        first_column, end_column = np.searchsorted(self._box_columns, (box_left, box_right))
        if first_row >= end_row or first_column >= end_column:
            return np.zeros((1, 1), np.float32)
        near_ink = _grown_by_one(mask[ink_top:ink_bottom, ink_left:ink_right])
        # each region pixel looks up the working pixel it falls in (inside the margin box)
        rows = np.clip(self.rows[first_row:end_row], box_top, box_bottom - 1) - top
        columns = np.clip(self.columns[first_column:end_column], box_left, box_right - 1) - left
        near = near_ink[rows[:, None], columns[None, :]]
        soft = self.soft[first_row:end_row, first_column:end_column]
        return np.where(near, soft, 0.0).astype(np.float32)


def _grown_by_one(mask: np.ndarray) -> np.ndarray:
    """bool [h, w] -> bool [h + 2, w + 2]: the mask grown by one pixel in all eight directions (a 3x3 binary
    dilation of the mask with a blank border). For the small masks of a glyph's pieces this takes about 10 us,
    `scipy.ndimage.binary_dilation` about 40 us (its set-up dominates), and a number's glyphs have dozens."""
    height, width = mask.shape
    tall = np.zeros((height + 2, width), dtype=bool)
    for shift in range(3):
        tall[shift : shift + height] |= mask
    grown = np.zeros((height + 2, width + 2), dtype=bool)
    for shift in range(3):
        grown[:, shift : shift + width] |= tall
    return grown


def soft_region(image: Image.Image, factor: int, background: Background, levels: InkLevels,
                box: tuple[int, int, int, int], detail_side: int = DETAIL_SIDE) -> SoftRegion:
    """The working-copy `box` (top, bottom, left, right) cut from the flattened full-resolution image as a soft
    ink map, reduced (box averaging) so that its long side is `detail_side` to twice that when the image has
    that much resolution. Ink is measured against the background and levels found on the working copy."""
    top, bottom, left, right = box
    width, height = image.size
    crop = (left * factor, top * factor, min(width, right * factor), min(height, bottom * factor))
    step = max(1, max(crop[2] - crop[0], crop[3] - crop[1]) // detail_side)
    region = image.crop(crop)
    if step > 1:
        region = region.reduce(step)
    pixels = image_to_array(region)
    scale = step / factor  # working pixels per region pixel
    region_background = background.sample(pixels.shape[0], pixels.shape[1], top, left, scale)
    ink = ink_map(pixels, region_background, background.polarity)
    soft = np.clip((ink - levels.low) / (levels.high - levels.low), 0.0, 1.0)
    rows = _pixel_centres(pixels.shape[0], scale, top).astype(np.intp)
    columns = _pixel_centres(pixels.shape[1], scale, left).astype(np.intp)
    return SoftRegion(soft, rows, columns, box)


def extract_digit(
    image: Image.Image,
    factor: int,
    background: Background,
    levels: InkLevels,
    mask: np.ndarray,
    detail_side: int = DETAIL_SIDE,
) -> np.ndarray:
    """The digit's region cut from the flattened full-resolution image, as a soft ink map.

    The region is reduced (box averaging) so that the digit's long side is `detail_side` to twice that when
    the image has that much resolution, so a small digit on a large canvas is not limited to the working
    copy's resolution. Ink is measured against the same background and levels as in the working copy and
    kept only near the digit's mask (which drops specks and other marks).

    Args:
        image: the flattened ("L" or "RGB") image the working copy was reduced from.
        factor: how many of its pixels one working pixel spans (``reduce_for_analysis``).
        background: the background estimated on the working copy.
        levels: ink levels found on the working copy.
        mask: bool [h, w] on the working copy, the digit's pixels.

    Returns:
        float32 [rows, columns] in [0, 1], 1 = stroke core; the digit with a margin of a few pixels.
    """
    return soft_region(image, factor, background, levels, margin_box(mask), detail_side).masked(mask)


def stroke_width(digit: np.ndarray) -> float:
    """The mean stroke width in pixels of a soft digit (float32 [h, w] in [0, 1]).

    Ink area over half the outline length: for a band of width w and length L the area is w*L and the
    outline about 2*L. The outline is counted as pixel-edge crossings, which overcount a slanted edge's
    length by 4/pi on average over directions (Cauchy-Crofton), hence the correction.
    """
    core = digit >= 0.5 * float(digit.max())
    crossings = np.count_nonzero(core[1:] != core[:-1]) + np.count_nonzero(core[:, 1:] != core[:, :-1])
    crossings += int(core[0].sum() + core[-1].sum() + core[:, 0].sum() + core[:, -1].sum())
    area = float(digit.sum()) / float(digit.max())
    return 8.0 * area / (math.pi * max(crossings, 1))


def thicken_strokes(digit: np.ndarray, fit_size: int = FIT_SIZE, width: float = MNIST_STROKE_WIDTH,
                    thin: float = THIN_STROKE_WIDTH) -> np.ndarray:
    """Widen strokes that would be thinner than ``thin`` px after fitting into ``fit_size`` px.

    A fine pen on a big drawing would shrink to a faint hairline of under a pixel, unlike anything in
    MNIST. The core (pixels at least half the peak) is grown by a disc, via the distance transform, to
    ``width`` fitted px (MNIST's median width unless told otherwise), with a one-pixel anti-aliased edge.

    Args:
        digit: float32 [h, w] in [0, 1], the cropped digit.

    Returns:
        float32 [h + 2r, w + 2r] in [0, 1]: the digit, unchanged when its strokes are wide enough.
    """
    if not digit.any():
        return digit
    measured = stroke_width(digit)
    pixels_per_fitted_pixel = max(digit.shape) / fit_size
    if measured / pixels_per_fitted_pixel >= thin:
        return digit
    radius = (width * pixels_per_fitted_pixel - measured) / 2.0
    pad = math.ceil(radius) + 1
    padded = np.zeros((digit.shape[0] + 2 * pad, digit.shape[1] + 2 * pad), np.result_type(digit, 1.0))
    padded[pad:-pad, pad:-pad] = digit / float(digit.max())
    distance = ndimage.distance_transform_edt(padded < 0.5)
    grown = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    return np.maximum(padded, grown)


def _cropped_and_resized(image: np.ndarray, scale_for: Callable[[int, int], float]) -> np.ndarray:
    """Crop to the ink (above 5% of the peak) and resize by ``scale_for(height, width)``, aspect ratio kept:
    area averaging (BOX) when shrinking, as MNIST's anti-aliased normalisation; bilinear when enlarging."""
    top, bottom, left, right = crop_box(image > 0.05 * float(image.max()))
    cropped = np.ascontiguousarray(image[top:bottom, left:right], dtype=np.float32)
    height, width = cropped.shape
    scale = scale_for(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(cropped, mode="F").resize(new_size, resample)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, None)


def fit_into_box(digit: np.ndarray, size: int = FIT_SIZE) -> np.ndarray:
    """Crop to the ink and resize so the longest side is ``size`` px, aspect ratio kept, anti-aliased.

    Args:
        digit: float32 [h, w] >= 0 (not all zero).

    Returns:
        float32 [rows, columns], max(rows, columns) == size.
    """
    return _cropped_and_resized(digit, lambda height, width: size / max(height, width))


def fit_to_height(run: np.ndarray, height: int = FIT_SIZE) -> np.ndarray:
    """Crop a run of digits (float32 [h, w] >= 0, not all zero) to its ink and resize it so that it is
    `height` px tall, aspect ratio kept: a line of digits at MNIST's digit size. float32 [height, columns]."""
    return _cropped_and_resized(run, lambda rows, columns: height / rows)


def center_by_mass(fitted: np.ndarray, canvas_size: int = CANVAS_SIZE) -> np.ndarray:
    """Place the fitted digit in a canvas so its centre of mass lands on MNIST's centre (14, 14).

    Like MNIST, the shift is a whole number of pixels (so the centre of mass is within half a pixel), and
    the digit is never pushed over the canvas's edge.

    Args:
        fitted: float32 [h, w], h and w at most canvas_size.

    Returns:
        float32 [canvas_size, canvas_size].
    """
    height, width = fitted.shape
    total = float(fitted.sum())
    if total > 0:
        com_y = float(np.arange(height) @ fitted.sum(axis=1)) / total
        com_x = float(np.arange(width) @ fitted.sum(axis=0)) / total
    else:
        com_y, com_x = (height - 1) / 2, (width - 1) / 2
    top = min(max(round(CANVAS_CENTER - com_y), 0), canvas_size - height)
    left = min(max(round(CANVAS_CENTER - com_x), 0), canvas_size - width)
    canvas = np.zeros((canvas_size, canvas_size), dtype=np.float32)
    canvas[top : top + height, left : left + width] = fitted
    return canvas


def mnist_uint8(canvas: np.ndarray) -> np.ndarray:
    """float [h, w] -> uint8 [784] stored as MNIST stores a digit: fitted into 20x20, centred by mass,
    the strongest pixel at 255. Negative values count as no ink; a canvas with no ink gives all zeros.
    Used where training code draws its own digits and shapes."""
    canvas = np.clip(canvas, 0.0, None)
    if not canvas.any():
        return np.zeros(CANVAS_SIZE * CANVAS_SIZE, np.uint8)
    centred = center_by_mass(fit_into_box(canvas.astype(np.float32)))
    return np.round(centred / float(centred.max()) * 255.0).astype(np.uint8).reshape(-1)


def scale_to_unit(canvas: np.ndarray) -> np.ndarray:
    """float32 [28, 28] >= 0 -> float32 [784] in [0, 1], the strongest pixel at exactly 1.0."""
    peak = float(canvas.max())
    scaled = canvas / peak if peak > 0 else canvas
    return np.clip(scaled, 0.0, 1.0).astype(np.float32).reshape(-1)

