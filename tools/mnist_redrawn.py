"""Re-draw MNIST digits the way people actually send them: photos, drawings, scans and odd file formats.

A model trained on MNIST has only seen 28x28 white-on-black digits, size-normalised and centred by mass.
People send a phone photo of ink on paper, a transparent PNG from a drawing app, a chalkboard, a 16-bit
scan. These functions turn one MNIST *test* digit into such an image, so that the preparation pipeline
(MNIST's recipe, see `digitnet.images`) can be measured on material whose true label is known, and so that the
classic "resize to 28x28 and invert" shortcut can be shown to fail on it.

Every rendering starts with the digit as crisp ink (`tools.ink_and_paper`), rotated, sized and placed on
a canvas; the canvas is then coloured, lit, blurred, noised and encoded as the kind says. All randomness
comes from the numpy Generator passed in, so one seed gives byte-identical files.

Example::

    rng = np.random.default_rng(0)
    image, save_kwargs = render("photo", digit, rng)
    save(image, save_kwargs, file_name(7, "photo", save_kwargs["ext"]))
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from digitnet.data import FILE_NAMES, Split, read_split
from digitnet.errors import DigitnetError
from tools import ink_and_paper as media
from tools import odd_formats

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
ODD_FORMATS = odd_formats.ODD_FORMATS

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

_LANCZOS = Image.Resampling.LANCZOS

_LANCZOS = Image.Resampling.LANCZOS

# ---------------------------------------------------------------------------------------------------
# The kinds


def _photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A phone photo of a digit written on paper: off-white paper, dark ink, uneven light, JPEG."""
    shape = media.frame(rng, 560, 800)
    ink_height = rng.uniform(0.25, 0.7) * min(shape)
    mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = media.place(media.fit_ink(mask, ink_height, rng.uniform(-8, 8)), shape, rng)
    alpha *= media.pressure(shape, rng, rng.uniform(0.0, 0.25))
    paper_colour = rng.uniform(205, 245) + np.array([rng.uniform(0, 6), rng.uniform(-2, 2), rng.uniform(-12, 0)])
    paper = media.paper(shape, rng, paper_colour, grain=rng.uniform(1.5, 4), blotch=rng.uniform(2, 6))
    ink = media.jitter(media.DARK_INKS[rng.integers(len(media.DARK_INKS))], rng, 8)
    rgb = media.ink_on(paper, alpha * rng.uniform(0.85, 1.0), ink)
    light = media.lighting(shape, rng, gradient=rng.uniform(0.1, 0.35), vignette=rng.uniform(0.05, 0.25))
    if rng.random() < 0.4:
        light *= media.shadow(shape, rng, rng.uniform(0.15, 0.35))
    rgb = media.sensor(rgb * light[..., None], rng, blur=rng.uniform(0.5, 1.3), noise=rng.uniform(1.5, 4))
    return media.rgb_image(rgb), media.jpeg(rng.integers(60, 91))


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
    mask = media.pen_mask(digit, width_fraction=rng.uniform(0.05, 0.12))
    alpha = media.place(media.fit_ink(mask, rng.uniform(0.4, 0.85) * side, rng.uniform(-5, 5)), shape, rng, margin=0.02)
    palette = [*media.DARK_INKS, *media.COLOURED_INKS.values(), (230, 110, 20)]
    colour = media.jitter(palette[rng.integers(len(palette))], rng, 6)
    hidden = (255.0, 255.0, 255.0) if rng.random() < 0.25 else (0.0, 0.0, 0.0)
    rgb = np.where(alpha[..., None] > 0, colour, np.asarray(hidden, np.float32))
    rgba = np.dstack([media.to_uint8(rgb), media.to_uint8(255 * alpha)])
    return Image.fromarray(rgba, "RGBA"), media.png()


