"""Which pixels are the digit: the ink threshold, the digit's connected parts, and the ink's strength."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

from digitnet.errors import DigitnetError
from digitnet.images.background import MIN_CONTRAST


@dataclass(frozen=True)
class InkLevels:
    """Ink strengths (distance from the paper, in gray levels) that turn the ink map into [0, 1].

    Attributes:
        threshold: above this a pixel counts as ink when finding the digit.
        low: maps to 0 in the soft digit (below the threshold, to keep anti-aliased edges).
        high: maps to 1 (the typical strength of the strokes' cores).
    """

    threshold: float
    low: float
    high: float


def _otsu(values: np.ndarray, top: float) -> float:
    """Otsu's threshold of values in [0, top], on 256 bins of equal width from 0 (not from the minimum)."""
    bins = np.minimum((values * (255.0 / top)).astype(np.intp), 255)
    counts = np.bincount(bins.ravel(), minlength=256)
    # skimage picks a bin; the threshold is that bin's upper edge, so everything in the bin is below it.
    return float(threshold_otsu(hist=(counts, (np.arange(256) + 1.0) * (top / 255.0))))


def ink_threshold(smoothed_ink: np.ndarray, label: str = "<image>") -> float:
    """The ink strength above which a pixel is ink: Otsu's threshold, but never within the noise.

    Args:
        smoothed_ink: float32 [height, width], the ink map after a 3x3 mean (which quiets sensor noise).
        label: the file's name, for the error.

    Raises:
        DigitnetError: nothing stands out from the paper by at least ``MIN_CONTRAST`` (a blank image).
    """
    # A quarter of the pixels estimate both statistics as well as all of them, in a quarter of the time.
    sample = smoothed_ink[::2, ::2] if smoothed_ink.size > 4096 else smoothed_ink
    median = float(np.median(sample))  # the paper's own level (noise, texture, what the background misses)
    top = float(smoothed_ink.max())
    if top - median < MIN_CONTRAST:
        raise DigitnetError(
            f"{label}: no digit found: the image is blank (nothing stands out from the background)"
        )
    spread = 1.4826 * float(np.median(np.abs(sample - median)))  # robust standard deviation of the noise
    threshold = max(_otsu(sample, top), median + 6.0 * spread, median + MIN_CONTRAST / 2)
    # Where ink covers half the image (a tiny, bold drawing) the median is not the paper: stay below the ink.
    return min(threshold, median + 0.5 * (top - median))


def smooth_3x3(values: np.ndarray) -> np.ndarray:
    """float32 [h, w] -> [h, w]: the mean of each 3x3 neighbourhood (edges repeated), quieting noise."""
    return ndimage.uniform_filter(values, size=3, mode="nearest")


def _touches_border(box: tuple[slice, slice], shape: tuple[int, ...]) -> bool:
    """Whether a component's bounding box (a pair of slices) reaches the edge of an image of this shape."""
    return box[0].start == 0 or box[1].start == 0 or box[0].stop == shape[0] or box[1].stop == shape[1]


def _near(box: tuple[slice, slice], region: tuple[float, float, float, float]) -> bool:
    """Whether a component's bounding box overlaps region = (top, bottom, left, right)."""
    top, bottom, left, right = region
    return box[0].start < bottom and box[0].stop > top and box[1].start < right and box[1].stop > left


def digit_mask(smoothed_ink: np.ndarray, threshold: float, label: str = "<image>") -> np.ndarray:
    """bool [height, width]: the digit's pixels, specks and far-away marks dropped.

    The main component is the one with the most ink, preferring those that do not touch the border (the
    edge of the paper or a shadow in a photo usually does). Other components are kept when they are not
    specks, do not touch the border, and lie within or beside the digit's box: a "5" whose top bar was
    drawn separately, a pencil stroke with a gap.

    Args:
        smoothed_ink: float32 [height, width], the smoothed ink map.
        threshold: ink strength that counts (``ink_threshold``).
        label: the file's name, for the error.

    Raises:
        DigitnetError: only specks of noise exceed the threshold.
    """
    ink = smoothed_ink > threshold
    labels, count = ndimage.label(ink, structure=np.ones((3, 3), dtype=bool))
    ink_labels = labels[ink]  # counting only the ink pixels is much faster than counting all
    sizes = np.bincount(ink_labels, minlength=count + 1)
    masses = np.bincount(ink_labels, weights=smoothed_ink[ink], minlength=count + 1)
    min_size = max(3, int(2e-4 * smoothed_ink.size))
    candidates = np.flatnonzero(sizes >= min_size)
    if candidates.size == 0:
        raise DigitnetError(f"{label}: no digit found: the image is blank (only specks of noise)")
    boxes = ndimage.find_objects(labels)
    boxes = {int(i): boxes[i - 1] for i in candidates}
    at_border = {i for i in boxes if _touches_border(boxes[i], labels.shape)}
    main = max(boxes, key=lambda i: masses[i] * (0.1 if i in at_border else 1.0))
    parts = [i for i in boxes if i not in at_border]  # more of the digit, not the desk beside the paper
    keep = {main}
    for _ in range(2):  # twice, so that a part beside a part beside the main stroke is found too
        top = min(boxes[i][0].start for i in keep)
        bottom = max(boxes[i][0].stop for i in keep)
        left = min(boxes[i][1].start for i in keep)
        right = max(boxes[i][1].stop for i in keep)
        # Within 40% of the digit's size, in any direction: a flat "5" may have its belly well below.
        margin = max(2.0, 0.4 * max(bottom - top, right - left))
        region = (top - margin, bottom + margin, left - margin, right + margin)
        keep |= {i for i in parts if sizes[i] >= 0.02 * sizes[main] and _near(boxes[i], region)}
    if len(keep) == 1:
        return labels == main
    return np.isin(labels, list(keep))


def find_ink_levels(ink: np.ndarray, mask: np.ndarray, threshold: float) -> InkLevels:
    """Levels for the soft digit: ``high`` is the median ink strength of the digit's pixels.

    Args:
        ink: float32 [height, width], the ink map (unsmoothed).
        mask: bool [height, width], the digit's pixels.
        threshold: the threshold the mask was made with.
    """
    high = float(np.median(ink[mask])) if mask.any() else threshold
    low = 0.5 * threshold
    return InkLevels(threshold=threshold, low=low, high=max(high, low + 1.0))


def crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom/right exclusive: the bounding box of a non-empty bool mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1

