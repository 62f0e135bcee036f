"""MNIST digits drawn on white and saved in the file formats people also send: GIF (palette and animated),
BMP, WebP, CMYK JPEG and gray PNG with transparency (the `odd_formats` kind of `tools.mnist_redrawn`)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tools import ink_and_paper as media

ODD_FORMATS = ("palette_gif", "animated_gif", "bmp", "webp", "cmyk_jpeg", "la_png")


def _drawn_on_white(digit: np.ndarray, rng: np.random.Generator, side_range=(240, 400)) -> tuple:
    """A plain digit drawn on a white canvas: (alpha [h, w], ink colour) for the odd formats to encode."""
    shape = media.frame(rng, *side_range)
    if rng.random() < 0.5:
        mask = media.pen_mask(digit, width_fraction=rng.uniform(0.06, 0.12))
    else:
        mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = media.place(media.fit_ink(mask, rng.uniform(0.4, 0.8) * min(shape), rng.uniform(-5, 5)), shape, rng)
    palette = [*media.DARK_INKS, *media.COLOURED_INKS.values()]
    return alpha, media.jitter(palette[rng.integers(len(palette))], rng, 8)


def _palette_gif(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A palette GIF with one transparent index (stored as black) and a few ink shades matted on white."""
    alpha, colour = _drawn_on_white(digit, rng)
    rgb = media.rgb_image(media.ink_on(np.full((*alpha.shape, 3), 255.0, np.float32), alpha, colour))
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
    first = media.rgb_image(media.ink_on(page, alpha, colour)).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    second = media.rgb_image(page - 6).convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
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
    return Image.fromarray(media.to_uint8(gray), "L"), {"ext": "bmp", "format": "BMP"}


def _webp(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A lossy WebP of ink on slightly uneven paper (as messaging apps re-encode pictures)."""
    alpha, colour = _drawn_on_white(digit, rng)
    paper = media.paper(alpha.shape, rng, media.jitter((244, 242, 236), rng, 6), grain=1.0, blotch=2.0)
    rgb = media.rgb_image(media.ink_on(paper, alpha, colour))
    return rgb, {"ext": "webp", "format": "WEBP", "quality": int(rng.integers(60, 86)), "method": 4}


def _cmyk_jpeg(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A CMYK JPEG, as print workflows export: black goes to the K plate (grey component replacement)."""
    alpha, colour = _drawn_on_white(digit, rng)
    rgb = media.ink_on(np.full((*alpha.shape, 3), 252.0, np.float32), alpha, colour)
    key = 255.0 - rgb.max(axis=2)
    remaining = np.maximum(255.0 - key, 1.0)[..., None]
    # Inverse of Pillow's CMYK -> RGB (R = (255 - C) * (255 - K) / 255), so colours survive the round trip.
    cmy = 255.0 - rgb * 255.0 / remaining
    planes = [Image.fromarray(media.to_uint8(p)) for p in (cmy[..., 0], cmy[..., 1], cmy[..., 2], key)]
    return Image.merge("CMYK", planes), media.jpeg(rng.integers(80, 93))


def _la_png(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A grayscale-with-alpha PNG ('LA'): dark strokes, transparent (and black underneath) elsewhere."""
    alpha, _ = _drawn_on_white(digit, rng)
    gray = np.where(alpha > 0, rng.uniform(0, 60), 0.0)
    return Image.fromarray(np.dstack([media.to_uint8(gray), media.to_uint8(255 * alpha)]), "LA"), media.png()


RENDERERS = {
    "palette_gif": _palette_gif,
    "animated_gif": _animated_gif,
    "bmp": _bmp,
    "webp": _webp,
    "cmyk_jpeg": _cmyk_jpeg,
    "la_png": _la_png,
}