def _white_on_black(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Light strokes on a dark background: chalk on a blackboard, or a dark-mode drawing app screenshot."""
    if rng.random() < 0.5:
        shape = media.frame(rng, 420, 560)
        board = media.jitter((38, 52, 44) if rng.random() < 0.6 else (34, 36, 38), rng, 6)
        background = media.paper(shape, rng, board, grain=0.0, blotch=rng.uniform(3, 8))
        mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.09, 0.15)))
        alpha = media.place(media.fit_ink(mask, rng.uniform(0.35, 0.7) * min(shape), rng.uniform(-6, 6)), shape, rng)
        # Chalk leaves a broken, grainy line: the board shows through in specks.
        grain = np.clip(0.8 + 0.35 * media.smooth_noise(shape, rng, cell=1.5), 0, 1)
        rgb = media.ink_on(background, alpha * grain * rng.uniform(0.8, 0.95), media.jitter((236, 236, 226), rng, 8))
        rgb = media.blur(rgb, 0.6)
    else:
        side = int(rng.integers(320, 481))
        shape = (side, side)
        background = np.broadcast_to(media.jitter((30, 32, 38), rng, 12), (*shape, 3)).astype(np.float32)
        mask = media.pen_mask(digit, width_fraction=rng.uniform(0.05, 0.1))
        alpha = media.place(media.fit_ink(mask, rng.uniform(0.4, 0.8) * side), shape, rng)
        stroke = [(240, 240, 240), (250, 235, 150), (140, 220, 250), (170, 250, 170)][rng.integers(4)]
        rgb = media.ink_on(background, alpha, media.jitter(stroke, rng, 6))
    return media.rgb_image(rgb), media.png()


def _coloured_pen(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """Red, blue, green or purple ink on white or cream paper, scanned or evenly lit; JPEG or PNG."""
    shape = media.frame(rng, 400, 640)
    paper_colour = media.jitter((252, 252, 250) if rng.random() < 0.5 else (246, 238, 214), rng, 3)
    as_png = rng.random() < 0.4
    paper = media.paper(shape, rng, paper_colour, grain=0.0 if as_png else 1.5, blotch=rng.uniform(0.5, 2))
    mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.09, 0.15)))
    alpha = media.place(media.fit_ink(mask, rng.uniform(0.35, 0.7) * min(shape), rng.uniform(-6, 6)), shape, rng)
    alpha *= media.pressure(shape, rng, rng.uniform(0.0, 0.2))
    colour = list(media.COLOURED_INKS.values())[rng.integers(len(media.COLOURED_INKS))]
    rgb = media.ink_on(paper, alpha, media.jitter(colour, rng, 12))
    if as_png:
        return media.rgb_image(media.blur(rgb, 0.4)), media.png()
    light = media.lighting(shape, rng, gradient=rng.uniform(0.0, 0.12), vignette=rng.uniform(0.0, 0.08))
    rgb = media.sensor(rgb * light[..., None], rng, blur=0.5, noise=1.0)
    return media.rgb_image(rgb), media.jpeg(rng.integers(75, 93))


def _thick_marker(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A large digit in a fat marker on a whiteboard or paper."""
    shape = media.frame(rng, 360, 560)
    ink_height = rng.uniform(0.6, 0.85) * min(shape)
    if rng.random() < 0.5:
        # MNIST's own outline taken far out: the writer's shapes in a fat pen.
        mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.2, 0.26), low=0.05, high=0.4))
    else:
        mask = media.pen_mask(digit, width_fraction=rng.uniform(0.15, 0.2))
    alpha = media.place(media.fit_ink(mask, ink_height, rng.uniform(-5, 5)), shape, rng, margin=0.03)
    # Felt tips streak: a little lighter here and there along the stroke.
    alpha *= media.pressure(shape, rng, rng.uniform(0.0, 0.15))
    colour = [(20, 20, 24), (22, 40, 150), (180, 24, 30), (20, 110, 50)][rng.integers(4)]
    background = media.paper(shape, rng, media.jitter((246, 247, 246), rng, 6), grain=0.0, blotch=rng.uniform(0.5, 3))
    rgb = media.ink_on(background, alpha, media.jitter(colour, rng, 10))
    if rng.random() < 0.5:
        return media.rgb_image(rgb), media.png()
    return media.rgb_image(media.sensor(rgb, rng, blur=0.5, noise=1.5)), media.jpeg(rng.integers(70, 91))


