"""The paper's colour, the polarity of the ink, and how strongly each pixel is ink.

`estimate_background` finds the paper's colour locally (so uneven lighting cancels out) and whether the
ink is darker or lighter than the paper; `ink_map` measures each pixel's colour distance from that
background in the direction of the ink, so a red or blue pen on white shows as strongly as black ink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_CONTRAST = 24.0  # gray levels: a mark fainter than this against the paper is not ink
POLARITIES = ("dark-on-light", "light-on-dark")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's convert("L")
_BACKGROUND_CELLS = 8  # the background is estimated on a grid of at most 8 cells along the longest side
_BACKGROUND_MIN_CELL = 24  # ... of at least 24 working pixels, so that strokes fill less than half a cell
_BACKGROUND_SAMPLES = 64  # ... from about 64 samples along the longest side


@dataclass(frozen=True)
class Background:
    """The local colour of the paper, as a coarse grid that is interpolated between cell centres.

    Attributes:
        grid: float32 [rows, columns, channels], gray levels 0-255, one colour per cell.
        cell: (height, width) of one cell in pixels of the image it was estimated on (the working image).
        polarity: ``'dark-on-light'`` or ``'light-on-dark'``.
    """

    grid: np.ndarray
    cell: tuple[float, float]
    polarity: str

    def sample(
        self, height: int, width: int, top: float = 0.0, left: float = 0.0, scale: float = 1.0
    ) -> np.ndarray:
        """float32 [height, width, channels]: the background of a block of pixels, bilinear between cells.

        The block's top-left corner is at (top, left) in working-image pixels and each of its pixels spans
        ``scale`` working pixels, so the same background serves the working image (the defaults) and a
        crop of the full-resolution image. Beyond the outermost cell centres the value stays that of the
        last cell: continuing the slope would follow lighting, but also amplify a stroke along the edge.
        """
        # One repeated cell around the grid keeps PIL's box inside it and the edges constant.
        grid = np.pad(self.grid, ((1, 1), (1, 1), (0, 0)), mode="edge")
        cell_height, cell_width = self.cell
        box = (
            1 + left / cell_width,
            1 + top / cell_height,
            1 + (left + width * scale) / cell_width,
            1 + (top + height * scale) / cell_height,
        )
        # PIL's bilinear resize is exact linear interpolation, in C, all channels at once for an 8-bit
        # image; rounding to whole gray levels is far below any ink threshold.
        channels = grid.shape[2]
        grid8 = np.clip(np.round(grid), 0, 255).astype(np.uint8)
        plane = Image.fromarray(
            grid8[..., 0] if channels == 1 else grid8, mode="L" if channels == 1 else "RGB"
        )
        resized = np.asarray(
            plane.resize((width, height), Image.Resampling.BILINEAR, box=box), dtype=np.float32
        )
        return resized.reshape(height, width, channels)


def rms(values: np.ndarray) -> np.ndarray:
    """float32 [..., C] -> [...]: root mean square over the channels (the absolute value when C is 1)."""
    if values.shape[-1] == 1:
        return np.abs(values[..., 0])
    # Written out per channel: a matrix product here would go to multithreaded BLAS, whose threads cost
    # far more than they save on arrays this small (and stall when the machine is busy).
    red, green, blue = values[..., 0], values[..., 1], values[..., 2]
    return np.sqrt((red * red + green * green + blue * blue) * np.float32(1.0 / 3.0))


def luma(values: np.ndarray) -> np.ndarray:
    """float32 [..., C] -> [...]: brightness (the gray level itself when C is 1)."""
    if values.shape[-1] == 1:
        return values[..., 0]
    red, green, blue = values[..., 0], values[..., 1], values[..., 2]
    return red * _LUMA[0] + green * _LUMA[1] + blue * _LUMA[2]


def _cell_blocks(samples: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """float32 [h, w, C] -> [rows, columns, n, C]: the n samples of each cell of a rows x columns grid."""
    height, width, channels = samples.shape
    cell_height, cell_width = math.ceil(height / rows), math.ceil(width / columns)
    padded = np.pad(samples, ((0, rows * cell_height - height), (0, columns * cell_width - width), (0, 0)),
                    mode="edge")
    blocks = padded.reshape(rows, cell_height, columns, cell_width, channels).transpose(0, 2, 1, 3, 4)
    return blocks.reshape(rows, columns, cell_height * cell_width, channels)


def _cell_colour_at(blocks: np.ndarray, low: float, high: float) -> np.ndarray:
    """[rows, columns, n, C] -> float32 [rows, columns, C]: the mean colour, in each cell, of the samples
    whose brightness ranks between the fractions low and high (0 = darkest, 1 = brightest).

    Ranking by brightness, not each channel on its own, keeps the colour of real pixels: a blue pen is
    brighter than gray paper in the blue channel, and a per-channel high percentile would be pen there.
    """
    count = blocks.shape[2]
    first = min(round(low * (count - 1)), count - 1)
    last = max(first + 1, round(high * (count - 1)) + 1)
    order = np.argsort(luma(blocks), axis=2)[:, :, first:last]
    chosen = np.take_along_axis(blocks, order[..., None], axis=2)
    return chosen.mean(axis=2, dtype=np.float32)


def _robust_surface(samples: np.ndarray) -> np.ndarray:
    """float32 [h, w, C]: a smooth (quadratic) background fitted to the majority of the pixels.

    Least squares on 1, x, y, x^2, xy, y^2 for each channel, fitted to the 60% of the pixels closest to
    the median colour and then refitted to the 60% closest to that first fit, so that ink (and a desk
    beyond the paper) do not pull it. Blind to polarity, and not fooled by strokes as wide as a grid
    cell. Fitted on 300 to 600 of the samples: more would not change it, only cost time.
    """
    height, width, channels = samples.shape
    step = max(1, math.isqrt(height * width // 300))
    values = samples[::step, ::step].reshape(-1, channels)
    residual = rms(values - np.median(values, axis=0))
    if values.shape[0] < 24:  # too few to fit a surface: the median colour
        return np.broadcast_to(np.median(values, axis=0), samples.shape).astype(np.float32)
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None, None]  # [h, 1, 1]
    x = np.linspace(-1, 1, width, dtype=np.float32)[None, :, None]  # [1, w, 1]
    fit_y, fit_x = (grid.ravel() for grid in np.meshgrid(y[::step, 0, 0], x[0, ::step, 0], indexing="ij"))
    design = np.stack(
        [np.ones_like(fit_x), fit_x, fit_y, fit_x * fit_x, fit_x * fit_y, fit_y * fit_y], axis=1
    )
    cut = int(0.6 * (residual.size - 1))
    for _ in range(2):
        keep = residual <= np.partition(residual, cut)[cut]
        chosen = design[keep]
        coefficients = np.linalg.solve(
            chosen.T @ chosen + 1e-3 * np.eye(6), chosen.T @ values[keep]
        )  # [6, C]
        residual = rms(values - design @ coefficients)
    c = coefficients.astype(np.float32)
    # The same polynomial, grouped by powers of x so that it is built from three broadcast operations.
    return (c[0] + c[2] * y + c[5] * y * y) + x * (c[1] + c[4] * y) + c[3] * (x * x)


def _border_labels(labels: np.ndarray) -> np.ndarray:
    """The labels (ints, 0 included) of components that touch the edge of the image."""
    return np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))


def _detect_polarity(samples: np.ndarray, background: np.ndarray) -> str:
    """'dark-on-light' or 'light-on-dark': which way the marks that differ most from the paper go.

    Each connected mark votes with its summed brightness difference. Marks that touch the image's edge
    count a tenth: they are more often the desk beyond the paper's edge or a shadow than the digit.

    Args:
        samples: float32 [h, w, C], the image.
        background: float32 [h, w, C], its polarity-blind background (``_robust_surface``).
    """
    difference = samples - background
    distance = rms(difference)
    strong = distance >= max(MIN_CONTRAST / 2, 0.5 * float(distance.max()))
    labels, count = ndimage.label(strong, structure=np.ones((3, 3), dtype=bool))
    votes = np.bincount(labels[strong], weights=luma(difference)[strong], minlength=count + 1)
    weights = np.ones(count + 1)
    weights[_border_labels(labels)] = 0.1
    return "light-on-dark" if float(votes[1:] @ weights[1:]) > 0 else "dark-on-light"


def _close_3x3(grid: np.ndarray) -> np.ndarray:
    """Grey closing of [rows, columns, C] by 3x3 cells, within the grid (nothing assumed beyond it).

    The brightest of each 3x3 neighbourhood, then the darkest of those: a cell darker than all around it
    (covered by ink) is raised to its surroundings. The dilation also covers a ring of cells just outside
    the grid, from the cells inside only (the -inf padding), so the erosion that follows treats edge
    cells like the others and leaves a brightness gradient exactly as it is, up to the edges.
    """
    outside = np.pad(grid, ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    dilated = ndimage.grey_dilation(outside, size=(3, 3, 1), mode="constant", cval=-np.inf)
    return ndimage.grey_erosion(dilated, size=(3, 3, 1), mode="nearest")[1:-1, 1:-1]


def estimate_background(working: np.ndarray) -> Background:
    """The paper's colour, locally, and the polarity of the ink.

    The image is divided into a coarse grid (at most 8 cells along the longest side, each at least 24 px).
    The polarity is voted against a smooth surface fitted to the majority of the pixels. Then, knowing
    which way the ink goes, each cell's background is the colour of its pixels ranked 80-95% towards the
    paper (5-20% for light ink on dark), which stays on the paper even where strokes cover most of the
    cell, and cells covered entirely are repaired from their neighbours by a grey closing. Interpolated
    between cell centres, the result follows uneven lighting without following the strokes.

    Args:
        working: float32 [height, width, C] (C = 1 or 3), gray levels 0-255.

    Returns:
        A ``Background`` whose ``sample`` gives float32 [height, width, C] for these pixels.
    """
    height, width, _ = working.shape
    step = max(1, max(height, width) // _BACKGROUND_SAMPLES)
    # Every step-th pixel is plenty for a smooth background (the robust statistics shrug off the noise).
    first = min(step // 2, height - 1), min(step // 2, width - 1)  # at least one sample on a 1 px edge
    samples = working[first[0] :: step, first[1] :: step]
    cell = max(_BACKGROUND_MIN_CELL, max(height, width) / _BACKGROUND_CELLS)
    rows, columns = max(1, round(height / cell)), max(1, round(width / cell))
    polarity = _detect_polarity(samples, _robust_surface(samples))
    blocks = _cell_blocks(samples, rows, columns)
    cell_size = (math.ceil(samples.shape[0] / rows) * step, math.ceil(samples.shape[1] / columns) * step)
    if polarity == "dark-on-light":
        grid = _close_3x3(_cell_colour_at(blocks, 0.8, 0.95))
    else:  # an opening: the closing of the negative
        grid = -_close_3x3(-_cell_colour_at(blocks, 0.05, 0.2))
    return Background(grid, cell_size, polarity)


def ink_map(pixels: np.ndarray, background: np.ndarray, polarity: str) -> np.ndarray:
    """float32 [height, width] >= 0: how strongly each pixel is ink, in gray levels.

    The RMS colour distance from the background, so a red, blue or green pen on white counts as much as
    its colour differs (its brightness alone may differ little). Pixels that are clearly brighter than the
    paper for dark ink (glare), or darker for light ink, are not ink.

    Args:
        pixels: float32 [height, width, C], the image.
        background: float32 [height, width, C], the background at the same pixels.
        polarity: 'dark-on-light' or 'light-on-dark'.
    """
    difference = pixels - background
    distance = rms(difference)
    towards_ink = luma(difference) * (-1.0 if polarity == "dark-on-light" else 1.0)
    return np.where(towards_ink >= -0.5 * distance, distance, np.float32(0.0))

