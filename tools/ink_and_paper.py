"""MNIST digits as crisp pen strokes, and the paper, light and sensor they are photographed with.

The blurry 28x28 digit is upscaled (bicubic) and soft-thresholded into a crisp ink mask whose threshold
level sets the pen (low = marker, high = fine pen); a thin pen or a drawing-app brush instead follows the
digit's centre line at a fixed width. `tools.mnist_redrawn` composes these into the kinds of images
people send. All randomness comes from the numpy Generator passed in.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage
from skimage.morphology import skeletonize

SIDE = 28
# The ink mask is worked out on a 28*MASK_SCALE square (280 px): fine enough for smooth outlines, small
# enough that thinning a stroke to its centre line takes milliseconds.
MASK_SCALE = 10
BICUBIC = Image.Resampling.BICUBIC
LANCZOS = Image.Resampling.LANCZOS
DARK_INKS = ((22, 22, 28), (28, 30, 36), (18, 26, 64), (24, 34, 92))  # black and blue-black
COLOURED_INKS = {
    "red": (196, 32, 40),
    "blue": (30, 62, 176),
    "green": (24, 122, 60),
    "purple": (112, 42, 146),
}


# ---------------------------------------------------------------------------------------------------
# Small numeric helpers


def smoothstep(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below `low`, 1 above `high`, a smooth S in between: a soft threshold that keeps edges anti-aliased."""
    t = np.clip((values - low) / (high - low), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the first two axes (edges extended), in float32 (Pillow's blur is 8-bit only)."""
    values = np.asarray(values, dtype=np.float32)
    if sigma <= 0.1:
        return values
    return ndimage.gaussian_filter(values, sigma, mode="nearest", truncate=3.0, axes=(0, 1))


def smooth_noise(shape: tuple[int, int], rng: np.random.Generator, cell: float) -> np.ndarray:
    """Noise that varies over about `cell` pixels (paper fibres, smudges, ink pressure), roughly unit scale."""
    height, width = shape
    grid = rng.standard_normal((int(height / cell) + 2, int(width / cell) + 2), dtype=np.float32)
    return np.asarray(Image.fromarray(grid, "F").resize((width, height), BICUBIC))


def to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def rgb_image(values: np.ndarray) -> Image.Image:
    """float [h, w, 3] in 0..255 -> an RGB image."""
    return Image.fromarray(to_uint8(values))


def jitter(colour: tuple[int, int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
    """The colour with each channel moved by up to `amount` (no two pens or papers are the same)."""
    return np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3), 0, 255)


# ---------------------------------------------------------------------------------------------------
# The digit as a crisp stroke drawing


def digit_array(digit: np.ndarray) -> np.ndarray:
    """One MNIST digit (uint8 [784] or [28, 28], white on black) as float32 [28, 28] with its peak at 1.

    Dividing by the peak lets a faintly written digit cross the same thresholds as a dark one: the person
    who re-draws it would use the same pen for both.
    """
    pixels = np.asarray(digit, dtype=np.float32)
    if pixels.size != SIDE * SIDE:
        raise ValueError(f"expected an MNIST digit of 784 pixels, got shape {pixels.shape}")
    pixels = pixels.reshape(SIDE, SIDE)
    peak = float(pixels.max())
    if peak <= 0:
        raise ValueError("the digit is blank")
    return pixels / peak


def _ink_field(digit: np.ndarray, scale: int) -> np.ndarray:
    """The digit upscaled to [28*scale]^2 with a bicubic filter and smoothed, float32, peak about 1.

    Bicubic enlargement keeps MNIST's pixel staircase as ripples along diagonal strokes; a blur of about
    two thirds of an MNIST pixel irons them out without rounding off the writer's shapes.
    """
    size = SIDE * scale
    smooth = Image.fromarray(digit_array(digit), "F").resize((size, size), BICUBIC)
    return blur(np.asarray(smooth), 0.65 * scale)


def ink_mask(digit: np.ndarray, level: float = 0.4, scale: int = MASK_SCALE) -> np.ndarray:
    """Crisp ink coverage in [0, 1], float32 [28*scale, 28*scale], from a blurry MNIST digit.

    The smoothed, enlarged digit is soft-thresholded at `level`: about 0.1 gives a marker, 0.4 a
    felt-tip, 0.6 a fine pen, because MNIST strokes fade from their centre line outwards.
    """
    return smoothstep(_ink_field(digit, scale), level - 0.04, level + 0.04)


def level_for_width(digit: np.ndarray, width_fraction: float, low: float = 0.2, high: float = 0.65) -> float:
    """The threshold level in [low, high] at which the digit's strokes are closest to `width_fraction` of
    its height (MNIST's own are about 0.13), among the levels that break no stroke apart.

    MNIST writers used pens of very different widths; the person re-drawing the digit uses their own
    pen, so a heavy digit is thresholded higher (which also opens loops that its ink had filled) and a
    faint one lower. A level that splits the digit into more pieces than it has at `low` is never
    chosen: a faint join in MNIST is still a join to the reader. Stroke width is measured as ink area
    over centre-line length, on a coarse grid because only the ratio matters.
    """
    field = _ink_field(digit, scale=5)
    strokes = field > 0.35
    length = max(1, int(centre_line(strokes).sum()))
    rows = np.flatnonzero(strokes.any(axis=1))
    height = rows[-1] - rows[0] + 1 if rows.size else field.shape[0]
    levels = np.linspace(low, high, 12)
    widths = np.array([(field > level).sum() for level in levels]) / (length * height)
    pieces = count_pieces(field > low)
    for best in np.argsort(np.abs(widths - width_fraction), kind="stable"):
        if count_pieces(field > levels[best]) <= pieces:
            return float(levels[best])
    return low


def count_pieces(mask: np.ndarray) -> int:
    """How many separate pieces (8-connected) a boolean mask has."""
    return int(ndimage.label(np.asarray(mask, dtype=bool), structure=np.ones((3, 3), dtype=bool))[1])


def centre_line(mask: np.ndarray) -> np.ndarray:
    """The 1-pixel centre line of a boolean stroke mask, bool, same shape; loops stay loops."""
    return skeletonize(np.asarray(mask, dtype=bool))


def pen_mask(digit: np.ndarray, width_fraction: float, scale: int = MASK_SCALE) -> np.ndarray:
    """A stroke of even width along the digit's centre line, as a ballpoint or a drawing-app brush draws.

    `width_fraction` is the pen width relative to the digit's height (MNIST's own strokes are about 0.13).
    Returns float32 [28*scale, 28*scale] in [0, 1].
    """
    # The outline whose centre line we follow: a heavy digit is cut high so its small loops stay open,
    # a faint one low so its faint joins stay connected.
    strokes = ink_mask(digit, level_for_width(digit, 0.1, low=0.3, high=0.65), scale=scale) > 0.5
    line = centre_line(strokes).astype(np.float32)
    rows = np.flatnonzero(strokes.any(axis=1))
    width = max(1.0, width_fraction * (rows[-1] - rows[0] + 1))
    # A blurred 1-px line stays above 0.3 of its peak over about 3.1 sigma; diagonal runs of the staircase
    # centre line are a little sparser, and a low threshold keeps them almost as wide as straight ones.
    sigma = max(width / 3.1, 0.45)
    peak = 1.0 / (math.sqrt(2.0 * math.pi) * sigma)
    return smoothstep(blur(line, sigma), 0.2 * peak, 0.4 * peak)


def fit_ink(mask: np.ndarray, height: float, angle: float = 0.0) -> np.ndarray:
    """Rotate a mask by `angle` degrees (counter-clockwise), crop it to the ink and scale it so the ink is
    `height` pixels tall (aspect kept). Returns float32 in [0, 1]."""
    image = Image.fromarray(np.asarray(mask, dtype=np.float32), "F")
    if angle:
        image = image.rotate(angle, resample=BICUBIC, expand=True)
    pixels = np.asarray(image)
    rows = np.flatnonzero(pixels.max(axis=1) > 0.05)
    cols = np.flatnonzero(pixels.max(axis=0) > 0.05)
    if rows.size == 0:
        raise ValueError("the mask has no ink")
    pixels = np.ascontiguousarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    factor = height / pixels.shape[0]
    size = (max(1, round(pixels.shape[1] * factor)), max(1, round(height)))
    fitted = np.asarray(Image.fromarray(pixels, "F").resize(size, LANCZOS))
    if factor > 1.2:
        # Enlarging softens the edges by the same factor; re-threshold so they stay about 1 px wide.
        fitted = smoothstep(fitted, 0.5 - 0.6 / factor, 0.5 + 0.6 / factor)
    return np.clip(fitted, 0.0, 1.0).astype(np.float32)


def place(
    ink: np.ndarray, shape: tuple[int, int], rng: np.random.Generator, margin: float = 0.04, corner: bool = False
) -> np.ndarray:
    """Put a fitted ink mask on an empty canvas of `shape` (h, w) at a random position.

    The ink keeps `margin` (fraction of the shorter side) from the edges; with `corner`, it sits near one
    of the four corners instead of anywhere.
    """
    height, width = shape
    gap = int(margin * min(height, width))
    room = min((height - 2 * gap) / ink.shape[0], (width - 2 * gap) / ink.shape[1])
    if room < 1:
        # A wide digit (a long top bar, a tilted 1) would run off the canvas: draw it smaller instead.
        size = (max(1, int(ink.shape[1] * room)), max(1, int(ink.shape[0] * room)))
        ink = np.clip(np.asarray(Image.fromarray(ink, "F").resize(size, LANCZOS)), 0, 1)
    ink_h, ink_w = ink.shape
    free_y, free_x = max(0, height - ink_h - 2 * gap), max(0, width - ink_w - 2 * gap)
    if corner:
        bottom, right = rng.integers(0, 2, size=2)
        slack_y, slack_x = rng.uniform(0, 0.08, size=2)
        y = gap + int((1 - slack_y if bottom else slack_y) * free_y)
        x = gap + int((1 - slack_x if right else slack_x) * free_x)
    else:
        y = gap + int(rng.integers(0, free_y + 1))
        x = gap + int(rng.integers(0, free_x + 1))
    canvas = np.zeros(shape, np.float32)
    canvas[y : y + ink_h, x : x + ink_w] = ink
    return canvas


def frame(rng: np.random.Generator, low: int, high: int) -> tuple[int, int]:
    """A 4:3 or 3:4 (h, w) frame whose long side is in [low, high]."""
    long_side = int(rng.integers(low, high + 1))
    short_side = long_side * 3 // 4
    return (long_side, short_side) if rng.random() < 0.5 else (short_side, long_side)


# ---------------------------------------------------------------------------------------------------
# Paper, light and ink


def paper(shape: tuple[int, int], rng: np.random.Generator, colour, grain: float, blotch: float) -> np.ndarray:
    """float [h, w, 3]: paper of `colour` with fibre grain (pixel noise) and blotches (slow unevenness)."""
    tone = blotch * smooth_noise(shape, rng, cell=min(shape) / 6.0)
    if grain > 0:
        # Fibres are a little larger than a pixel: noise drawn at half resolution and enlarged.
        tone += grain * smooth_noise(shape, rng, cell=2.0)
    return np.asarray(colour, np.float32)[None, None, :] + tone[..., None]


def unit_grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates running from -1 to 1 across the frame, as [h, 1] and [1, w] (broadcast)."""
    height, width = shape
    rows = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    cols = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    return rows, cols


def lighting(shape: tuple[int, int], rng: np.random.Generator, gradient: float, vignette: float) -> np.ndarray:
    """float [h, w] brightness factor: light falling off across the frame in a random direction, plus a
    vignette around a point near the centre (lens and lamp), as in a phone photo."""
    yy, xx = unit_grid(shape)
    angle = rng.uniform(0, 2 * math.pi)
    along = (xx * math.cos(angle) + yy * math.sin(angle)) / math.sqrt(2)
    light = 1.0 - gradient * (0.5 - 0.5 * along)
    cy, cx = rng.uniform(-0.3, 0.3, size=2)
    light *= 1.0 - vignette * ((xx - cx) ** 2 + (yy - cy) ** 2) / 2.0
    return light.astype(np.float32)


def shadow(shape: tuple[int, int], rng: np.random.Generator, depth: float) -> np.ndarray:
    """float [h, w] factor: the soft shadow of a phone or hand falling over one edge of the frame."""
    yy, xx = unit_grid(shape)
    angle = rng.uniform(0, 2 * math.pi)
    along = xx * math.cos(angle) + yy * math.sin(angle)
    edge = rng.uniform(0.55, 0.9)  # the shadow covers the frame beyond this distance from the centre
    covered = 1.0 / (1.0 + np.exp(-(along - edge) / 0.08))
    return (1.0 - depth * covered).astype(np.float32)


def pressure(shape: tuple[int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
    """float [h, w] in [1 - amount, 1]: ink that is lighter where the pen pressed less."""
    wobble = smooth_noise(shape, rng, cell=min(shape) / 10.0)
    return (1.0 - amount * np.clip(0.5 + 0.5 * wobble, 0, 1)).astype(np.float32)


def ink_on(background: np.ndarray, alpha: np.ndarray, ink) -> np.ndarray:
    """Lay ink of colour `ink` with coverage `alpha` [h, w] over a float RGB background."""
    cover = alpha[..., None]
    return background * (1.0 - cover) + np.asarray(ink, np.float32) * cover


def sensor(rgb: np.ndarray, rng: np.random.Generator, blur: float, noise: float) -> np.ndarray:
    """Camera or scanner: slightly out of focus, then noisy. float RGB in, float RGB out."""
    # Pillow blurs 8-bit images in C, far faster than a float blur, and the result is 8-bit anyway.
    focused = np.asarray(rgb_image(rgb).filter(ImageFilter.GaussianBlur(blur)), np.float32)
    return focused + noise * rng.standard_normal(focused.shape, dtype=np.float32)


def jpeg(quality: int) -> dict:
    return {"ext": "jpg", "format": "JPEG", "quality": int(quality)}


def png() -> dict:
    return {"ext": "png", "format": "PNG"}


