"""Prepare a person's own photo or drawing of a digit the way MNIST prepared its digits.

MNIST digits are white strokes on black, size-normalised to fit a 20x20 box (aspect ratio kept,
anti-aliased) and placed in 28x28 so that the centre of mass of the pixel intensities sits at the centre.
A model trained on them guesses at chance on anything else, so a user's image goes through the same steps:

1. ``analyse`` (`digitnet.images.analysis`): open the file safely (refusing what is not a readable image
   before decoding pixels), take the first frame, honour EXIF orientation, composite transparency, bring
   every mode to gray or RGB; cut out the sheet of paper when the photo shows the desk around it
   (`digitnet.images.sheet`); then on a working copy find the polarity, the paper's colour (uneven light
   and shadows included), how strongly each pixel is ink, and the ink pixels, with a threshold set by the
   paper's own noise so that faint pencil counts and sensor noise does not.
2. ``digit_mask``: the digit's connected parts, without specks or marks far from it.
3. ``extract_digit``: the digit's region cut out of the full-resolution image again, as a soft [0, 1]
   ink map, at 3x to 6x its final size (so a small digit on a big canvas keeps its detail).
4. ``thicken_strokes``: thin pen strokes and hairlines widened to MNIST's width (~2.3 px after fitting).
5. ``fit_into_box``: longest side to 20 px, aspect ratio kept, anti-aliased (area averaging).
6. ``center_by_mass``: placed in 28x28 with the centre of mass at the centre, as MNIST did.
7. ``scale_to_unit``: float32 [784] in [0, 1], the strongest strokes at 1.0.

``prepare_image`` runs them all (``preparation_steps`` too, keeping every intermediate for display);
``naive_resize_and_invert`` keeps the classic notebooks' approach as the
baseline to compare against. Every problem with the input is a ``DigitnetError`` whose single-line message
starts with the file's name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digitnet.errors import DigitnetError
from digitnet.images.analysis import Analysis, analyse
from digitnet.images.background import POLARITIES
from digitnet.images.fit import (
    CANVAS_SIZE,
    DETAIL_SIDE,
    FIT_SIZE,
    LINE_STROKE_WIDTH,
    LINE_THIN_STROKE_WIDTH,
    SoftRegion,
    center_by_mass,
    extract_digit,
    fit_into_box,
    fit_to_height,
    margin_box,
    scale_to_unit,
    soft_region,
    stroke_width,
    thicken_strokes,
)
from digitnet.images.ink import crop_box, find_ink_levels
from digitnet.images.opening import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    Source,
    display_copy,
    flatten_image,
    name_of,
    open_image,
)
from digitnet.images.segment import digit_mask

__all__ = [
    "Analysis", "analyse", "back_half", "CANVAS_SIZE", "FIT_SIZE", "LINE_STROKE_WIDTH", "LINE_THIN_STROKE_WIDTH",
    "MAX_FILE_BYTES", "MAX_PIXELS", "POLARITIES",
    "PreparedImage", "center_by_mass", "fit_into_box", "flatten_image", "line_pixels", "naive_resize_and_invert",
    "open_image", "piece_preparer", "prepare_image", "prepare_images",
    "preparation_steps", "stroke_width", "thicken_strokes",
]


@dataclass
class PreparedImage:
    """A user's image made ready for the model.

    Attributes:
        source: the file's path as given, or ``'<image>'`` for bytes and PIL images without a name.
        pixels: float32 [784] in [0, 1], white digit on black, row-major 28x28: what the model sees.
        polarity: ``'dark-on-light'`` (ink on paper) or ``'light-on-dark'`` as detected in the image.
        original: RGB image after EXIF rotation and transparency compositing, at most 256 px, for display.
    """

    source: str
    pixels: np.ndarray
    polarity: str
    original: Image.Image

    @property
    def digit28(self) -> np.ndarray:
        """uint8 [28, 28]: the 28x28 the model sees, for display (``pixels * 255``)."""
        return np.round(self.pixels.reshape(CANVAS_SIZE, CANVAS_SIZE) * 255.0).astype(np.uint8)



def prepare_image(
    source: Source,
    name: str | None = None,
) -> PreparedImage:
    """Prepare a photo or drawing of one digit for the model, as MNIST prepared its digits.

    Args:
        source: a path (str or Path), the file's raw bytes, or a PIL image.
        name: what to call it in messages and in ``PreparedImage.source`` (default: the path or
            ``'<image>'``).

    Returns:
        A ``PreparedImage``: ``pixels`` float32 [784] in [0, 1], the polarity found, the image for display.

    Raises:
        DigitnetError: the file is not a usable image, or no digit is found in it (one line, starting with
            the file's name).
    """
    label = name_of(source, name)
    steps = preparation_steps(source, label)
    return PreparedImage(label, steps["pixels"], steps["polarity"], display_copy(steps["working_image"]))


def preparation_steps(
    source: Source,
    name: str | None = None,
) -> dict:
    """Run the recipe and keep every intermediate result, for showing the steps (the notebook does).

    Returns a dict:
        working_image: PIL image, the flattened copy that was analysed (at most WORK_SIDE px).
        polarity: "dark-on-light" or "light-on-dark".
        ink: float32 [height, width], how strongly each working pixel is ink (gray levels).
        mask: bool [height, width], the pixels kept as the digit.
        digit: float32 [h, w] in [0, 1], the digit cut out of the full-resolution image.
        thickened: float32, the digit with hairline strokes widened (unchanged when wide enough).
        fitted: float32 [rows, columns], longest side 20.
        centred: float32 [28, 28], centre of mass at the centre.
        pixels: float32 [784] in [0, 1], what the model gets.

    Raises:
        DigitnetError: as `prepare_image`.
    """
    label = name_of(source, name)
    found = analyse(source, label)
    mask = digit_mask(found.ink_pixels, found.smoothed, label)
    steps = back_half(found, mask)
    if steps is None:
        raise DigitnetError(f"{label}: no digit found: the image is blank")
    return {"working_image": found.working_image, "polarity": found.polarity, "ink": found.ink, "mask": mask,
            **steps}


def back_half(found: Analysis, mask: np.ndarray, detail_side: int = DETAIL_SIDE) -> dict | None:
    """The back half of the recipe for the digit whose working pixels are `mask` (bool [h, w]), cut out with
    its long side at `detail_side` px or more (`extract_digit`).

    Returns a dict (digit, thickened, fitted, centred, pixels; see `preparation_steps`), or None when the
    mask holds no ink at detail resolution.
    """
    levels = find_ink_levels(found.ink, mask, found.weak)
    return _fitted(extract_digit(found.image, found.factor, found.background, levels, mask, detail_side))


def piece_preparer(found: Analysis, mask: np.ndarray, detail_side: int = DETAIL_SIDE
                   ) -> Callable[..., dict | None]:
    """`back_half` for the many candidate pieces of one glyph (working pixels `mask`, bool [h, w]): the glyph's
    region is cut out of the full-resolution image once, at the detail a piece as tall as the glyph gets
    (`detail_side` for its height), with the glyph's ink levels, and each piece is the ink near its own mask.

    Returns:
        prepare(piece_mask, origin=(0, 0)) -> the dict `back_half` returns, or None when the piece holds no ink.
        The piece's mask is bool, on the working copy ([h, w]) or on a part of it whose top-left pixel is
        `origin` (row, column), such as the glyph's box.
    """
    @functools.cache
    def region() -> SoftRegion:  # cut out on the first piece: most glyphs are never cut
        levels = find_ink_levels(found.ink, mask, found.weak)
        top, bottom, left, right = crop_box(mask)
        glyph_detail = round(detail_side * max(1.0, (right - left) / max(bottom - top, 1)))
        return soft_region(found.image, found.factor, found.background, levels, margin_box(mask), glyph_detail)

    def prepare(piece_mask: np.ndarray, origin: tuple[int, int] = (0, 0)) -> dict | None:
        return _fitted(region().masked(piece_mask, origin, found.shape))

    return prepare


def _fitted(digit: np.ndarray) -> dict | None:
    """A cut-out digit (float32 [h, w] in [0, 1]) thickened, fitted and centred as MNIST's (see `back_half`)."""
    if not digit.any():
        return None
    thickened = thicken_strokes(digit)
    fitted = fit_into_box(thickened)
    centred = center_by_mass(fitted)
    return {"digit": digit, "thickened": thickened, "fitted": fitted, "centred": centred,
            "pixels": scale_to_unit(centred)}


def line_pixels(found: Analysis, mask: np.ndarray, height: int = FIT_SIZE, margin: int = 4,
                line_rows: int | None = None) -> np.ndarray | None:
    """A run of touching digits (working pixels `mask`, bool [h, w]) prepared as one line for
    `digitnet.line_reader`: cut out as `back_half` cuts a digit (at enough detail for the run's height), thin
    strokes thickened for a `height`-px line (to `LINE_STROKE_WIDTH`, less than a digit's), scaled to that height,
    centred in `line_rows` rows (default: `margin` blank rows above and below) with `margin` blank columns each side.

    Returns:
        float32 [line_rows, columns] in [0, 1] (the run's ink spans columns margin .. columns - margin), or None
        when the mask holds no ink at detail resolution.
    """
    levels = find_ink_levels(found.ink, mask, found.weak)
    top, bottom, left, right = crop_box(mask)
    # as much detail per line height as a digit gets for its long side
    detail_side = round(DETAIL_SIDE * max(1.0, (right - left) / max(bottom - top, 1)))
    run = extract_digit(found.image, found.factor, found.background, levels, mask, detail_side)
    if not run.any():
        return None
    rows = np.flatnonzero((run > 0.05 * float(run.max())).any(axis=1))
    # thicken_strokes judges a stroke against the fitted digit's long side: here the line's height
    run = thicken_strokes(run, fit_size=max(1, round(height * max(run.shape) / (rows[-1] + 1 - rows[0]))),
                          width=LINE_STROKE_WIDTH, thin=LINE_THIN_STROKE_WIDTH)
    fitted = fit_to_height(run, height)
    blank_rows = (line_rows if line_rows is not None else height + 2 * margin) - height
    line = np.pad(fitted / float(fitted.max()), ((blank_rows // 2, blank_rows - blank_rows // 2), (margin, margin)))
    return np.clip(line, 0.0, 1.0).astype(np.float32)


def prepare_images(paths: Iterable[str | os.PathLike]) -> list[PreparedImage | DigitnetError]:
    """Prepare each image; a file that is refused gives its ``DigitnetError`` in its place (in order)."""
    results: list[PreparedImage | DigitnetError] = []
    for path in paths:
        try:
            results.append(prepare_image(path))
        except DigitnetError as error:
            results.append(error)
    return results


def naive_resize_and_invert(
    source: Source,
) -> np.ndarray:
    """BASELINE ONLY: the classic notebooks' preparation, kept to compare against ``prepare_image``.

    Gray, squashed to 28x28 whatever the aspect ratio, inverted, divided by 255: no background removal,
    no cropping, no centring, and wrong for light-on-dark images. Returns float32 [784] in [0, 1].
    """
    image = flatten_image(open_image(source)).convert("L").resize((CANVAS_SIZE, CANVAS_SIZE))
    return ((255.0 - np.asarray(image, dtype=np.float32)) / 255.0).reshape(-1)
