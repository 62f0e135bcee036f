"""Which pixels are ink: a threshold set by the paper's own noise (ruled lines: `digitnet.images.ruling`).

A faint pencil stroke can be only a few grey levels above the paper once the photo is reduced, while a
photo's sensor noise and the paper's grain can be as strong in a single pixel. What separates them is
that a stroke is long and connected: the ink map is smoothed, its noise measured (a robust spread of the
pixels, most of which are paper), and hysteresis keeps every pixel clearly above the noise together with
the fainter pixels connected to them, so a stroke keeps its faint stretches while lone noise goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.morphology import skeletonize

from digitnet.errors import DigitnetError

STRONG_NOISE = 6.0  # a pixel this many noise spreads above the paper's level is surely ink ...
WEAK_NOISE = 3.0  # ... and one this many, connected to such pixels, is ink too (a faint stretch, a hairline)
WEAK_SHARE = 0.25  # ... as long as it is this share of the way from the paper to the strong threshold
MIN_CONTRAST = 8.0  # gray levels: nothing fainter than this counts as ink, however quiet the paper


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


def smooth_3x3(values: np.ndarray) -> np.ndarray:
    """float32 [h, w] -> [h, w]: the mean of each 3x3 neighbourhood (edges repeated), quieting noise."""
    return ndimage.uniform_filter(values, size=3, mode="nearest")


def _median(values: np.ndarray) -> float:
    """The median (the upper middle value for an even count): np.partition alone is 2.5x faster than
    np.median on these 10-20k values, which matters in a 5 ms budget."""
    flat = values.ravel()
    return float(np.partition(flat, flat.size // 2)[flat.size // 2])


def _otsu(values: np.ndarray, top: float) -> float:
    """Otsu's threshold of values in [0, top], on 256 bins of equal width from 0 (not from the minimum)."""
    bins = np.minimum((values * (255.0 / top)).astype(np.intp), 255)
    counts = np.bincount(bins.ravel(), minlength=256)
    # skimage picks a bin; the threshold is that bin's upper edge, so everything in the bin is below it.
    return float(threshold_otsu(hist=(counts, (np.arange(256) + 1.0) * (top / 255.0))))


def ink_thresholds(smoothed_ink: np.ndarray, label: str = "<image>", stroke_share: float = 0.0
                   ) -> tuple[float, float]:
    """(weak, strong): the ink strengths of the hysteresis, from the paper's level and noise.

    Args:
        smoothed_ink: float32 [height, width], the ink map after a 3x3 mean.
        label: the file's name, for the error.
        stroke_share: 0: the image is blank unless its strongest pixel stands out from the paper's noise;
            more: unless this share of its pixels do (a stroke's length, where a single pixel could be
            noise).

    Raises:
        DigitnetError: nothing stands out from the paper's noise (a blank image).
    """
    # A quarter of the pixels estimate both statistics as well as all of them, in a quarter of the time.
    sample = smoothed_ink[::2, ::2] if smoothed_ink.size > 4096 else smoothed_ink
    paper = _median(sample)  # most pixels are paper: its own level (noise, texture, grain)
    noise = max(1.4826 * _median(np.abs(sample - paper)), 0.5)  # robust standard deviation
    top = float(smoothed_ink.max())
    standing_out = float(np.quantile(smoothed_ink, 1.0 - stroke_share)) if stroke_share else top
    if standing_out - paper < max(MIN_CONTRAST, STRONG_NOISE * noise):
        raise DigitnetError(f"{label}: no digit found: the image is blank (nothing stands out from the paper)")
    strong = max(_otsu(sample, top), paper + STRONG_NOISE * noise)
    # Where ink covers half the image (a tiny, bold drawing) the median is not the paper: stay below the ink.
    strong = min(strong, paper + 0.5 * (top - paper))
    weak = paper + max(WEAK_NOISE * noise, WEAK_SHARE * (strong - paper))
    return min(weak, strong), strong


def ink_mask(smoothed_ink: np.ndarray, weak: float, strong: float) -> np.ndarray:
    """bool [h, w]: pixels above `strong`, and those above `weak` connected to them (hysteresis).

    Written out rather than skimage's apply_hysteresis_threshold, which sums every component with
    ndimage.sum: marking the components that hold a strong pixel by indexing is 3x faster here (0.4 ms).
    """
    labels, count = ndimage.label(smoothed_ink > weak, structure=np.ones((3, 3), dtype=bool))
    keep = np.zeros(count + 1, dtype=bool)
    keep[labels[smoothed_ink > strong]] = True
    keep[0] = False
    return keep[labels]


def _near(box: tuple[slice, slice], region: tuple[float, float, float, float]) -> bool:
    """Whether a component's bounding box overlaps region = (top, bottom, left, right)."""
    top, bottom, left, right = region
    return box[0].start < bottom and box[0].stop > top and box[1].start < right and box[1].stop > left


def stroke_width(mask: np.ndarray) -> float:
    """The median stroke width in pixels of a bool mask: twice the distance to the paper along the
    strokes' centre lines (0 for an empty mask)."""
    if not mask.any():
        return 0.0
    top, bottom, left, right = crop_box(mask)
    digit = np.pad(mask[top:bottom, left:right], 1)  # only the digit's box: the transform costs per pixel
    return 2.0 * float(np.median(ndimage.distance_transform_edt(digit)[skeletonize(digit)]))


def find_ink_levels(ink: np.ndarray, mask: np.ndarray, threshold: float) -> InkLevels:
    """Levels for the soft digit: ``high`` is the median ink strength of the digit's pixels.

    Args:
        ink: float32 [height, width], the ink map (unsmoothed).
        mask: bool [height, width], the digit's pixels.
        threshold: the (weak) threshold the mask was made with.
    """
    high = _median(ink[mask]) if mask.any() else threshold
    low = 0.5 * threshold
    return InkLevels(threshold=threshold, low=low, high=max(high, low + 1.0))


def crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom/right exclusive: the bounding box of a non-empty bool mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1
