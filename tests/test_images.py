"""Tests for digitnet.images: a user's own image prepared with MNIST's recipe.

Every image is synthetic, drawn here with PIL and numpy (no MNIST files needed): a "7" (asymmetric, so a
wrong rotation or flip shows), a "1" and a "0". Results are compared with the clean black-on-white "7" by
the correlation of the 784 pixels, allowing a one-pixel shift (``similarity``).
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitnet import images
from digitnet.errors import DigitnetError
from digitnet.images import (
    PreparedImage,
    naive_resize_and_invert,
    open_image,
    opening,
    preparation_steps,
    prepare_image,
    prepare_images,
)
from digitnet.images import background as background_module
from digitnet.images.ink import crop_box

# ---------------------------------------------------------------------------------------------------
# Drawing digits


def digit_box(size, height=0.53, aspect=0.755) -> tuple[float, float, float, float]:
    """(left, top, right, bottom): a digit-shaped box in the middle of a canvas of size (width, height)."""
    box_height = height * min(size)
    box_width = aspect * box_height
    return (
        (size[0] - box_width) / 2,
        (size[1] - box_height) / 2,
        (size[0] + box_width) / 2,
        (size[1] + box_height) / 2,
    )


def pen_width(box, width=None) -> int:
    """The stroke width: given, or in proportion to the digit's height (14 px for a 106 px digit)."""
    return width or max(1, round(0.13 * (box[3] - box[1])))


def draw_seven(size=(200, 200), ink=0, paper=255, box=None, width=None, mode="L") -> Image.Image:
    """A "7", a top bar and a slanted stem, in box (default: ``digit_box``), in proportion to the box."""
    image = Image.new(mode, size, paper)
    left, top, right, bottom = box = box or digit_box(size)
    stem_x = left + 0.3 * (right - left)
    points = [(left, top), (right, top), (stem_x, bottom)]
    ImageDraw.Draw(image).line(points, fill=ink, width=pen_width(box, width), joint="curve")
    return image


def draw_one(size=(200, 200), ink=0, paper=255, width=None) -> Image.Image:
    image = Image.new("L", size, paper)
    left, top, right, bottom = box = digit_box(size)
    middle = (left + right) / 2
    ImageDraw.Draw(image).line([(middle, top), (middle, bottom)], fill=ink, width=pen_width(box, width))
    return image


def draw_zero(size=(200, 200), ink=0, paper=255, width=None) -> Image.Image:
    image = Image.new("L", size, paper)
    box = digit_box(size)
    ImageDraw.Draw(image).ellipse(box, outline=ink, width=pen_width(box, width))
    return image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def save(tmp_path, name: str, image: Image.Image, fmt: str | None = None, **options):
    path = tmp_path / name
    image.save(path, fmt, **options)
    return path


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 digits, allowing a shift of one pixel.

    MNIST centres by a whole-pixel shift, so the centre of mass is only within half a pixel of the
    centre and two near-identical digits can land one pixel apart.
    """
    a, b = np.reshape(a, (28, 28)), np.reshape(b, (28, 28))
    return max(correlation(np.roll(a, (dy, dx), axis=(0, 1)), b) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def center_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass of the intensities, in pixel indices, as MNIST computes it."""
    digit = pixels.reshape(28, 28).astype(np.float64)
    rows, columns = np.indices(digit.shape)
    return float((rows * digit).sum() / digit.sum()), float((columns * digit).sum() / digit.sum())