def _thin_pen(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A smallish digit in a fine ballpoint (1-3 px) on white paper."""
    shape = media.frame(rng, 480, 560)
    ink_height = rng.uniform(0.25, 0.4) * min(shape)
    pen_width = rng.uniform(1.2, 3.0)
    mask = media.pen_mask(digit, width_fraction=pen_width / ink_height)
    alpha = media.place(media.fit_ink(mask, ink_height, rng.uniform(-6, 6)), shape, rng)
    alpha *= media.pressure(shape, rng, rng.uniform(0.1, 0.3))
    ink = media.jitter([(32, 52, 150), (30, 30, 36)][rng.integers(2)], rng, 8)
    paper_colour = media.jitter((248, 248, 246), rng, 4)
    if rng.random() < 0.5:
        # A drawing tablet or a cleaned-up scan: smooth paper, lossless.
        paper = media.paper(shape, rng, paper_colour, grain=0.0, blotch=rng.uniform(0.5, 2))
        return media.rgb_image(media.ink_on(paper, alpha, ink)), media.png()
    paper = media.paper(shape, rng, paper_colour, grain=0.8, blotch=rng.uniform(0.5, 2))
    rgb = media.sensor(media.ink_on(paper, alpha, ink), rng, blur=0.4, noise=1.0)
    return media.rgb_image(rgb), media.jpeg(rng.integers(80, 93))


def _off_centre(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A small digit near a corner of a large, otherwise clean canvas (800x600 or 600x800)."""
    shape = (600, 800) if rng.random() < 0.5 else (800, 600)
    mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.1, 0.15)))
    ink = media.fit_ink(mask, rng.uniform(0.1, 0.25) * min(shape), rng.uniform(-4, 4))
    alpha = media.place(ink, shape, rng, margin=rng.uniform(0.02, 0.08), corner=True)
    rgb = media.ink_on(np.full((*shape, 3), 255.0, np.float32), alpha, media.jitter((20, 20, 24), rng, 10))
    return media.rgb_image(rgb), media.png()


def _scan_gray16(digit: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, dict]:
    """A 16-bit grayscale scan of a page: dark ink on light paper, a lamp that fades across the page."""
    width = int(rng.integers(280, 381))
    shape = (int(width * 1.414), width)  # A-series page
    mask = media.ink_mask(digit, media.level_for_width(digit, rng.uniform(0.08, 0.14)))
    alpha = media.place(media.fit_ink(mask, rng.uniform(0.2, 0.4) * width, rng.uniform(-3, 3)), shape, rng, margin=0.08)
    paper = rng.uniform(0.84, 0.93) * media.lighting(shape, rng, gradient=rng.uniform(0.02, 0.08), vignette=0.0)
    paper += 0.006 * media.smooth_noise(shape, rng, cell=width / 5)
    ink = rng.uniform(0.06, 0.2)
    page = paper * (1 - alpha) + ink * alpha
    # Sensor noise before the optics' blur: scanner noise is correlated over neighbouring pixels.
    page = media.blur(page + 0.0015 * rng.standard_normal(shape, dtype=np.float32), 0.7)
    # A 12-bit sensor: the 16-bit values are multiples of 16, as many scanners deliver them.
    counts = np.clip(np.rint(page * 4095), 0, 4095).astype(np.uint16) * np.uint16(16)
    return Image.fromarray(counts), media.png()

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
        if variant not in odd_formats.RENDERERS:
            raise ValueError(f"unknown odd_formats variant {variant!r}; expected one of {ODD_FORMATS}")
        image, save_kwargs = odd_formats.RENDERERS[variant](digit, rng)
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
