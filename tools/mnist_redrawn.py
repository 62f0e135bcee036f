"""Re-draw MNIST digits the way people actually send them: photos, drawings, scans and odd file formats.

A model trained on MNIST has only seen 28x28 white-on-black digits, size-normalised and centred by mass.
People send a phone photo of ink on paper, a transparent PNG from a drawing app, a chalkboard, a 16-bit
scan. These functions turn one MNIST *test* digit into such an image, so that the preparation pipeline
(MNIST's recipe, see DESIGN.md) can be measured on material whose true label is known, and so that the
classic "resize to 28x28 and invert" shortcut can be shown to fail on it.

Every rendering starts the same way: the blurry 28x28 is upscaled (bicubic) and soft-thresholded into a
crisp ink mask whose threshold level sets the pen (low = marker, high = fine pen); a thin pen or a
drawing-app brush instead follows the digit's centre line at a fixed width. The mask is then rotated,
sized and placed on a canvas, and the canvas is coloured, lit, blurred, noised and encoded as the kind
says. All randomness comes from the numpy Generator passed in, so one seed gives byte-identical files.

Example::

    rng = np.random.default_rng(0)
    image, save_kwargs = render("photo", digit, rng)
    save(image, save_kwargs, file_name(7, "photo", save_kwargs["ext"]))
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFilter

from digitnet.data import FILE_NAMES, Split, read_split
from digitnet.errors import DigitnetError

KINDS = (
    "photo",
    "phone_exif",
    "drawing_transparent",
    "white_on_black",
    "coloured_pen",
    "thick_marker",
    "thin_pen",
    "off_centre",
    "scan_gray16",
    "odd_formats",
)
# The file formats `odd_formats` cycles through (its `variant`).
ODD_FORMATS = ("palette_gif", "animated_gif", "bmp", "webp", "cmyk_jpeg", "la_png")

# Keys of the save dict that describe the file rather than being Pillow save() arguments.
META_KEYS = ("ext", "variant")

EXIF_ORIENTATION = 0x0112
# What to do to the upright pixels so that a viewer applying the EXIF orientation shows them upright
# again: orientation 6 means "rotate 90 degrees clockwise to display", so the stored pixels are the upright
# ones turned 90 degrees counter-clockwise (Pillow's ROTATE_90), and so on.
_STORED_TURN = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}

_SIDE = 28
# The ink mask is worked out on a 28*_MASK_SCALE square (280 px): fine enough for smooth outlines, small
# enough that thinning a stroke to its centre line takes milliseconds.
_MASK_SCALE = 10

_BICUBIC = Image.Resampling.BICUBIC
_LANCZOS = Image.Resampling.LANCZOS

_DARK_INKS = ((22, 22, 28), (28, 30, 36), (18, 26, 64), (24, 34, 92))  # black and blue-black
_COLOURED_INKS = {
    "red": (196, 32, 40),
    "blue": (30, 62, 176),
    "green": (24, 122, 60),
    "purple": (112, 42, 146),
}


# ---------------------------------------------------------------------------------------------------
# Small numeric helpers


def _smoothstep(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below `low`, 1 above `high`, a smooth S in between: a soft threshold that keeps edges anti-aliased."""
    t = np.clip((values - low) / (high - low), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the first two axes (separable, edges extended), in float32.

    Pillow's GaussianBlur works on 8-bit images only; masks and 16-bit scans need more precision.
    """
    values = np.asarray(values, dtype=np.float32)
    if sigma <= 0.1:
        return values
    radius = max(1, int(math.ceil(3.0 * sigma)))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = (kernel / kernel.sum()).astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * values.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(values, pad, mode="edge")
        length = values.shape[axis]
        window = [slice(None)] * values.ndim
        out = np.zeros_like(values)
        for tap, weight in enumerate(kernel):
            window[axis] = slice(tap, tap + length)
            out += weight * padded[tuple(window)]
        values = out
    return values


def _smooth_noise(shape: tuple[int, int], rng: np.random.Generator, cell: float) -> np.ndarray:
    """Noise that varies over about `cell` pixels (paper fibres, smudges, ink pressure), roughly unit scale."""
    height, width = shape
    grid = rng.standard_normal((int(height / cell) + 2, int(width / cell) + 2), dtype=np.float32)
    return np.asarray(Image.fromarray(grid, "F").resize((width, height), _BICUBIC))


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _rgb_image(values: np.ndarray) -> Image.Image:
    """float [h, w, 3] in 0..255 -> an RGB image."""
    return Image.fromarray(_to_uint8(values))


def _jitter(colour: tuple[int, int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
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
    if pixels.size != _SIDE * _SIDE:
        raise ValueError(f"expected an MNIST digit of 784 pixels, got shape {pixels.shape}")
    pixels = pixels.reshape(_SIDE, _SIDE)
    peak = float(pixels.max())
    if peak <= 0:
        raise ValueError("the digit is blank")
    return pixels / peak


def _ink_field(digit: np.ndarray, scale: int) -> np.ndarray:
    """The digit upscaled to [28*scale]^2 with a bicubic filter and smoothed, float32, peak about 1.

    Bicubic enlargement keeps MNIST's pixel staircase as ripples along diagonal strokes; a blur of about
    two thirds of an MNIST pixel irons them out without rounding off the writer's shapes.
    """
    size = _SIDE * scale
    smooth = Image.fromarray(digit_array(digit), "F").resize((size, size), _BICUBIC)
    return _blur(np.asarray(smooth), 0.65 * scale)


def ink_mask(digit: np.ndarray, level: float = 0.4, scale: int = _MASK_SCALE) -> np.ndarray:
    """Crisp ink coverage in [0, 1], float32 [28*scale, 28*scale], from a blurry MNIST digit.

    The smoothed, enlarged digit is soft-thresholded at `level`: about 0.1 gives a marker, 0.4 a
    felt-tip, 0.6 a fine pen, because MNIST strokes fade from their centre line outwards.
    """
    return _smoothstep(_ink_field(digit, scale), level - 0.04, level + 0.04)


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


def _spread_along_rows(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every pixel of a horizontal run of `mask` takes the largest label found in that run."""
    starts = mask.copy()
    starts[:, 1:] &= ~mask[:, :-1]
    run = np.cumsum(starts.ravel()) - 1
    inside = mask.ravel()
    largest = np.zeros(int(starts.sum()), labels.dtype)
    np.maximum.at(largest, run[inside], labels.ravel()[inside])
    spread = np.zeros(labels.size, labels.dtype)
    spread[inside] = largest[run[inside]]
    return spread.reshape(labels.shape)


def count_pieces(mask: np.ndarray) -> int:
    """How many separate pieces (8-connected) a boolean mask has.

    Labels spread along whole rows and columns of the mask at once and then to diagonal neighbours,
    so this converges in about as many rounds as a stroke has bends, not as it has pixels.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return 0
    height, width = mask.shape
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:
        before = labels
        labels = _spread_along_rows(labels, mask)
        labels = _spread_along_rows(labels.T, mask.T).T
        padded = np.pad(labels, 1)
        for dy in (0, 2):
            for dx in (0, 2):
                labels = np.maximum(labels, padded[dy : dy + height, dx : dx + width])
        labels = np.where(mask, labels, 0)
        if np.array_equal(labels, before):
            return int(np.unique(labels[mask]).size)


def centre_line(mask: np.ndarray) -> np.ndarray:
    """The 1-pixel centre line of a boolean stroke mask (Zhang-Suen thinning), bool, same shape.

    Boundary pixels are peeled off in two alternating passes until only pixels that hold the strokes
    together remain; it keeps the digit's topology (loops stay loops).
    """
    image = np.pad(np.asarray(mask, dtype=bool), 1)
    centre = image[1:-1, 1:-1]
    while True:
        changed = False
        for first_pass in (True, False):
            # Neighbours clockwise from north: p2 (N), p3 (NE), p4 (E), ... p9 (NW).
            p2, p3, p4 = image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:]
            p5, p6, p7 = image[2:, 2:], image[2:, 1:-1], image[2:, :-2]
            p8, p9 = image[1:-1, :-2], image[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9)
            count = np.zeros(centre.shape, np.uint8)
            transitions = np.zeros(centre.shape, np.uint8)
            for here, after in zip(ring, ring[1:] + ring[:1], strict=True):
                count += here
                transitions += ~here & after
            if first_pass:
                spare = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
            else:
                spare = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            remove = centre & (count >= 2) & (count <= 6) & (transitions == 1) & spare
            if remove.any():
                centre[remove] = False  # `centre` is a view into `image`
                changed = True
        if not changed:
            return centre.copy()


def pen_mask(digit: np.ndarray, width_fraction: float, scale: int = _MASK_SCALE) -> np.ndarray:
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
    return _smoothstep(_blur(line, sigma), 0.2 * peak, 0.4 * peak)


def fit_ink(mask: np.ndarray, height: float, angle: float = 0.0) -> np.ndarray:
    """Rotate a mask by `angle` degrees (counter-clockwise), crop it to the ink and scale it so the ink is
    `height` pixels tall (aspect kept). Returns float32 in [0, 1]."""
    image = Image.fromarray(np.asarray(mask, dtype=np.float32), "F")
    if angle:
        image = image.rotate(angle, resample=_BICUBIC, expand=True)
    pixels = np.asarray(image)
    rows = np.flatnonzero(pixels.max(axis=1) > 0.05)
    cols = np.flatnonzero(pixels.max(axis=0) > 0.05)
    if rows.size == 0:
        raise ValueError("the mask has no ink")
    pixels = np.ascontiguousarray(pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    factor = height / pixels.shape[0]
    size = (max(1, round(pixels.shape[1] * factor)), max(1, round(height)))
    fitted = np.asarray(Image.fromarray(pixels, "F").resize(size, _LANCZOS))
    if factor > 1.2:
        # Enlarging softens the edges by the same factor; re-threshold so they stay about 1 px wide.
        fitted = _smoothstep(fitted, 0.5 - 0.6 / factor, 0.5 + 0.6 / factor)
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
        ink = np.clip(np.asarray(Image.fromarray(ink, "F").resize(size, _LANCZOS)), 0, 1)
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


def _frame(rng: np.random.Generator, low: int, high: int) -> tuple[int, int]:
    """A 4:3 or 3:4 (h, w) frame whose long side is in [low, high]."""
    long_side = int(rng.integers(low, high + 1))
    short_side = long_side * 3 // 4
    return (long_side, short_side) if rng.random() < 0.5 else (short_side, long_side)


# ---------------------------------------------------------------------------------------------------
# Paper, light and ink


def _paper(shape: tuple[int, int], rng: np.random.Generator, colour, grain: float, blotch: float) -> np.ndarray:
    """float [h, w, 3]: paper of `colour` with fibre grain (pixel noise) and blotches (slow unevenness)."""
    tone = blotch * _smooth_noise(shape, rng, cell=min(shape) / 6.0)
    if grain > 0:
        # Fibres are a little larger than a pixel: noise drawn at half resolution and enlarged.
        tone += grain * _smooth_noise(shape, rng, cell=2.0)
    return np.asarray(colour, np.float32)[None, None, :] + tone[..., None]


def _unit_grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates running from -1 to 1 across the frame, as [h, 1] and [1, w] (broadcast)."""
    height, width = shape
    rows = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    cols = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    return rows, cols


def _lighting(shape: tuple[int, int], rng: np.random.Generator, gradient: float, vignette: float) -> np.ndarray:
    """float [h, w] brightness factor: light falling off across the frame in a random direction, plus a
    vignette around a point near the centre (lens and lamp), as in a phone photo."""
    yy, xx = _unit_grid(shape)
    angle = rng.uniform(0, 2 * math.pi)
    along = (xx * math.cos(angle) + yy * math.sin(angle)) / math.sqrt(2)
    light = 1.0 - gradient * (0.5 - 0.5 * along)
    cy, cx = rng.uniform(-0.3, 0.3, size=2)
    light *= 1.0 - vignette * ((xx - cx) ** 2 + (yy - cy) ** 2) / 2.0
    return light.astype(np.float32)


def _shadow(shape: tuple[int, int], rng: np.random.Generator, depth: float) -> np.ndarray:
    """float [h, w] factor: the soft shadow of a phone or hand falling over one edge of the frame."""
    yy, xx = _unit_grid(shape)
    angle = rng.uniform(0, 2 * math.pi)
    along = xx * math.cos(angle) + yy * math.sin(angle)
    edge = rng.uniform(0.55, 0.9)  # the shadow covers the frame beyond this distance from the centre
    covered = 1.0 / (1.0 + np.exp(-(along - edge) / 0.08))
    return (1.0 - depth * covered).astype(np.float32)


def _pressure(shape: tuple[int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
    """float [h, w] in [1 - amount, 1]: ink that is lighter where the pen pressed less."""
    wobble = _smooth_noise(shape, rng, cell=min(shape) / 10.0)
    return (1.0 - amount * np.clip(0.5 + 0.5 * wobble, 0, 1)).astype(np.float32)


def _ink_on(background: np.ndarray, alpha: np.ndarray, ink) -> np.ndarray:
    """Lay ink of colour `ink` with coverage `alpha` [h, w] over a float RGB background."""
    cover = alpha[..., None]
    return background * (1.0 - cover) + np.asarray(ink, np.float32) * cover


def _sensor(rgb: np.ndarray, rng: np.random.Generator, blur: float, noise: float) -> np.ndarray:
    """Camera or scanner: slightly out of focus, then noisy. float RGB in, float RGB out."""
    # Pillow blurs 8-bit images in C, far faster than a float blur, and the result is 8-bit anyway.
    focused = np.asarray(_rgb_image(rgb).filter(ImageFilter.GaussianBlur(blur)), np.float32)
    return focused + noise * rng.standard_normal(focused.shape, dtype=np.float32)


def _jpeg(quality: int) -> dict:
    return {"ext": "jpg", "format": "JPEG", "quality": int(quality)}


def _png() -> dict:
    return {"ext": "png", "format": "PNG"}


# ---------------------------------------------------------------------------------------------------
# The kinds


def _photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A phone photo of a digit written on paper: off-white paper, dark ink, uneven light, JPEG."""
    shape = _frame(rng, 560, 800)
    ink_height = rng.uniform(0.25, 0.7) * min(shape)
    mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = place(fit_ink(mask, ink_height, rng.uniform(-8, 8)), shape, rng)
    alpha *= _pressure(shape, rng, rng.uniform(0.0, 0.25))
    paper_colour = rng.uniform(205, 245) + np.array([rng.uniform(0, 6), rng.uniform(-2, 2), rng.uniform(-12, 0)])
    paper = _paper(shape, rng, paper_colour, grain=rng.uniform(1.5, 4), blotch=rng.uniform(2, 6))
    ink = _jitter(_DARK_INKS[rng.integers(len(_DARK_INKS))], rng, 8)
    rgb = _ink_on(paper, alpha * rng.uniform(0.85, 1.0), ink)
    light = _lighting(shape, rng, gradient=rng.uniform(0.1, 0.35), vignette=rng.uniform(0.05, 0.25))
    if rng.random() < 0.4:
        light *= _shadow(shape, rng, rng.uniform(0.15, 0.35))
    rgb = _sensor(rgb * light[..., None], rng, blur=rng.uniform(0.5, 1.3), noise=rng.uniform(1.5, 4))
    return _rgb_image(rgb), _jpeg(rng.integers(60, 91))


def _phone_exif(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A photo as phones store it: pixels as the sensor read them (turned) plus an EXIF Orientation tag.

    The upright picture is exactly `_photo`'s with the same generator state (the turn is drawn last), so
    tests can check that applying the tag restores it.
    """
    upright, save_kwargs = _photo(digit, rng)
    orientation = int(rng.choice(sorted(_STORED_TURN)))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[0x010F] = "digitnet"  # Make
    exif[0x0110] = "synthetic phone"  # Model
    return upright.transpose(_STORED_TURN[orientation]), {**save_kwargs, "exif": exif.tobytes()}


def _drawing_transparent(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A drawing-app PNG: RGBA, transparent background, an even brush stroke with anti-aliased alpha.

    Most apps store fully transparent pixels as black (0, 0, 0, 0), which a reader that drops the alpha
    channel sees as black paper; some store white.
    """
    side = int(rng.integers(256, 513))
    shape = (side, side)
    mask = pen_mask(digit, width_fraction=rng.uniform(0.05, 0.12))
    alpha = place(fit_ink(mask, rng.uniform(0.4, 0.85) * side, rng.uniform(-5, 5)), shape, rng, margin=0.02)
    palette = [*_DARK_INKS, *_COLOURED_INKS.values(), (230, 110, 20)]
    colour = _jitter(palette[rng.integers(len(palette))], rng, 6)
    hidden = (255.0, 255.0, 255.0) if rng.random() < 0.25 else (0.0, 0.0, 0.0)
    rgb = np.where(alpha[..., None] > 0, colour, np.asarray(hidden, np.float32))
    rgba = np.dstack([_to_uint8(rgb), _to_uint8(255 * alpha)])
    return Image.fromarray(rgba, "RGBA"), _png()


def _white_on_black(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Light strokes on a dark background: chalk on a blackboard, or a dark-mode drawing app screenshot."""
    if rng.random() < 0.5:
        shape = _frame(rng, 420, 560)
        board = _jitter((38, 52, 44) if rng.random() < 0.6 else (34, 36, 38), rng, 6)
        background = _paper(shape, rng, board, grain=0.0, blotch=rng.uniform(3, 8))
        mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.09, 0.15)))
        alpha = place(fit_ink(mask, rng.uniform(0.35, 0.7) * min(shape), rng.uniform(-6, 6)), shape, rng)
        # Chalk leaves a broken, grainy line: the board shows through in specks.
        grain = np.clip(0.8 + 0.35 * _smooth_noise(shape, rng, cell=1.5), 0, 1)
        rgb = _ink_on(background, alpha * grain * rng.uniform(0.8, 0.95), _jitter((236, 236, 226), rng, 8))
        rgb = _blur(rgb, 0.6)
    else:
        side = int(rng.integers(320, 481))
        shape = (side, side)
        background = np.broadcast_to(_jitter((30, 32, 38), rng, 12), (*shape, 3)).astype(np.float32)
        mask = pen_mask(digit, width_fraction=rng.uniform(0.05, 0.1))
        alpha = place(fit_ink(mask, rng.uniform(0.4, 0.8) * side), shape, rng)
        stroke = [(240, 240, 240), (250, 235, 150), (140, 220, 250), (170, 250, 170)][rng.integers(4)]
        rgb = _ink_on(background, alpha, _jitter(stroke, rng, 6))
    return _rgb_image(rgb), _png()


def _coloured_pen(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Red, blue, green or purple ink on white or cream paper, scanned or evenly lit; JPEG or PNG."""
    shape = _frame(rng, 400, 640)
    paper_colour = _jitter((252, 252, 250) if rng.random() < 0.5 else (246, 238, 214), rng, 3)
    as_png = rng.random() < 0.4
    paper = _paper(shape, rng, paper_colour, grain=0.0 if as_png else 1.5, blotch=rng.uniform(0.5, 2))
    mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = place(fit_ink(mask, rng.uniform(0.35, 0.7) * min(shape), rng.uniform(-6, 6)), shape, rng)
    alpha *= _pressure(shape, rng, rng.uniform(0.0, 0.2))
    colour = list(_COLOURED_INKS.values())[rng.integers(len(_COLOURED_INKS))]
    rgb = _ink_on(paper, alpha, _jitter(colour, rng, 12))
    if as_png:
        return _rgb_image(_blur(rgb, 0.4)), _png()
    light = _lighting(shape, rng, gradient=rng.uniform(0.0, 0.12), vignette=rng.uniform(0.0, 0.08))
    rgb = _sensor(rgb * light[..., None], rng, blur=0.5, noise=1.0)
    return _rgb_image(rgb), _jpeg(rng.integers(75, 93))


def _thick_marker(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A large digit in a fat marker on a whiteboard or paper."""
    shape = _frame(rng, 360, 560)
    ink_height = rng.uniform(0.6, 0.85) * min(shape)
    if rng.random() < 0.5:
        # MNIST's own outline taken far out: the writer's shapes in a fat pen.
        mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.2, 0.26), low=0.05, high=0.4))
    else:
        mask = pen_mask(digit, width_fraction=rng.uniform(0.15, 0.2))
    alpha = place(fit_ink(mask, ink_height, rng.uniform(-5, 5)), shape, rng, margin=0.03)
    # Felt tips streak: a little lighter here and there along the stroke.
    alpha *= _pressure(shape, rng, rng.uniform(0.0, 0.15))
    colour = [(20, 20, 24), (22, 40, 150), (180, 24, 30), (20, 110, 50)][rng.integers(4)]
    background = _paper(shape, rng, _jitter((246, 247, 246), rng, 6), grain=0.0, blotch=rng.uniform(0.5, 3))
    rgb = _ink_on(background, alpha, _jitter(colour, rng, 10))
    if rng.random() < 0.5:
        return _rgb_image(rgb), _png()
    return _rgb_image(_sensor(rgb, rng, blur=0.5, noise=1.5)), _jpeg(rng.integers(70, 91))