def ink_box(pixels: np.ndarray, level: float = 0.05) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), exclusive, of pixels above level."""
    digit = pixels.reshape(28, 28) > level
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """The clean black-on-white "7", prepared: what every variant below should resemble."""
    return prepare_image(draw_seven()).pixels


def png_with_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (8-bit gray) and whose data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(64)))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------------
# The output and each step of the recipe


def test_output_is_784_float32_in_unit_range(tmp_path):
    result = prepare_image(save(tmp_path, "seven.png", draw_seven()))
    assert isinstance(result, PreparedImage)
    assert result.pixels.shape == (784,) and result.pixels.dtype == np.float32
    assert result.pixels.min() == 0.0
    assert result.pixels.max() == pytest.approx(1.0)
    assert result.source == str(tmp_path / "seven.png")


def test_strongest_strokes_reach_one_even_for_faint_ink():
    faint = prepare_image(draw_seven(ink=170, paper=210)).pixels
    assert faint.max() == pytest.approx(1.0)
    assert (faint > 0.9).sum() > 20  # whole stroke cores, not one bright pixel


def test_digit28_is_uint8_view_of_pixels():
    result = prepare_image(draw_seven())
    assert result.digit28.shape == (28, 28) and result.digit28.dtype == np.uint8
    assert np.array_equal(result.digit28, np.round(result.pixels.reshape(28, 28) * 255).astype(np.uint8))


def test_original_is_rgb_and_small_for_display():
    result = prepare_image(draw_seven(size=(1200, 900)))
    assert result.original.mode == "RGB"
    assert max(result.original.size) <= 256


def test_polarity_dark_on_light(reference):
    result = prepare_image(draw_seven(ink=20, paper=235))
    assert result.polarity == "dark-on-light"
    assert similarity(result.pixels, reference) > 0.97


def test_polarity_light_on_dark(reference):
    result = prepare_image(draw_seven(ink=240, paper=10))
    assert result.polarity == "light-on-dark"
    assert similarity(result.pixels, reference) > 0.97


def test_mnist_style_input_stays_as_it_is():
    """A 28x28 white-on-black digit already fitted and centred comes back (nearly) unchanged."""
    zero = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(zero).ellipse([8, 4, 20, 23], outline=255, width=3)
    result = prepare_image(zero)
    assert result.polarity == "light-on-dark"
    assert similarity(result.pixels, np.asarray(zero, dtype=np.float32)) > 0.95


def test_transparency_is_composited_onto_white(reference):
    # A black digit on fully transparent black: without compositing it would be black on black.
    alpha = Image.eval(draw_seven(), lambda v: 255 - v)
    rgba = Image.merge("RGBA", (Image.new("L", alpha.size, 0),) * 3 + (alpha,))
    result = prepare_image(encode(rgba, "PNG"))
    assert result.polarity == "dark-on-light"
    assert result.original.getpixel((0, 0)) == (255, 255, 255)
    assert similarity(result.pixels, reference) > 0.97


def test_light_digit_on_transparent_canvas_is_found(reference):
    alpha = Image.eval(draw_seven(), lambda v: 255 - v)
    rgba = Image.merge("RGBA", (Image.new("L", alpha.size, 255),) * 3 + (alpha,))
    result = prepare_image(encode(rgba, "PNG"))
    assert similarity(result.pixels, reference) > 0.97


# How a camera stores an upright scene for each EXIF Orientation value (the viewer undoes it).
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the phone held upright: pixels stored turned a quarter to the left
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def exif_oriented_jpeg(upright: Image.Image, orientation: int) -> bytes:
    """A JPEG whose pixels are stored turned as a phone stores them, with the Orientation tag that says so."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.convert("RGB").transpose(STORED_AS[orientation])
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_exif_orientation_is_honoured(orientation):
    upright = draw_seven(size=(240, 180))
    expected = prepare_image(encode(upright.convert("RGB"), "JPEG", quality=95)).pixels
    data = exif_oriented_jpeg(upright, orientation)
    assert Image.open(io.BytesIO(data)).size != (240, 180) or orientation in (2, 3, 4)  # stored turned
    assert open_image(data).size == (240, 180)
    assert similarity(prepare_image(data).pixels, expected) > 0.97


def test_background_follows_uneven_lighting_not_the_strokes():
    rng = np.random.default_rng(1)
    photo = photo_of(draw_seven(size=(192, 144)), rng, noise=3.0)
    polarity = background_module.detect_polarity(opening.image_to_array(photo))
    assert polarity == "dark-on-light"
    background = background_module.paper_background(photo, polarity, scale=32)
    paper = opening.image_to_array(photo_of(Image.new("L", (192, 144), 255), rng, noise=0.0))
    error = np.abs(background.sample(144, 192) - paper)
    assert np.median(error) < 8 and np.percentile(error, 95) < 20  # the strokes did not drag it down


