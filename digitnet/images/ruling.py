"""The printed lines of ruled or squared paper, taken out of the ink map, also when the photo is turned.

A printed line runs across the whole picture; a digit's stroke, however long, leaves most of the paper
beside it. So the faintest tenth of a line of pixels along the ruling is the ruling's own ink there, and
taking it away leaves the digit. Photos are seldom square to the page: turned by a degree, a line drifts
across several rows of the working copy, no row holds it from edge to edge, and it stayed ink, joined to a
pencil digit through the hysteresis and refused as "not a digit". So the ruling's tilt is found first:
the rows' ink summed along each candidate tilt piles a ruling's lines into sharp peaks only at their own tilt
(a projection profile, as document scanners find a page's skew).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

RULED_PERCENTILE = 10  # what a line of pixels has even at its faintest: only a printed line along it raises this
# Tilts tried (degrees): a photo taken by hand is turned by a few degrees, a sheet laid on a desk a little more.
COARSE_TILTS = np.radians(np.arange(-12.0, 12.01, 1.0))
FINE_TILTS = np.radians(np.arange(-0.5, 0.51, 0.1))  # around the best coarse tilt
BLOCK = 16  # columns summed together before the profiles are shifted: 16x less work, still sharp peaks
PEAK_WIDTH = 7  # rows: the profile less its running mean over this many rows keeps only thin lines' peaks
MIN_BLOCKS = 8  # a copy narrower than this many blocks (the first, coarse look at a picture) is too narrow to tell
# A turned ruling is taken out along its tilt only when, along it, at least LINE_ROWS rows of the picture keep
# LINE_LEVEL grey levels of thin lines' ink per column (`_thin_lines`: a line counts in up to three rows) in nearly
# every block of columns, and more such rows than straight across: what lines across the whole picture do, and
# writing, however it slants, does not. Measured on development draws of the yardstick: of 4,860 pictures with no
# turned ruling (some on straight ruled paper), 4 have 10 such rows or more, two "=" drawn as wide as the picture
# and two turned chessboards, all refused either way (8 rows would add two numbers; 4 grey levels instead of 3
# missed faint lines: 2 fewer of 107 numbers on turned ruled paper read right). On 600 pictures on turned ruled
# paper (sections E of two draws) 265 of 272 digits are read right, 268 on the same pictures without the
# lines. (Asked only for the peaks' energy, a long number's strokes or a photo's shading passed for a ruling in
# 403 of one draw's 2,430 pictures.)
LINE_ROWS = 10
LINE_LEVEL = 3.0
LINE_WEIGHTS = np.array([-3 / 8] * 4 + [1.0] * 3 + [-3 / 8] * 4)  # see `_thin_lines`
MIN_TILT = np.radians(0.15)  # below this, a line stays within the rows it starts in: the straight path does


def without_ruled_lines(ink: np.ndarray, paper: np.ndarray | None = None) -> np.ndarray:
    """float32 [h, w]: the ink map less what runs across the whole picture along the ruling's tilt.

    Straight (no turned ruling found): each row's 10th percentile is taken from it, then each column's.
    Turned: the same along lines of the ruling's tilt, with a row's tolerance either side of them.

    Args:
        ink: float32 [h, w], the ink map.
        paper: bool [h, w], where the sheet of paper is when the picture is a sheet cut out of a photo of a desk
            (`digitnet.images.sheet`), or None (all of it). A sheet laid turned on the desk leaves corners of its
            box painted over, where its lines stop: the lines are looked for, and measured, on the sheet only.
    """
    tilt = ruling_tilt(ink, paper)
    if tilt is None:
        ink = np.maximum(ink - _low_percentile(ink, axis=1), 0.0)
        return np.maximum(ink - _low_percentile(ink, axis=0), 0.0)
    slope = float(np.tan(tilt))
    # A square's other lines are turned alike: down the picture they drift left as the first ones drift down.
    # Both levels come from the same map: with the first lines (and a row either side) taken out first, the
    # others had a gap at every crossing, a tenth of their length, and their faintest tenth was paper.
    measured = ink if paper is None else np.where(paper, ink, np.inf)  # inf: off the sheet, as off the picture
    across = np.maximum(_levels_along(measured, slope), _levels_along(measured.T, -slope).T)
    return np.maximum(ink - across, 0.0)


def ruling_tilt(ink: np.ndarray, paper: np.ndarray | None = None) -> float | None:
    """The tilt in radians of a turned ruling's lines (rows they descend per column, as an angle), or None.

    Args:
        ink: float32 [h, w], the ink map.
        paper: bool [h, w] or None, as for `without_ruled_lines`: the blocks' rows off the sheet do not count.
    Returns:
        None when no ruling runs across the picture (LINE_ROWS) or it is straight (MIN_TILT).
    """
    height, width = ink.shape
    blocks = width // BLOCK
    if blocks < MIN_BLOCKS or height < 2 * PEAK_WIDTH:
        return None
    profiles = ink[:, : blocks * BLOCK].reshape(height, blocks, BLOCK).sum(axis=2).T  # [blocks, h]
    on_paper = None if paper is None else _rows_on_paper(paper, blocks)
    # First the quick test that spares most pictures the search (0.75 ms of a photo's 5): printed lines, at any
    # of these tilts, are thin peaks in nearly every block's profile; writing and shading leave most blocks
    # without any.
    lines = _thin_lines(profiles) >= LINE_LEVEL * BLOCK
    if on_paper is not None:  # the blocks mostly on the sheet, each counted on it
        lines &= on_paper
        lines = lines[on_paper.mean(axis=1) >= 0.5]
        if len(lines) < MIN_BLOCKS // 2:  # a small sheet's copy is narrow, and its rim's blocks are painted over
            return None
    rows_of_lines = np.sort(lines.sum(axis=1))
    if rows_of_lines[len(rows_of_lines) * RULED_PERCENTILE // 100] < LINE_ROWS // 4:
        return None
    centres = (np.arange(blocks) + 0.5) * BLOCK
    coarse = _peak_energy(profiles, centres, COARSE_TILTS)
    around = COARSE_TILTS[int(np.argmax(coarse))] + FINE_TILTS
    fine = _peak_energy(profiles, centres, around)
    peak = int(np.clip(np.argmax(fine), 1, len(around) - 2))
    # between the fine tilts: the vertex of the parabola through the best and its neighbours (a tenth of a
    # degree moves a line by a row across a 600-pixel picture, all of the levels' tolerance either side)
    left, middle, right = fine[peak - 1 : peak + 2]
    bend = left - 2 * middle + right
    step = float(around[1] - around[0])
    best = float(around[peak]) + (0.5 * step * (left - right) / bend if bend < 0 else 0.0)
    if abs(best) < MIN_TILT or _line_rows(profiles, centres, best, on_paper) <= max(
            _line_rows(profiles, centres, 0.0, on_paper), LINE_ROWS - 1):
        return None
    return best


def _rows_on_paper(paper: np.ndarray, blocks: int) -> np.ndarray:
    """bool [blocks, h]: where a block's thin-line ink (`_thin_lines`, 11 rows) lies wholly on the sheet (paper:
    bool [h, w])."""
    height = paper.shape[0]
    whole = paper[:, : blocks * BLOCK].reshape(height, blocks, BLOCK).all(axis=2).T
    return ndimage.minimum_filter1d(whole, len(LINE_WEIGHTS), axis=1, mode="constant", cval=False)


def _peak_energy(profiles: np.ndarray, centres: np.ndarray, tilts: np.ndarray) -> np.ndarray:
    """For each tilt: the energy of the thin peaks of the column blocks' row profiles (float [blocks, h])
    summed along lines of that tilt. float [len(tilts)]."""
    blocks, height = profiles.shape
    shifts = _shifts(np.tan(tilts)[:, None], centres[None, :])  # [tilts, blocks]
    rows = height + int(shifts.max()) + 1
    index = (np.arange(height)[None, None, :] + shifts[:, :, None] + (np.arange(len(tilts)) * rows)[:, None, None])
    summed = np.bincount(index.ravel(), weights=np.broadcast_to(profiles, index.shape).ravel(),
                         minlength=len(tilts) * rows).reshape(len(tilts), rows)
    peaks = summed - ndimage.uniform_filter1d(summed, PEAK_WIDTH, axis=1)
    return (peaks**2).sum(axis=1)


def _line_rows(profiles: np.ndarray, centres: np.ndarray, tilt: float, on_paper: np.ndarray | None = None) -> int:
    """How many rows along lines of `tilt` keep LINE_LEVEL grey levels of thin lines' ink per column (`_thin_lines`)
    in all but the faintest RULED_PERCENTILE of the column blocks (float [blocks, h] row profiles, each the sum of
    BLOCK columns). With `on_paper` (bool [blocks, h], `_rows_on_paper`), only the blocks on the sheet count, and
    only rows that cross it in half of the blocks."""
    blocks, height = profiles.shape
    shifts = _shifts(np.tan(tilt), centres)
    where = np.arange(blocks)[:, None], np.arange(height)[None, :] + shifts[:, None]
    sheared = np.zeros((blocks, height + int(shifts.max())), np.float32)
    sheared[where] = profiles
    thin = _thin_lines(sheared)
    crossing = True
    if on_paper is not None:  # off the sheet a block passes, so that the faintest tenth is of those on it
        sheared_on_paper = np.zeros(sheared.shape, bool)
        sheared_on_paper[where] = on_paper
        thin[~sheared_on_paper] = np.inf
        crossing = sheared_on_paper.sum(axis=0) >= blocks / 2
    k = (blocks - 1) * RULED_PERCENTILE // 100
    return int(((np.partition(thin, k, axis=0)[k] >= LINE_LEVEL * BLOCK) & crossing).sum())


def _thin_lines(profiles: np.ndarray) -> np.ndarray:
    """float [blocks, rows]: the ink of thin lines in row profiles (sums over BLOCK columns) of the same shape: the
    sum over three rows (a turned line drifts across two or three rows within a block, and so do the blocks'
    shifts by whole rows) less three times the mean of the four rows beyond them either side (the paper there,
    so shading and a shadow's edge are no lines)."""
    return ndimage.correlate1d(profiles, LINE_WEIGHTS, axis=1, mode="nearest")


def _levels_along(ink: np.ndarray, slope: float) -> np.ndarray:
    """float32 [h, w]: at every pixel, the RULED_PERCENTILE-th value of the line of slope `slope` (rows per
    column) through it, each of its pixels the brightest of three rows (the line's rounding and width). Pixels
    of `ink` that are inf (off the sheet) count as off the picture."""
    height, width = ink.shape
    offsets = _shifts(slope, np.arange(width))
    rows = np.arange(height)[:, None] + offsets[None, :]  # [h, w]: each pixel's row in the sheared map
    sheared = np.full((height + int(offsets.max()), width), np.inf, np.float32)  # inf: outside the picture
    sheared[rows, np.arange(width)[None, :]] = ink
    tolerant = ndimage.maximum_filter1d(sheared, 3, axis=0)
    level = _low_percentile(tolerant, axis=1)[:, 0]
    return np.where(np.isfinite(level), level, 0.0).astype(np.float32)[rows]


def _shifts(slopes: np.ndarray | float, columns: np.ndarray) -> np.ndarray:
    """int [..., columns]: how many rows down to move each of `columns` so that lines of `slopes` (rows per
    column; a leading axis for several) lie along one row, the least shift 0 for each slope."""
    shifts = np.round(-slopes * columns).astype(np.intp)
    return shifts - shifts.min(axis=-1, keepdims=True)


def _low_percentile(values: np.ndarray, axis: int) -> np.ndarray:
    """The RULED_PERCENTILE-th value along `axis`, kept as a length-1 axis, from every other pixel: a line
    across the image is in all of them (np.partition on half the pixels is 10x faster than np.percentile)."""
    sample = values[:, ::2] if axis == 1 else values[::2]
    k = (sample.shape[axis] - 1) * RULED_PERCENTILE // 100
    return np.take(np.partition(sample, k, axis=axis), [k], axis=axis)