def _thin_pen(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A smallish digit in a fine ballpoint (1-3 px) on white paper."""
    shape = _frame(rng, 480, 560)
    ink_height = rng.uniform(0.25, 0.4) * min(shape)
    pen_width = rng.uniform(1.2, 3.0)
    mask = pen_mask(digit, width_fraction=pen_width / ink_height)
    alpha = place(fit_ink(mask, ink_height, rng.uniform(-6, 6)), shape, rng)
    alpha *= _pressure(shape, rng, rng.uniform(0.1, 0.3))
    ink = _jitter([(32, 52, 150), (30, 30, 36)][rng.integers(2)], rng, 8)
    paper_colour = _jitter((248, 248, 246), rng, 4)
    if rng.random() < 0.5:
        # A drawing tablet or a cleaned-up scan: smooth paper, lossless.
        paper = _paper(shape, rng, paper_colour, grain=0.0, blotch=rng.uniform(0.5, 2))
        return _rgb_image(_ink_on(paper, alpha, ink)), _png()
    paper = _paper(shape, rng, paper_colour, grain=0.8, blotch=rng.uniform(0.5, 2))
    return _rgb_image(_sensor(_ink_on(paper, alpha, ink), rng, blur=0.4, noise=1.0)), _jpeg(rng.integers(80, 93))


def _off_centre(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A small digit near a corner of a large, otherwise clean canvas (800x600 or 600x800)."""
    shape = (600, 800) if rng.random() < 0.5 else (800, 600)
    mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.1, 0.15)))
    ink = fit_ink(mask, rng.uniform(0.1, 0.25) * min(shape), rng.uniform(-4, 4))
    alpha = place(ink, shape, rng, margin=rng.uniform(0.02, 0.08), corner=True)
    rgb = _ink_on(np.full((*shape, 3), 255.0, np.float32), alpha, _jitter((20, 20, 24), rng, 10))
    return _rgb_image(rgb), _png()