def test_ink_map_sees_a_coloured_pen_as_strongly_as_its_colour_differs():
    paper = np.full((4, 4, 3), 250.0, dtype=np.float32)
    pixels = paper.copy()
    pixels[1, 1] = (230, 40, 40)  # red pen: bright in red, so brightness alone differs by only ~140
    pixels[2, 2] = (255, 255, 255)  # a little brighter than the paper (glare): not ink
    ink = background_module.ink_map(pixels, paper, "dark-on-light")
    assert ink[1, 1] > 150 and ink[2, 2] == 0 and ink[0, 0] == 0


def test_sixteen_bit_gray_is_stretched_not_clipped():
    gray = Image.fromarray(np.asarray(draw_seven(), dtype=np.uint16) * 16)  # 12-bit values, 0-4080
    flat = images.flatten_image(gray)
    assert flat.mode == "L" and np.asarray(flat).max() == 255 and np.asarray(flat).min() == 0


def test_thicken_strokes_only_thin_ones():
    thin = np.zeros((100, 60), dtype=np.float32)
    thin[10:90, 29:31] = 1.0  # 2 px wide on a 100 px digit: 0.4 px after fitting into 20
    thickened = images.thicken_strokes(thin)
    fitted_width = images.stroke_width(thickened) * 20 / max(thickened.shape)
    assert 1.8 < fitted_width < 3.0
    wide = np.zeros((100, 60), dtype=np.float32)
    wide[10:90, 25:37] = 1.0
    assert images.thicken_strokes(wide) is wide


def test_a_run_of_digits_is_thickened_less_than_one_digit():
    thin = np.zeros((100, 60), dtype=np.float32)
    thin[10:90, 29:31] = 1.0
    as_digit = images.thicken_strokes(thin)
    as_line = images.thicken_strokes(thin, width=images.LINE_STROKE_WIDTH, thin=images.LINE_THIN_STROKE_WIDTH)
    fitted = [images.stroke_width(made) * 20 / max(made.shape) for made in (as_digit, as_line)]
    assert fitted[1] < fitted[0] - 0.3 and fitted[1] > 1.2


def test_line_pixels_scales_a_run_to_its_height_in_the_rows_asked_for():
    found = images.analyse(draw_seven(size=(300, 200)), "<seven>")
    mask = images.digit_mask(found.ink_pixels, found.smoothed)
    line = images.line_pixels(found, mask, height=22, margin=4, line_rows=28)
    assert line.shape[0] == 28 and line.dtype == np.float32
    inked = np.flatnonzero(line.max(axis=1) > 0.05)
    assert 21 <= inked[-1] + 1 - inked[0] <= 23 and inked[0] >= 2 and inked[-1] <= 25  # centred, 3 blank rows
    assert not line[:, :4].any() and not line[:, -4:].any()
    assert images.line_pixels(found, mask).shape[0] == images.FIT_SIZE + 8  # by default, margin rows too


def test_pieces_of_a_glyph_are_prepared_as_each_piece_alone_would_be():
    """The cut search prepares a glyph's pieces from one cut-out of the glyph (`piece_preparer`): a piece that
    is a whole digit as tall as wide or taller comes out exactly as `back_half` prepares it, and each half of
    two touching digits nearly so (the glyph's ink levels and pixel grid, not the piece's own)."""
    found = images.analyse(draw_seven(size=(300, 200)), "<seven>")
    mask = images.digit_mask(found.ink_pixels, found.smoothed)
    whole = images.piece_preparer(found, mask)(mask)
    assert np.array_equal(whole["pixels"], images.back_half(found, mask)["pixels"])

    pair = Image.new("L", (360, 200), 255)
    pen = ImageDraw.Draw(pair)
    pen.line([(60, 50), (170, 50), (95, 156)], fill=0, width=12, joint="curve")  # a 7 whose bar ...
    pen.line([(180, 40), (180, 156)], fill=0, width=12)  # ... runs into a 1
    found = images.analyse(pair, "<71>")
    mask = images.digit_mask(found.ink_pixels, found.smoothed)
    prepare = images.piece_preparer(found, mask, detail_side=40)
    middle = round(174 * mask.shape[1] / 360)
    for side in (np.s_[:, :middle], np.s_[:, middle:]):
        piece = np.zeros_like(mask)
        piece[side] = mask[side]
        assert similarity(prepare(piece)["pixels"], images.back_half(found, piece, 40)["pixels"]) > 0.95
        # the same piece given on the glyph's box (as the cut search gives it) is the same piece
        top, bottom, left, right = crop_box(mask)
        on_box = prepare(piece[top:bottom, left:right], origin=(top, left))
        assert all(np.array_equal(on_box[step], prepare(piece)[step]) for step in ("digit", "thickened", "pixels"))
    assert prepare(np.zeros_like(mask)) is None


