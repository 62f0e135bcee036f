"""The polarity of the ink, the paper's colour, and how strongly each pixel is ink.

`detect_polarity` decides whether the ink is darker or lighter than the paper. `paper_background` finds
the paper's colour everywhere: a grey closing (dark ink) or opening (light ink) at a scale wider than the
strokes, which removes them and keeps what is wider: uneven light, and even the sharp edge of a shadow,
which a closing keeps exactly. `ink_map` measures each pixel's colour distance from that background in
the direction of the ink, so a red or blue pen on white shows as strongly as black ink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image
from scipy import ndimage

MIN_CONTRAST = 24.0  # gray levels: a mark fainter than this against the paper is not ink
POLARITIES = ("dark-on-light", "light-on-dark")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's convert("L")
_POLARITY_SAMPLES = 64  # polarity is voted on about 64 samples along the longest side
_CLOSING_CELLS = 5  # the closing's window, in cells of the reduced copy it runs on


@dataclass(frozen=True)
class Background:
    """The local colour of the paper, as a coarse grid that is interpolated between cell centres.

    Attributes:
        grid: float32 [rows, columns, channels], gray levels 0-255, one colour per cell.
        cell: (height, width) of one cell in pixels of the image it was estimated on (the working image).
        polarity: ``'dark-on-light'`` or ``'light-on-dark'``.
        scale: the widest stroke it leaves as ink, in working pixels (wider dark areas are paper).
    """

    grid: np.ndarray
    cell: tuple[float, float]
    polarity: str
    scale: float = 0.0

    def sample(
        self, height: int, width: int, top: float = 0.0, left: float = 0.0, scale: float = 1.0
    ) -> np.ndarray:
        """float32 [height, width, channels]: the background of a block of pixels, bilinear between cells.

        The block's top-left corner is at (top, left) in working-image pixels and each of its pixels spans
        ``scale`` working pixels, so the same background serves the working image (the defaults) and a
        crop of the full-resolution image. Beyond the outermost cell centres the value stays that of the
        last cell: continuing the slope would follow lighting, but also amplify a stroke along the edge.
        """
        cell_height, cell_width = self.cell
        box = (
            1 + left / cell_width,
            1 + top / cell_height,
            1 + (left + width * scale) / cell_width,
            1 + (top + height * scale) / cell_height,
        )
        resized = np.asarray(
            self._plane.resize((width, height), Image.Resampling.BILINEAR, box=box), dtype=np.float32
        )
        return resized.reshape(height, width, self.grid.shape[2])

    @cached_property
    def _plane(self) -> Image.Image:
        """The grid as an 8-bit image with one repeated cell around it (which keeps PIL's box inside it and
        the edges constant). Made once: every cut piece of a number samples the background (2 ms of 30).

        PIL's bilinear resize is exact linear interpolation, in C, all channels at once for an 8-bit image;
        rounding to whole gray levels is far below any ink threshold.
        """
        grid = np.pad(self.grid, ((1, 1), (1, 1), (0, 0)), mode="edge")
        grid8 = np.clip(np.round(grid), 0, 255).astype(np.uint8)
        return Image.fromarray(grid8[..., 0], mode="L") if grid.shape[2] == 1 else Image.fromarray(grid8, mode="RGB")


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


def detect_polarity(working: np.ndarray) -> str:
    """'dark-on-light' or 'light-on-dark' for float32 [height, width, C] pixels (gray levels 0-255)."""
    height, width, _ = working.shape
    step = max(1, max(height, width) // _POLARITY_SAMPLES)
    # Every step-th pixel is plenty for a smooth surface (the robust fit shrugs off the noise).
    first = min(step // 2, height - 1), min(step // 2, width - 1)  # at least one sample on a 1 px edge
    samples = working[first[0] :: step, first[1] :: step]
    return _detect_polarity(samples, _robust_surface(samples))


def paper_background(working: Image.Image, polarity: str, scale: float) -> Background:
    """The paper's colour wherever the pixels are, strokes up to about `scale` pixels wide removed.

    A grey closing for dark ink (the brightest in each window, then the darkest of those) or an opening for
    light ink, with a window `scale` wide. Run on a copy reduced (box average) by a fifth of `scale`, so it
    costs the same at any scale, and interpolated between the reduced pixels' centres when sampled.

    Args:
        working: the working copy, an "L" or "RGB" image.
        polarity: from `detect_polarity`.
        scale: the widest stroke that must be left as ink, in pixels of `working`.
    """
    factor = max(1, min(int(scale / _CLOSING_CELLS), *working.size))
    # Pillow's reduce averages whole cells (and the partial ones at the right and bottom edges), in C.
    reduced = np.asarray(working.reduce(factor), dtype=np.float32)
    reduced = reduced[..., None] if reduced.ndim == 2 else reduced
    morphology = ndimage.grey_closing if polarity == "dark-on-light" else ndimage.grey_opening
    grid = morphology(reduced, size=(_CLOSING_CELLS, _CLOSING_CELLS, 1), mode="nearest")
    return Background(grid, (float(factor), float(factor)), polarity, float(scale))


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