def _scan_gray16(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A 16-bit grayscale scan of a page: dark ink on light paper, a lamp that fades across the page."""
    width = int(rng.integers(280, 381))
    shape = (int(width * 1.414), width)  # A-series page
    mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.08, 0.14)))
    alpha = place(fit_ink(mask, rng.uniform(0.2, 0.4) * width, rng.uniform(-3, 3)), shape, rng, margin=0.08)
    paper = rng.uniform(0.84, 0.93) * _lighting(shape, rng, gradient=rng.uniform(0.02, 0.08), vignette=0.0)
    paper += 0.006 * _smooth_noise(shape, rng, cell=width / 5)
    ink = rng.uniform(0.06, 0.2)
    page = paper * (1 - alpha) + ink * alpha
    # Sensor noise before the optics' blur: scanner noise is correlated over neighbouring pixels.
    page = _blur(page + 0.0015 * rng.standard_normal(shape, dtype=np.float32), 0.7)
    # A 12-bit sensor: the 16-bit values are multiples of 16, as many scanners deliver them.
    counts = np.clip(np.rint(page * 4095), 0, 4095).astype(np.uint16) * np.uint16(16)
    return Image.fromarray(counts), _png()


def _drawn_on_white(digit: np.ndarray, rng: np.random.Generator, side_range=(240, 400)) -> tuple:
    """A plain digit drawn on a white canvas: (alpha [h, w], ink colour) for the odd formats to encode."""
    shape = _frame(rng, *side_range)
    if rng.random() < 0.5:
        mask = pen_mask(digit, width_fraction=rng.uniform(0.06, 0.12))
    else:
        mask = ink_mask(digit, level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = place(fit_ink(mask, rng.uniform(0.4, 0.8) * min(shape), rng.uniform(-5, 5)), shape, rng)
    palette = [*_DARK_INKS, *_COLOURED_INKS.values()]
    return alpha, _jitter(palette[rng.integers(len(palette))], rng, 8)


def _palette_gif(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A palette GIF with one transparent index (stored as black) and a few ink shades matted on white."""
    alpha, colour = _drawn_on_white(digit, rng)
    rgb = _rgb_image(_ink_on(np.full((*alpha.shape, 3), 255.0, np.float32), alpha, colour))
    shades = rgb.quantize(colors=15, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    # GIF transparency is all or nothing: faint edge pixels become transparent, index 0.
    indices = np.asarray(shades, np.uint8) + 1
    indices[alpha < 0.3] = 0
    image = Image.fromarray(indices, "P")
    image.putpalette([0, 0, 0, *shades.getpalette()[: 15 * 3]])
    return image, {"ext": "gif", "format": "GIF", "transparency": 0}


def _animated_gif(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """An animated GIF: the first frame shows the digit, the second the empty page (a 'blink')."""
    alpha, colour = _drawn_on_white(digit, rng)
    page = np.full((*alpha.shape, 3), 255.0, np.float32)
    first = _rgb_image(_ink_on(page, alpha, colour)).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    second = _rgb_image(page - 6).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    return first, {
        "ext": "gif",
        "format": "GIF",
        "save_all": True,
        "append_images": [second],
        "duration": [900, 300],
        "loop": 0,
    }


def _bmp(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """An 8-bit grayscale BMP from a paint program: hard-edged (aliased) strokes on white."""
    alpha, _ = _drawn_on_white(digit, rng, side_range=(200, 300))
    gray = np.where(alpha > 0.5, rng.uniform(0, 40), 255.0)
    return Image.fromarray(_to_uint8(gray), "L"), {"ext": "bmp", "format": "BMP"}


def _webp(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A lossy WebP of ink on slightly uneven paper (as messaging apps re-encode pictures)."""
    alpha, colour = _drawn_on_white(digit, rng)
    paper = _paper(alpha.shape, rng, _jitter((244, 242, 236), rng, 6), grain=1.0, blotch=2.0)
    rgb = _rgb_image(_ink_on(paper, alpha, colour))
    return rgb, {"ext": "webp", "format": "WEBP", "quality": int(rng.integers(60, 86)), "method": 4}


def _cmyk_jpeg(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A CMYK JPEG, as print workflows export: black goes to the K plate (grey component replacement)."""
    alpha, colour = _drawn_on_white(digit, rng)
    rgb = _ink_on(np.full((*alpha.shape, 3), 252.0, np.float32), alpha, colour)
    key = 255.0 - rgb.max(axis=2)
    remaining = np.maximum(255.0 - key, 1.0)[..., None]
    # Inverse of Pillow's CMYK -> RGB (R = (255 - C) * (255 - K) / 255), so colours survive the round trip.
    cmy = 255.0 - rgb * 255.0 / remaining
    planes = [Image.fromarray(_to_uint8(p)) for p in (cmy[..., 0], cmy[..., 1], cmy[..., 2], key)]
    return Image.merge("CMYK", planes), _jpeg(rng.integers(80, 93))


def _la_png(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A grayscale-with-alpha PNG ('LA'): dark strokes, transparent (and black underneath) elsewhere."""
    alpha, _ = _drawn_on_white(digit, rng)
    gray = np.where(alpha > 0, rng.uniform(0, 60), 0.0)
    return Image.fromarray(np.dstack([_to_uint8(gray), _to_uint8(255 * alpha)]), "LA"), _png()


_ODD_RENDERERS = {
    "palette_gif": _palette_gif,
    "animated_gif": _animated_gif,
    "bmp": _bmp,
    "webp": _webp,
    "cmyk_jpeg": _cmyk_jpeg,
    "la_png": _la_png,
}

_RENDERERS = {
    "photo": _photo,
    "phone_exif": _phone_exif,
    "drawing_transparent": _drawing_transparent,
    "white_on_black": _white_on_black,
    "coloured_pen": _coloured_pen,
    "thick_marker": _thick_marker,
    "thin_pen": _thin_pen,
    "off_centre": _off_centre,
    "scan_gray16": _scan_gray16,
}


# ---------------------------------------------------------------------------------------------------
# Public API


def render(
    kind: str, digit: np.ndarray, rng: np.random.Generator, variant: str | int | None = None
) -> tuple[Image.Image, dict]:
    """Render one MNIST digit as a user would supply it.

    Args:
        kind: one of `KINDS`.
        digit: uint8 [784] or [28, 28], white on black (an MNIST row).
        rng: all randomness comes from here; the same state gives the same image and bytes.
        variant: only for "odd_formats": a name from `ODD_FORMATS` or an index into it (taken modulo its
            length, so a running counter cycles through them); None draws one from `rng`.

    Returns:
        (image, save_kwargs): the PIL image, and a dict with "ext" (file extension without dot), for
        "odd_formats" also "variant", plus the keyword arguments for `Image.save` (format, quality, exif,
        transparency, save_all, append_images, ...). Write it with `save`.
    """
    if kind == "odd_formats":
        if variant is None:
            variant = int(rng.integers(len(ODD_FORMATS)))
        if isinstance(variant, (int, np.integer)):
            variant = ODD_FORMATS[int(variant) % len(ODD_FORMATS)]
        if variant not in _ODD_RENDERERS:
            raise ValueError(f"unknown odd_formats variant {variant!r}; expected one of {ODD_FORMATS}")
        image, save_kwargs = _ODD_RENDERERS[variant](digit, rng)
        return image, {**save_kwargs, "variant": variant}
    if kind not in _RENDERERS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if variant is not None:
        raise ValueError(f"kind {kind!r} has no variants")
    return _RENDERERS[kind](digit, rng)


def save(image: Image.Image, save_kwargs: dict, target: str | os.PathLike | BinaryIO) -> None:
    """Write a rendered image to a path or binary file with its save arguments (the `META_KEYS` entries
    describe the file and are not passed to Pillow)."""
    image.save(target, **{key: value for key, value in save_kwargs.items() if key not in META_KEYS})


def file_name(label: int, kind: str, ext: str, variant: str | None = None, index: int | None = None) -> str:
    """The file name that carries a rendering's true label and kind: ``7-photo.jpg``,
    ``3-odd_formats-bmp.bmp``, ``5-thin_pen-0042.png``. The label is the text before the first '-'."""
    parts = [str(int(label)), kind]
    if variant:
        parts.append(variant)
    if index is not None:
        parts.append(f"{index:04d}")
    return "-".join(parts) + "." + ext


def parse_name(name: str | os.PathLike) -> tuple[int, str]:
    """(label, kind) from a name made by `file_name` (any folder in front is ignored)."""
    stem = Path(name).name.split(".", 1)[0]
    label, kind, *_ = stem.split("-")
    return int(label), kind


def render_to_folder(
    folder: str | os.PathLike,
    label: int,
    kind: str,
    digit: np.ndarray,
    seed,
    variant: str | int | None = None,
    index: int | None = None,
) -> str:
    """Render one digit with `np.random.default_rng(seed)` and write it into `folder` under the name that
    `file_name` gives it. Returns the file name. (A plain function of its arguments, so a process pool can
    run many at once.)"""
    image, save_kwargs = render(kind, digit, np.random.default_rng(seed), variant=variant)
    name = file_name(label, kind, save_kwargs["ext"], save_kwargs.get("variant"), index)
    save(image, save_kwargs, Path(folder) / name)
    return name


def read_test_digits(data_dir: str | os.PathLike = "MNIST") -> Split:
    """The MNIST *test* split (the model never trained on it) as a `digitnet.data.Split`.

    Raises DigitnetError with one line that says how to get the data when the CSVs are missing.
    """
    images = Path(data_dir) / FILE_NAMES["test_images"]
    labels = Path(data_dir) / FILE_NAMES["test_labels"]
    for path in (images, labels):
        if not path.is_file():
            raise DigitnetError(f"{path}: not found; run `make data` (or `python -m digitnet data`) first")
    return read_split(images, labels)