def test_a_mask_grown_by_one_is_its_3x3_dilation():
    from scipy import ndimage

    from digitnet.images.fit import _grown_by_one

    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = rng.random(tuple(rng.integers(1, 30, size=2))) < 0.1
        framed = np.pad(mask, 1)
        assert np.array_equal(_grown_by_one(mask), ndimage.binary_dilation(framed, np.ones((3, 3), dtype=bool)))


def test_crop_box_is_the_ink_bounding_box():
    mask = np.zeros((50, 60), dtype=bool)
    mask[10:20, 30:41] = True
    assert crop_box(mask) == (10, 20, 30, 41)


def test_digit_is_cropped_wherever_it_is(reference):
    left = prepare_image(draw_seven(size=(400, 300), box=(20, 30, 110, 150))).pixels
    right = prepare_image(draw_seven(size=(400, 300), box=(280, 140, 370, 260))).pixels
    assert similarity(left, reference) > 0.97 and similarity(right, reference) > 0.97


@pytest.mark.parametrize("draw", [draw_seven, draw_one, draw_zero])
def test_fitted_into_20x20_with_longest_side_20(draw):
    top, bottom, left, right = ink_box(prepare_image(draw()).pixels)
    height, width = bottom - top, right - left
    assert height <= 21 and width <= 21  # 20, plus at most a faint anti-aliased fringe
    assert max(height, width) >= 19


def test_fit_keeps_the_aspect_ratio():
    top, bottom, left, right = ink_box(prepare_image(draw_one()).pixels)
    assert bottom - top >= 19 and right - left <= 6  # a "1" stays narrow, not stretched to a square


def test_fit_into_box_function():
    digit = np.zeros((90, 45), dtype=np.float32)
    digit[5:85, 10:30] = 1.0
    fitted = images.fit_into_box(digit)
    assert fitted.shape == (20, 5) and fitted.dtype == np.float32


@pytest.mark.parametrize("draw", [draw_seven, draw_one, draw_zero])
def test_centre_of_mass_at_the_centre(draw):
    row, column = center_of_mass(prepare_image(draw()).pixels)
    assert abs(row - 14) <= 1.0 and abs(column - 14) <= 1.0


def test_center_by_mass_function():
    fitted = np.zeros((20, 10), dtype=np.float32)
    fitted[:, 0] = 1.0  # all the mass in the left column: shifted right until it sits at the centre
    canvas = images.center_by_mass(fitted)
    assert canvas.shape == (28, 28) and canvas.dtype == np.float32
    assert center_of_mass(canvas)[1] == pytest.approx(14.0)
    wide = np.zeros((20, 20), dtype=np.float32)
    wide[:, 0] = 1.0  # the same for a full-width digit would push it over the edge: it stops at the edge
    canvas = images.center_by_mass(wide)
    assert canvas.sum() == pytest.approx(wide.sum())
    assert center_of_mass(canvas)[1] == pytest.approx(8.0)


def test_thin_strokes_are_thickened_like_mnist():
    thin = prepare_image(draw_seven(size=(600, 600), width=2)).pixels.reshape(28, 28)
    assert 1.8 <= images.stroke_width(thin) <= 3.5
    thick = prepare_image(draw_seven(size=(200, 200), width=24)).pixels.reshape(28, 28)
    assert images.stroke_width(thick) > 3.0  # thick strokes are left as they are (not thinned)


# ---------------------------------------------------------------------------------------------------
# Image modes and file formats


def _with_transparent_black_background(digit: Image.Image) -> dict[str, Image.Image]:
    """Variants whose transparent pixels are black, so ignoring transparency would lose the digit."""
    alpha = Image.eval(digit, lambda v: 255 - v)
    black = Image.new("L", digit.size, 0)
    palette = Image.new("P", digit.size, 0)
    palette.putpalette([0, 0, 0, 0, 0, 0] + [0] * 762)
    palette.paste(1, mask=alpha.point(lambda v: 255 if v > 127 else 0))
    palette.info["transparency"] = 0
    return {
        "LA": Image.merge("LA", (black, alpha)),
        "RGBA": Image.merge("RGBA", (black, black, black, alpha)),
        "P+transparency": palette,
    }


def mode_variants(digit: Image.Image) -> dict[str, tuple[Image.Image, str]]:
    """(image, format) for each mode people's files come in."""
    variants = {
        "L": (digit, "PNG"),
        "RGB": (digit.convert("RGB"), "PNG"),
        "I;16": (Image.fromarray(np.asarray(digit, dtype=np.uint16) * 257), "PNG"),
        "I;16 12-bit": (Image.fromarray(np.asarray(digit, dtype=np.uint16) * 16), "PNG"),
        "I": (Image.fromarray(np.asarray(digit, dtype=np.int32) * 200), "TIFF"),
        "F": (Image.fromarray(np.asarray(digit, dtype=np.float32) / 255), "TIFF"),
        "CMYK": (digit.convert("RGB").convert("CMYK"), "JPEG"),
        "1": (digit.convert("1", dither=Image.Dither.NONE), "PNG"),
        "P": (digit.convert("RGB").convert("P"), "PNG"),
    }
    for mode, image in _with_transparent_black_background(digit).items():
        variants[mode] = (image, "PNG")
    return variants


@pytest.mark.parametrize("mode", list(mode_variants(draw_seven())))
def test_every_mode(mode, reference):
    image, fmt = mode_variants(draw_seven())[mode]
    data = encode(image, fmt)
    assert Image.open(io.BytesIO(data)).mode == mode.split()[0].split("+")[0]  # the file really has it
    result = prepare_image(data)
    assert result.polarity == "dark-on-light"
    assert similarity(result.pixels, reference) > 0.97


@pytest.mark.parametrize(
    "fmt, options",
    [
        ("PNG", {}),
        ("JPEG", {"quality": 75}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {"quality": 80}),
        ("WEBP", {"lossless": True}),
        ("TIFF", {}),
    ],
)
def test_every_format(tmp_path, fmt, options, reference):
    image = draw_seven().convert("RGB")
    path = save(tmp_path, f"seven.{fmt.lower()}", image, fmt, **options)
    assert similarity(prepare_image(path).pixels, reference) > 0.97


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animated_files_use_the_first_frame(tmp_path, fmt, reference):
    frames = [draw_seven().convert("RGB"), draw_one().convert("RGB"), draw_zero().convert("RGB")]
    path = tmp_path / f"animated.{fmt.lower()}"
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 3
    assert similarity(prepare_image(path).pixels, reference) > 0.97


def test_other_sources_bytes_and_pil_image(tmp_path, reference):
    image = draw_seven()
    path = save(tmp_path, "seven.png", image)
    assert prepare_image(str(path)).source == str(path)
    from_bytes = prepare_image(encode(image, "PNG"))
    from_pil = prepare_image(image)
    named = prepare_image(encode(image, "PNG"), name="mine.png")
    assert from_bytes.source == "<image>" and named.source == "mine.png"
    assert similarity(from_bytes.pixels, reference) > 0.99 and similarity(from_pil.pixels, reference) > 0.99
    assert image.mode == "L" and image.size == (200, 200)  # a PIL image passed in is left alone


# ---------------------------------------------------------------------------------------------------
# What real photos and drawings look like


@pytest.mark.parametrize(
    "colour",
    [(220, 30, 30), (40, 60, 220), (30, 150, 60), (230, 120, 0), (120, 60, 170)],
    ids=["red", "blue", "green", "orange", "purple"],
)
def test_coloured_pen_on_white(colour, reference):
    digit = draw_seven()
    pen = Image.composite(
        Image.new("RGB", digit.size, colour),
        Image.new("RGB", digit.size, "white"),
        Image.eval(digit, lambda v: 255 - v),
    )
    result = prepare_image(encode(pen, "JPEG", quality=90))
    assert result.polarity == "dark-on-light"
    assert similarity(result.pixels, reference) > 0.97


def photo_of(
    digit: Image.Image, rng: np.random.Generator, noise: float = 10.0, dark: bool = True
) -> Image.Image:
    """The digit as a phone photo: uneven lighting (a strong gradient), a warm cast, sensor noise."""
    ink = 1.0 - np.asarray(digit, dtype=np.float32) / 255.0
    height, width = ink.shape
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.45 + 0.55 * (columns / width) * (0.6 + 0.4 * rows / height)  # darker to the left and top
    paper = 250.0 * light
    gray = paper * (1 - ink) + 35.0 * light * ink if dark else 30.0 * light * (1 - ink) + 235.0 * light * ink
    rgb = np.stack([gray, gray * 0.95, gray * 0.85], axis=-1) + rng.normal(0, noise, (height, width, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def test_uneven_lighting_and_noise(reference):
    rng = np.random.default_rng(7)
    photo = photo_of(draw_seven(size=(600, 800)), rng)
    result = prepare_image(encode(photo, "JPEG", quality=80))
    assert result.polarity == "dark-on-light"
    assert similarity(result.pixels, reference) > 0.95


def test_uneven_lighting_light_on_dark(reference):
    rng = np.random.default_rng(8)
    photo = photo_of(draw_seven(size=(600, 800)), rng, dark=False)
    result = prepare_image(encode(photo, "JPEG", quality=80))
    assert result.polarity == "light-on-dark"
    assert similarity(result.pixels, reference) > 0.95


def test_small_digit_in_a_corner_of_a_large_canvas(reference):
    canvas = draw_seven(size=(2400, 1600), box=(60, 80, 195, 260))
    result = prepare_image(encode(canvas, "PNG"))
    assert similarity(result.pixels, reference) > 0.95


def test_a_small_picture_is_enlarged_before_its_ink_is_looked_for(reference):
    """A thumbnail of a phone photo, 28 px tall, is prepared as the photo is: the analysis works on a copy enlarged
    to at least MIN_WORK_SIDE px (at 28 px its smoothing and thresholds made the strokes bold and blurred), and its
    boxes are still in the thumbnail's own pixels."""
    photo = photo_of(draw_seven(size=(600, 800)), np.random.default_rng(3))
    thumbnail = photo.resize((21, 28), Image.Resampling.BOX)
    found = images.analyse(thumbnail, "thumbnail")
    assert max(found.working_image.size) >= opening.MIN_WORK_SIDE
    assert found.file_size == (21, 28)
    assert found.file_box((0, found.shape[0], 0, found.shape[1])) == (0, 0, 21, 28)
    assert similarity(prepare_image(thumbnail).pixels, reference) > 0.92  # 0.84 without the enlarged copy


def test_large_phone_photo_is_decoded_at_reduced_scale(reference):
    rng = np.random.default_rng(9)
    photo = photo_of(draw_seven(size=(1000, 750)), rng, noise=4.0).resize(
        (4000, 3000), Image.Resampling.BILINEAR
    )
    data = encode(photo, "JPEG", quality=85)
    assert max(open_image(data, max_side=opening.LOAD_SIDE).size) == 500  # draft mode: decoded at 1/8 scale
    started = time.perf_counter()
    result = prepare_image(data)
    assert time.perf_counter() - started < 1.0
    assert similarity(result.pixels, reference) > 0.95


def test_desk_beyond_the_edge_of_the_paper(reference):
    photo = np.asarray(photo_of(draw_seven(size=(600, 800)), np.random.default_rng(2))).copy()
    photo[:, 520:] = (60, 45, 30)  # a dark wooden desk along the right edge
    result = prepare_image(Image.fromarray(photo))
    assert result.polarity == "dark-on-light"
    assert similarity(result.pixels, reference) > 0.95


def test_bold_marker_filling_a_small_canvas():
    bold = draw_seven(size=(100, 100), box=(15, 10, 85, 92), width=25)
    result = prepare_image(bold)
    assert result.polarity == "dark-on-light"
    top, bottom, left, right = ink_box(result.pixels)
    assert bottom - top >= 19 and right - left >= 14


def test_bold_marker_keeps_the_middle_of_a_junction_wider_than_its_strokes():
    # A bold 4: where the slanted stroke meets the upright at a sharp angle the ink is far wider than a
    # stroke, wider than the coarse paper window (a sixth of the side), which used to leave a hole there.
    image = Image.new("L", (300, 300), 250)
    pen = ImageDraw.Draw(image)
    pen.line([(190, 30), (60, 200), (250, 200)], fill=30, width=44, joint="curve")
    pen.line([(190, 30), (190, 280)], fill=30, width=44)
    found = images.analyse(image, "bold-4.png")
    drawn = np.asarray(image) < 140
    assert (found.ink_pixels & drawn).sum() >= 0.99 * drawn.sum()


def test_specks_and_a_far_away_mark_are_dropped(reference):
    rng = np.random.default_rng(3)
    canvas = draw_seven(size=(400, 400), box=(140, 100, 260, 260))
    draw = ImageDraw.Draw(canvas)
    for _ in range(30):  # dust
        x, y = rng.integers(0, 400, 2)
        draw.point((int(x), int(y)), fill=0)
    draw.ellipse([370, 10, 385, 25], fill=60)  # a small blot in a far corner
    assert similarity(prepare_image(canvas).pixels, reference) > 0.95


def test_a_digit_in_two_strokes_is_kept_whole():
    five = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(five)
    draw.line([(80, 40), (70, 95)], fill=0, width=12)  # the stem
    draw.arc([60, 80, 140, 165], start=-120, end=140, fill=0, width=12)  # the belly
    draw.line([(86, 38), (140, 38)], fill=0, width=12)  # the top bar, drawn separately with a gap
    top, bottom, left, right = ink_box(prepare_image(five).pixels)
    assert bottom - top >= 19  # the top bar is still there: the digit spans the full box height


def test_naive_baseline_shape_and_that_it_is_worse(reference):
    rng = np.random.default_rng(4)
    data = encode(photo_of(draw_seven(size=(600, 800)), rng), "JPEG")
    naive = naive_resize_and_invert(data)
    assert naive.shape == (784,) and naive.dtype == np.float32
    assert 0.0 <= naive.min() and naive.max() <= 1.0
    assert similarity(prepare_image(data).pixels, reference) > similarity(naive, reference) + 0.3


# ---------------------------------------------------------------------------------------------------
# Refusals: one line, starting with the file's name


def refused(path_or_data, name: str | None = None) -> str:
    with pytest.raises(DigitnetError) as caught:
        prepare_image(path_or_data, name)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    message = refused(path)
    assert message.startswith(str(path)) and "empty" in message


def test_missing_file_and_folder(tmp_path):
    assert "not found" in refused(tmp_path / "missing.png")
    assert "folder" in refused(tmp_path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture of a digit\n")
    message = refused(path)
    assert message.startswith(str(path)) and "not an image" in message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_truncated_image(tmp_path, fmt):
    data = encode(draw_seven().convert("RGB"), fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    message = refused(path)
    assert message.startswith(str(path)) and ("truncated" in message or "corrupt" in message)


def heic_photo(upright: Image.Image, orientation: int = 6) -> bytes:
    """A HEIC photo as an iPhone saves one: its pixels stored turned, the Orientation tag saying so."""
    pillow_heif = pytest.importorskip("pillow_heif")
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.convert("RGB").transpose(STORED_AS[orientation])
    buffer = io.BytesIO()
    pillow_heif.from_pillow(stored).save(buffer, quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def test_heic_photo_is_read_upright(tmp_path):
    upright = draw_seven(size=(240, 180))
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(heic_photo(upright))
    assert open_image(path).size == (240, 180)
    expected = prepare_image(encode(upright.convert("RGB"), "JPEG", quality=95)).pixels
    assert similarity(prepare_image(path).pixels, expected) > 0.97


def test_truncated_heic_photo(tmp_path):
    path = tmp_path / "IMG_0002.HEIC"
    path.write_bytes(heic_photo(draw_seven(size=(240, 180)))[:300])
    message = refused(path)
    assert message.startswith(str(path)) and "truncated HEIC" in message


def test_heic_photo_without_pillow_heif_gets_advice(tmp_path, monkeypatch):
    monkeypatch.setattr(opening, "_heif_readable", lambda: False)
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(200))
    message = refused(path)
    assert message.startswith(str(path)) and "HEIC" in message and "JPEG" in message


def test_truncated_right_after_the_signature(tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(encode(draw_seven(), "PNG")[:20])
    assert "truncated PNG" in refused(path)


@pytest.mark.parametrize("side", [100_000, 10_000, 8_000])
def test_decompression_bomb_refused_quickly_from_the_header(tmp_path, side):
    # 100000^2 and 10000^2 exceed Pillow's own limits, 8000^2 only ours: each is refused before decoding.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_with_header(side, side))
    started = time.perf_counter()
    message = refused(path)
    assert time.perf_counter() - started < 1.0
    assert message.startswith(str(path)) and "too large" in message


def test_file_larger_than_the_limit_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    path.write_bytes(encode(draw_seven(), "PNG"))
    monkeypatch.setattr(opening, "MAX_FILE_BYTES", 100)
    message = refused(path)
    assert message.startswith(str(path)) and "too large" in message


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (300, 200), 255),
        Image.new("L", (300, 200), 0),
        Image.new("RGB", (300, 200), (120, 200, 50)),
        Image.new("RGBA", (300, 200), (0, 0, 0, 0)),
        Image.new("L", (1, 1), 128),
    ],
    ids=["white", "black", "uniform-colour", "fully-transparent", "one-pixel"],
)
def test_blank_image_has_no_digit(tmp_path, image):
    path = save(tmp_path, "blank.png", image)
    message = refused(path)
    assert message.startswith(str(path)) and "no digit found" in message


def test_blank_paper_photo_with_noise_has_no_digit(tmp_path):
    photo = photo_of(Image.new("L", (600, 800), 255), np.random.default_rng(5), noise=6.0)
    path = save(tmp_path, "paper.jpg", photo, quality=80)
    assert "no digit found" in refused(path)


def test_prepare_images_returns_answers_and_errors_in_order(tmp_path):
    good = save(tmp_path, "seven.png", draw_seven())
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "text.png"
    text.write_text("hello")
    blank = save(tmp_path, "blank.png", Image.new("L", (50, 50), 255))
    results = prepare_images([good, empty, text, blank, good])
    assert [type(result) for result in results] == [
        PreparedImage,
        DigitnetError,
        DigitnetError,
        DigitnetError,
        PreparedImage,
    ]
    assert str(results[1]).startswith(str(empty))


def test_corrupted_files_never_escape_as_other_exceptions():
    """Random damage to valid files of each format: a result or a DigitnetError, nothing else."""
    chooser = random.Random(11)
    originals = [
        encode(draw_seven(size=(64, 64)).convert("RGB"), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP")
    ]
    for _ in range(150):
        data = bytearray(chooser.choice(originals))
        for _ in range(chooser.randint(1, 8)):
            data[chooser.randrange(len(data))] = chooser.randrange(256)
        if chooser.random() < 0.3:
            del data[chooser.randrange(len(data)) :]
        try:
            prepare_image(bytes(data))
        except DigitnetError as error:
            assert "\n" not in str(error)


def test_preparation_steps_keep_every_intermediate_and_match_prepare_image(tmp_path):
    canvas = Image.new("RGB", (300, 240), (235, 230, 220))
    ImageDraw.Draw(canvas).line([(120, 40), (180, 40), (140, 200)], fill=(30, 30, 60), width=9)
    path = tmp_path / "seven.png"
    canvas.save(path)
    steps = preparation_steps(path)
    assert steps["polarity"] == "dark-on-light"
    assert steps["mask"].dtype == bool and steps["mask"].shape == steps["ink"].shape
    assert max(steps["fitted"].shape) == 20 and steps["centred"].shape == (28, 28)
    np.testing.assert_array_equal(steps["pixels"], prepare_image(path).pixels)
