"""Prepare a person's own photo or drawing of a digit the way MNIST prepared its digits.

MNIST digits are white strokes on black, size-normalised to fit a 20x20 box (aspect ratio kept,
anti-aliased) and placed in 28x28 so that the centre of mass of the pixel intensities sits at the centre.
A model trained on them guesses at chance on anything else, so a user's image goes through the same steps:

1. ``open_image``: refuse what is not a readable image (empty, too big, truncated, a decompression bomb)
   before decoding any pixels, take the first frame, honour the EXIF orientation of phone photos, decode
   large JPEGs at a reduced scale (``Image.draft``) for speed.
2. ``flatten_image``: composite transparency onto white (onto black for a white digit on a transparent
   canvas), bring every mode (16-bit, palette, CMYK, 1-bit) to 8-bit gray or RGB.
3. ``reduce_for_analysis``: a small working copy (at most ``WORK_SIDE`` pixels) to analyse quickly.
4. ``estimate_background``: the paper's colour, estimated locally so that uneven lighting cancels out,
   and the polarity (dark ink on light paper, or light on dark).
5. ``ink_map``: how far each pixel is from the background colour, in the direction of the ink. Colour
   distance rather than brightness, so a red or blue pen on white shows as strongly as black ink.
6. ``smooth_3x3``, ``ink_threshold`` and ``digit_mask``: Otsu's threshold above the noise, then the
   digit's connected components without the specks of sensor and JPEG noise or marks far from it;
   ``find_ink_levels``: what counts as a stroke's full strength.
7. ``extract_digit``: the digit's region cut out of the full-resolution image again, as a soft [0, 1]
   ink map, at 3x to 6x its final size (so a small digit on a big canvas keeps its detail).
8. ``thicken_strokes``: thin pen strokes widened so that after fitting they are as wide as MNIST's
   (~2.3 px).
9. ``fit_into_box``: longest side to 20 px, aspect ratio kept, anti-aliased (area averaging).
10. ``center_by_mass``: placed in 28x28 with the centre of mass at the centre, as MNIST did.
11. ``scale_to_unit``: float32 [784] in [0, 1], the strongest strokes at 1.0.

``prepare_image`` runs them all (``preparation_steps`` too, keeping every intermediate for display);
``naive_resize_and_invert`` keeps the classic notebooks' approach as the
baseline to compare against. Every problem with the input is a ``DigitnetError`` whose single-line message
starts with the file's name.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from digitnet.errors import DigitnetError

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are refused before being read
MAX_PIXELS = 50_000_000  # width x height from the header; 48-megapixel phone photos still pass

CANVAS_SIZE = 28  # MNIST's image size
FIT_SIZE = 20  # MNIST fits each digit into a 20x20 box inside the 28x28 canvas
CANVAS_CENTER = 14.0  # MNIST's mean centre of mass, in pixel indices (row, column)
LOAD_SIDE = 256  # JPEGs are decoded at 1/2, 1/4 or 1/8 scale when the long side keeps this many pixels
WORK_SIDE = 192  # background, polarity and thresholds are found on a copy at most this big
DISPLAY_SIDE = 256  # PreparedImage.original is at most this big
DETAIL_SIDE = 64  # the digit is cut out at 3x to 6x its final 20 px (or at the resolution there is)
MIN_CONTRAST = 24.0  # gray levels: a mark fainter than this against the paper is not ink
MNIST_STROKE_WIDTH = 2.3  # median stroke width of MNIST test digits, in 28x28 pixels
THIN_STROKE_WIDTH = 1.6  # strokes thinner than this after fitting are thickened to MNIST's width

POLARITIES = ("dark-on-light", "light-on-dark")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's convert("L")
_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_BACKGROUND_CELLS = 8  # the background is estimated on a grid of at most 8 cells along the longest side
_BACKGROUND_MIN_CELL = 24  # ... of at least 24 working pixels, so that strokes fill less than half a cell
_BACKGROUND_SAMPLES = 64  # ... from about 64 samples along the longest side


@dataclass
class PreparedImage:
    """A user's image made ready for the model.

    Attributes:
        source: the file's path as given, or ``'<image>'`` for bytes and PIL images without a name.
        pixels: float32 [784] in [0, 1], white digit on black, row-major 28x28: what the model sees.
        polarity: ``'dark-on-light'`` (ink on paper) or ``'light-on-dark'`` as detected in the image.
        original: RGB image after EXIF rotation and transparency compositing, at most 256 px, for display.
    """

    source: str
    pixels: np.ndarray
    polarity: str
    original: Image.Image

    @property
    def digit28(self) -> np.ndarray:
        """uint8 [28, 28]: the 28x28 the model sees, for display (``pixels * 255``)."""
        return np.round(self.pixels.reshape(CANVAS_SIZE, CANVAS_SIZE) * 255.0).astype(np.uint8)


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
        grid = _pad_edge(self.grid, 1, 1, 1, 1)
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


# ---------------------------------------------------------------------------------------------------
# Opening safely


def _name_of(source: object, name: str | None) -> str:
    """The label that starts every error message: the name given, the path, or ``'<image>'``."""
    if name is not None:
        return name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    filename = getattr(source, "filename", None)
    return filename if isinstance(filename, str) and filename else "<image>"


def _read_bytes(source: str | os.PathLike | bytes | bytearray | memoryview, label: str) -> bytes:
    """The file's bytes, after checking its size with stat() so that a huge file is never read."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise DigitnetError(f"{label}: is a folder, expected an image file")
            data = b"" if size == 0 or size > MAX_FILE_BYTES else _read_at_most(path, MAX_FILE_BYTES + 1)
            size = max(size, len(data))  # a file that grew after stat() is still capped
        except FileNotFoundError:
            raise DigitnetError(f"{label}: file not found") from None
        except PermissionError:
            raise DigitnetError(f"{label}: permission denied") from None
        except OSError as error:
            raise DigitnetError(f"{label}: cannot read the file ({error.strerror or error})") from None
    if size == 0:
        raise DigitnetError(f"{label}: empty file")
    if size > MAX_FILE_BYTES:
        raise DigitnetError(
            f"{label}: file is too large ({size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB)"
        )
    return data


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of a file (never more, whatever stat() said a moment before)."""
    with open(path, "rb") as handle:
        return handle.read(limit)


def _one_line(error: BaseException) -> str:
    """An exception's message on one line (decoders sometimes put newlines in theirs)."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _check_dimensions(image: Image.Image, label: str) -> None:
    """Refuse a decompression bomb from the header's dimensions, before any pixel is decoded."""
    width, height = image.size
    if width < 1 or height < 1:
        raise DigitnetError(f"{label}: not a valid image (its size is {width}x{height})")
    if width * height > MAX_PIXELS:
        raise DigitnetError(
            f"{label}: image is too large ({width}x{height} = {width * height / 1e6:.0f} megapixels; "
            f"the limit is {MAX_PIXELS / 1e6:.0f}), refused as a possible decompression bomb"
        )


def _open_header(data: bytes, label: str) -> Image.Image:
    """Parse only the header (Pillow decodes lazily) and check the dimensions it claims."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (and above twice its limit raises) for huge images; we apply our own limit.
            # (Filters are process-wide: if another thread races this, the worst is a printed warning,
            # since _check_dimensions below refuses the image anyway.)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DigitnetError(
            f"{label}: image is too large (more than {MAX_PIXELS / 1e6:.0f} megapixels), "
            "refused as a possible decompression bomb"
        ) from None
    except UnidentifiedImageError:
        raise DigitnetError(f"{label}: {_unreadable_reason(data)}") from None
    except Exception as error:  # noqa: BLE001 - any failure to parse untrusted bytes is the input's fault
        reason = _unreadable_reason(data, unknown="not a readable image")
        raise DigitnetError(f"{label}: {reason} ({_one_line(error)})") from None
    _check_dimensions(image, label)
    return image


# Signatures of the formats people send, to tell "truncated PNG" from "not an image at all".
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _unreadable_reason(data: bytes, unknown: str = "not an image (or a format Pillow cannot read)") -> str:
    """Why Pillow could not open these bytes, in words for the user (``unknown`` if the format is)."""
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
        return "HEIC/HEIF photos cannot be read here: export or convert it to JPEG or PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "corrupt or truncated WebP file"
    if data[:2] == b"BM" and data[6:10] == bytes(4):  # "BM", file size, four reserved zero bytes
        return "corrupt or truncated BMP file"
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return f"corrupt or truncated {kind} file"
    return unknown


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The (width, height) to ask JPEG's draft mode for: long side at least ``max_side``, aspect kept."""
    width, height = size
    scale = max_side / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _decode_first_frame(image: Image.Image, label: str, max_side: int | None) -> Image.Image:
    """Decode frame 0 only (animations are never decoded further); JPEGs at a reduced scale if allowed."""
    try:
        if image.tell() != 0:
            image.seek(0)
        if max_side is not None and image.format == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale directly: a 12-megapixel photo costs a fraction.
            image.draft(None, _draft_size(image.size, max_side))
        image.load()
    except Exception as error:  # noqa: BLE001 - truncated or corrupt data surfaces as many exception types
        raise DigitnetError(
            f"{label}: cannot decode the image, truncated or corrupt ({_one_line(error)})"
        ) from None
    return image


def _exif_upright(image: Image.Image, in_place: bool) -> Image.Image:
    """Rotate/flip as the EXIF Orientation tag says (phone photos are stored sideways and tagged)."""
    try:
        if in_place:
            ImageOps.exif_transpose(image, in_place=True)
            return image
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - malformed EXIF is only metadata: the pixels are still good
        return image


def open_image(
    source: str | os.PathLike | bytes | bytearray | memoryview | Image.Image,
    name: str | None = None,
    *,
    max_side: int | None = None,
) -> Image.Image:
    """Open an image safely: validated, first frame, EXIF orientation applied, pixels loaded.

    Args:
        source: a path, the file's raw bytes, or a PIL image.
        name: what to call it in error messages (default: the path, or ``'<image>'``).
        max_side: if given, a large JPEG may be decoded at 1/2, 1/4 or 1/8 scale, keeping its long side at
            least this many pixels (much faster; the size of the result then differs from the file's).

    Returns:
        A loaded PIL image in the file's own mode (any mode Pillow reads). A PIL image passed in is loaded
        (frame 0) but its pixels are left alone: a rotated copy is returned when its EXIF says so.

    Raises:
        DigitnetError: empty file, larger than ``MAX_FILE_BYTES``, not an image, more than ``MAX_PIXELS``
            pixels (checked from the header, before decoding), truncated or corrupt.
    """
    label = _name_of(source, name)
    if isinstance(source, Image.Image):
        _check_dimensions(source, label)
        image = _decode_first_frame(source, label, None)
        return _exif_upright(image, in_place=False)
    image = _open_header(_read_bytes(source, label), label)
    image = _decode_first_frame(image, label, max_side)
    return _exif_upright(image, in_place=True)


# ---------------------------------------------------------------------------------------------------
# Normalising modes


def _high_depth_to_gray(image: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float gray -> 8-bit "L", stretched from 0 to the image's maximum.

    Pillow's own conversion clips at 255 (a 16-bit photo would turn white), and the nominal range says
    little (12-bit sensors, floats in [0, 1]), so the image's own maximum maps to 255.
    """
    values = np.asarray(image, dtype=np.float32)
    top = float(values.max()) if values.size else 0.0
    if not math.isfinite(top):
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max())
    if top <= 1.0 and image.mode == "F":
        scale = 255.0  # float images in [0, 1]
    elif top <= 255.0:
        scale = 1.0  # 8-bit values stored in a wider type
    else:
        scale = 255.0 / top
    return Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8), "L")


def _backdrop_for(image: Image.Image) -> int:
    """255 (white) for transparency, unless the opaque content is light on a mostly transparent canvas.

    A dark digit on a transparent canvas is the common case, and white paper is what it means. A white
    digit on a transparent canvas (drawn for a dark theme) would vanish on white, so it gets black.
    """
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    small = np.asarray(rgba.reduce(max(1, max(rgba.size) // 128)), dtype=np.float32)
    alpha = small[..., 3] / 255.0
    if np.mean(alpha < 0.5) < 0.1 or alpha.sum() < 1.0:
        return 255  # hardly any transparency: white, as everywhere else
    luma = _luma(small[..., :3])
    mean_opaque = float((luma * alpha).sum() / alpha.sum())
    return 0 if mean_opaque > 160.0 else 255


def composite_on_backdrop(image: Image.Image) -> Image.Image:
    """Composite an image with transparency onto white (see ``_backdrop_for``); "L" or "RGB" out.

    Handles alpha channels (LA, RGBA, PA, premultiplied La/RGBa) and palette or gray images whose
    transparency is a colour key (``image.info['transparency']``), as in GIF and some PNGs.
    """
    if "transparency" in image.info and image.mode in ("P", "L", "RGB", "1"):
        image = image.convert("RGBA")
    if image.mode not in ("LA", "La", "RGBA", "RGBa", "PA"):
        return image
    rgba = image.convert("RGBA")
    backdrop = _backdrop_for(rgba)
    gray = image.mode in ("LA", "La")
    colour = rgba.convert("L" if gray else "RGB")
    canvas = Image.new(colour.mode, colour.size, backdrop if gray else (backdrop,) * 3)
    return Image.composite(colour, canvas, rgba.getchannel("A"))


def flatten_image(image: Image.Image) -> Image.Image:
    """Any mode -> "L" (gray sources) or "RGB", transparency composited onto white.

    16-bit gray is stretched to 8 bits, 1-bit becomes 0/255, palette, CMYK, YCbCr and the like become RGB.
    """
    if image.mode in _HIGH_DEPTH_MODES:
        return _high_depth_to_gray(image)
    image = composite_on_backdrop(image)
    if image.mode == "1":
        return image.convert("L")
    if image.mode not in ("L", "RGB"):
        return image.convert("RGB")
    return image


def reduce_for_analysis(image: Image.Image, max_side: int = WORK_SIDE) -> tuple[Image.Image, int]:
    """A copy at most ``max_side`` px (between max_side/2 and max_side when larger), by box averaging.

    Returns:
        (working image, factor): each working pixel averages factor x factor pixels of ``image``.
    """
    factor = max(1, math.ceil(max(image.size) / max_side))
    return (image.reduce(factor) if factor > 1 else image), factor


def image_to_array(image: Image.Image) -> np.ndarray:
    """An "L" or "RGB" image -> float32 [height, width, channels] (1 or 3 channels), gray levels 0-255."""
    values = np.asarray(image, dtype=np.float32)
    return values[..., None] if values.ndim == 2 else values


def _display_copy(working: Image.Image) -> Image.Image:
    """RGB, at most DISPLAY_SIDE px: what PreparedImage.original shows (a copy, never the working image)."""
    image = working.convert("RGB")  # a copy even when it is RGB already
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.BOX)  # only ever shrinks
    return image


# ---------------------------------------------------------------------------------------------------
# Background, polarity and ink


def _pixel_centres(count: int, step: float = 1.0, start: float = 0.0) -> np.ndarray:
    """float32 [count]: centres of ``count`` pixels of size ``step`` starting at ``start`` (working px)."""
    return start + (np.arange(count, dtype=np.float32) + 0.5) * step


def _median(values: np.ndarray) -> float:
    """The median of all values (the upper one for an even count): np.median without its overhead."""
    flat = values.ravel()
    middle = flat.size // 2
    return float(np.partition(flat, middle)[middle])


def _pad_edge(values: np.ndarray, top: int = 0, bottom: int = 0, left: int = 0, right: int = 0) -> np.ndarray:
    """Pad the first two axes by repeating the edge pixels (np.pad(mode="edge") without its overhead)."""
    if not (top or left or bottom or right):
        return values
    height, width = values.shape[:2]
    padded = np.empty((height + top + bottom, width + left + right) + values.shape[2:], dtype=values.dtype)
    padded[top : top + height, left : left + width] = values
    padded[:top, left : left + width] = values[:1]
    padded[top + height :, left : left + width] = values[-1:]
    padded[:, :left] = padded[:, left : left + 1]
    padded[:, left + width :] = padded[:, left + width - 1 : left + width]
    return padded


def _rms(values: np.ndarray) -> np.ndarray:
    """float32 [..., C] -> [...]: root mean square over the channels (the absolute value when C is 1)."""
    if values.shape[-1] == 1:
        return np.abs(values[..., 0])
    # Written out per channel: a matrix product here would go to multithreaded BLAS, whose threads cost
    # far more than they save on arrays this small (and stall when the machine is busy).
    red, green, blue = values[..., 0], values[..., 1], values[..., 2]
    return np.sqrt((red * red + green * green + blue * blue) * np.float32(1.0 / 3.0))


def _luma(values: np.ndarray) -> np.ndarray:
    """float32 [..., C] -> [...]: brightness (the gray level itself when C is 1)."""
    if values.shape[-1] == 1:
        return values[..., 0]
    red, green, blue = values[..., 0], values[..., 1], values[..., 2]
    return red * _LUMA[0] + green * _LUMA[1] + blue * _LUMA[2]


def _cell_blocks(samples: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """float32 [h, w, C] -> [rows, columns, n, C]: the n samples of each cell of a rows x columns grid."""
    height, width, channels = samples.shape
    cell_height, cell_width = math.ceil(height / rows), math.ceil(width / columns)
    padded = _pad_edge(samples, bottom=rows * cell_height - height, right=columns * cell_width - width)
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
    order = np.argsort(_luma(blocks), axis=2)[:, :, first:last]
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
    residual = _rms(values - np.median(values, axis=0))
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
        residual = _rms(values - design @ coefficients)
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
    distance = _rms(difference)
    strong = distance >= max(MIN_CONTRAST / 2, 0.5 * float(distance.max()))
    labels, count = ndimage.label(strong, structure=np.ones((3, 3), dtype=bool))
    votes = np.bincount(labels[strong], weights=_luma(difference)[strong], minlength=count + 1)
    weights = np.ones(count + 1)
    weights[_border_labels(labels)] = 0.1
    return "light-on-dark" if float(votes[1:] @ weights[1:]) > 0 else "dark-on-light"


def _close_3x3(grid: np.ndarray) -> np.ndarray:
    """Grey closing of [rows, columns, C] by 3x3 cells, within the grid (nothing assumed beyond it).

    The brightest of each 3x3 neighbourhood, then the darkest of those: a cell darker than all around it
    (covered by ink) is raised to its surroundings, while a brightness gradient is left exactly as it is,
    up to the edges, because windows that stick out of the grid only see what is inside it.
    """
    rows, columns, channels = grid.shape
    padded = np.full((rows + 4, columns + 4, channels), -np.inf, dtype=np.float32)
    padded[2:-2, 2:-2] = grid
    dilated = _window_3x3(padded, np.maximum)  # [rows + 2, columns + 2, C], finite everywhere
    return _window_3x3(dilated, np.minimum)


def _window_3x3(values: np.ndarray, pick: np.ufunc) -> np.ndarray:
    """[h, w, C] -> [h - 2, w - 2, C]: ``pick`` (np.maximum, np.minimum, ...) over each full 3x3 window."""
    columns = pick(pick(values[:-2], values[1:-1]), values[2:])
    return pick(pick(columns[:, :-2], columns[:, 1:-1]), columns[:, 2:])


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
    distance = _rms(difference)
    towards_ink = _luma(difference) * (-1.0 if polarity == "dark-on-light" else 1.0)
    return np.where(towards_ink >= -0.5 * distance, distance, np.float32(0.0))


def _otsu(values: np.ndarray, top: float) -> float:
    """Otsu's threshold of values in [0, top] (256 bins): the split with most between-class variance."""
    bins = np.minimum((values * (255.0 / top)).astype(np.intp), 255)
    counts = np.bincount(bins.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(counts)
    mass = np.cumsum(counts * levels)
    total, total_mass = weight[-1], mass[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - total * mass) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=0.0, posinf=0.0)
    return (float(np.argmax(between)) + 1.0) * top / 255.0


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
    median = _median(sample)  # the paper's own level (noise, texture, what the background misses)
    top = float(smoothed_ink.max())
    if top - median < MIN_CONTRAST:
        raise DigitnetError(
            f"{label}: no digit found: the image is blank (nothing stands out from the background)"
        )
    spread = 1.4826 * _median(np.abs(sample - median))  # robust standard deviation of the noise
    threshold = max(_otsu(sample, top), median + 6.0 * spread, median + MIN_CONTRAST / 2)
    # Where ink covers half the image (a tiny, bold drawing) the median is not the paper: stay below the ink.
    return min(threshold, median + 0.5 * (top - median))


def smooth_3x3(values: np.ndarray) -> np.ndarray:
    """float32 [h, w] -> [h, w]: the mean of each 3x3 neighbourhood (edges repeated), quieting noise."""
    padded = _pad_edge(values, 1, 1, 1, 1)
    columns = padded[:-2] + padded[1:-1] + padded[2:]
    return (columns[:, :-2] + columns[:, 1:-1] + columns[:, 2:]) * np.float32(1.0 / 9.0)


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
    high = _median(ink[mask]) if mask.any() else threshold
    low = 0.5 * threshold
    return InkLevels(threshold=threshold, low=low, high=max(high, low + 1.0))


def crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom/right exclusive: the bounding box of a non-empty bool mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


# ---------------------------------------------------------------------------------------------------
# The digit at detail resolution


def extract_digit(
    image: Image.Image,
    factor: int,
    background: Background,
    levels: InkLevels,
    mask: np.ndarray,
) -> np.ndarray:
    """The digit's region cut from the flattened full-resolution image, as a soft ink map.

    The region is reduced (box averaging) so that the digit's long side is ``DETAIL_SIDE`` to twice that when
    the image has that much resolution, so a small digit on a large canvas is not limited to the working
    copy's resolution. Ink is measured against the same background and levels as in the working copy and
    kept only near the digit's mask (which drops specks and other marks).

    Args:
        image: the flattened ("L" or "RGB") image the working copy was reduced from.
        factor: how many of its pixels one working pixel spans (``reduce_for_analysis``).
        background: the background estimated on the working copy.
        levels: ink levels found on the working copy.
        mask: bool [h, w] on the working copy, the digit's pixels.

    Returns:
        float32 [rows, columns] in [0, 1], 1 = stroke core; the digit with a margin of a few pixels.
    """
    top, bottom, left, right = crop_box(mask)
    # One working pixel of margin keeps the anti-aliased fringe; the support mask is grown to match.
    top, left = max(0, top - 1), max(0, left - 1)
    bottom, right = min(mask.shape[0], bottom + 1), min(mask.shape[1], right + 1)
    width, height = image.size
    box = (left * factor, top * factor, min(width, right * factor), min(height, bottom * factor))
    digit_side = max(box[2] - box[0], box[3] - box[1])
    step = max(1, digit_side // DETAIL_SIDE)
    region = image.crop(box)
    if step > 1:
        region = region.reduce(step)
    pixels = image_to_array(region)
    scale = step / factor  # working pixels per region pixel
    region_background = background.sample(pixels.shape[0], pixels.shape[1], top, left, scale)
    ink = ink_map(pixels, region_background, background.polarity)
    rows = _pixel_centres(pixels.shape[0], scale, top)
    columns = _pixel_centres(pixels.shape[1], scale, left)
    # The mask grown by one pixel, looked up at each region pixel (nearest working pixel).
    support = np.zeros((bottom - top + 4, right - left + 4), dtype=bool)
    support[2:-2, 2:-2] = mask[top:bottom, left:right]
    support = _window_3x3(support[..., None], np.logical_or)[..., 0]  # grown by one pixel
    near = support[
        1 + np.clip(rows.astype(np.intp) - top, 0, bottom - top - 1)[:, None],
        1 + np.clip(columns.astype(np.intp) - left, 0, right - left - 1)[None, :],
    ]
    soft = np.clip((ink - levels.low) / (levels.high - levels.low), 0.0, 1.0)
    return np.where(near, soft, 0.0).astype(np.float32)


def stroke_width(digit: np.ndarray) -> float:
    """The mean stroke width in pixels of a soft digit (float32 [h, w] in [0, 1]).

    Ink area over half the outline length: for a band of width w and length L the area is w*L and the
    outline about 2*L. The outline is counted as pixel-edge crossings, which overcount a slanted edge's
    length by 4/pi on average over directions (Cauchy-Crofton), hence the correction.
    """
    core = digit >= 0.5 * float(digit.max())
    crossings = np.count_nonzero(core[1:] != core[:-1]) + np.count_nonzero(core[:, 1:] != core[:, :-1])
    crossings += int(core[0].sum() + core[-1].sum() + core[:, 0].sum() + core[:, -1].sum())
    area = float(digit.sum()) / float(digit.max())
    return 8.0 * area / (math.pi * max(crossings, 1))


def thicken_strokes(digit: np.ndarray, fit_size: int = FIT_SIZE) -> np.ndarray:
    """Widen strokes that would be thinner than MNIST's after fitting into ``fit_size`` px.

    A fine pen on a big drawing would shrink to a faint hairline of under a pixel, unlike anything in
    MNIST. The core (pixels at least half the peak) is grown by a disc, via the distance transform, to
    MNIST's median width, with a one-pixel anti-aliased edge.

    Args:
        digit: float32 [h, w] in [0, 1], the cropped digit.

    Returns:
        float32 [h + 2r, w + 2r] in [0, 1]: the digit, unchanged when its strokes are wide enough.
    """
    if not digit.any():
        return digit
    width = stroke_width(digit)
    pixels_per_fitted_pixel = max(digit.shape) / fit_size
    if width / pixels_per_fitted_pixel >= THIN_STROKE_WIDTH:
        return digit
    radius = (MNIST_STROKE_WIDTH * pixels_per_fitted_pixel - width) / 2.0
    pad = math.ceil(radius) + 1
    padded = np.pad(digit, pad) / float(digit.max())
    distance = ndimage.distance_transform_edt(padded < 0.5)
    grown = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    return np.maximum(padded, grown)


def fit_into_box(digit: np.ndarray, size: int = FIT_SIZE) -> np.ndarray:
    """Crop to the ink and resize so the longest side is ``size`` px, aspect ratio kept, anti-aliased.

    Area averaging (BOX) when shrinking, as MNIST's anti-aliased normalisation; bilinear when enlarging a
    digit that is smaller than the box.

    Args:
        digit: float32 [h, w] >= 0 (not all zero).

    Returns:
        float32 [rows, columns], max(rows, columns) == size.
    """
    top, bottom, left, right = crop_box(digit > 0.05 * float(digit.max()))
    cropped = np.ascontiguousarray(digit[top:bottom, left:right], dtype=np.float32)
    height, width = cropped.shape
    scale = size / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    fitted = Image.fromarray(cropped, mode="F").resize(new_size, resample)
    return np.clip(np.asarray(fitted, dtype=np.float32), 0.0, None)


def center_by_mass(fitted: np.ndarray, canvas_size: int = CANVAS_SIZE) -> np.ndarray:
    """Place the fitted digit in a canvas so its centre of mass lands on MNIST's centre (14, 14).

    Like MNIST, the shift is a whole number of pixels (so the centre of mass is within half a pixel), and
    the digit is never pushed over the canvas's edge.

    Args:
        fitted: float32 [h, w], h and w at most canvas_size.

    Returns:
        float32 [canvas_size, canvas_size].
    """
    height, width = fitted.shape
    total = float(fitted.sum())
    if total > 0:
        com_y = float(np.arange(height) @ fitted.sum(axis=1)) / total
        com_x = float(np.arange(width) @ fitted.sum(axis=0)) / total
    else:
        com_y, com_x = (height - 1) / 2, (width - 1) / 2
    top = int(np.clip(round(CANVAS_CENTER - com_y), 0, canvas_size - height))
    left = int(np.clip(round(CANVAS_CENTER - com_x), 0, canvas_size - width))
    canvas = np.zeros((canvas_size, canvas_size), dtype=np.float32)
    canvas[top : top + height, left : left + width] = fitted
    return canvas


def scale_to_unit(canvas: np.ndarray) -> np.ndarray:
    """float32 [28, 28] >= 0 -> float32 [784] in [0, 1], the strongest pixel at exactly 1.0."""
    peak = float(canvas.max())
    scaled = canvas / peak if peak > 0 else canvas
    return np.clip(scaled, 0.0, 1.0).astype(np.float32).reshape(-1)


# ---------------------------------------------------------------------------------------------------
# The whole recipe


def prepare_image(
    source: str | os.PathLike | bytes | bytearray | memoryview | Image.Image,
    name: str | None = None,
) -> PreparedImage:
    """Prepare a photo or drawing of one digit for the model, as MNIST prepared its digits.

    Args:
        source: a path (str or Path), the file's raw bytes, or a PIL image.
        name: what to call it in messages and in ``PreparedImage.source`` (default: the path or
            ``'<image>'``).

    Returns:
        A ``PreparedImage``: ``pixels`` float32 [784] in [0, 1], the polarity found, the image for display.

    Raises:
        DigitnetError: the file is not a usable image, or no digit is found in it (one line, starting with
            the file's name).
    """
    label = _name_of(source, name)
    steps = preparation_steps(source, label)
    return PreparedImage(label, steps["pixels"], steps["polarity"], _display_copy(steps["working_image"]))


def preparation_steps(
    source: str | os.PathLike | bytes | bytearray | memoryview | Image.Image,
    name: str | None = None,
) -> dict:
    """Run the recipe and keep every intermediate result, for showing the steps (the notebook does).

    Returns a dict:
        working_image: PIL image, the flattened copy that was analysed (at most WORK_SIDE px).
        polarity: "dark-on-light" or "light-on-dark".
        ink: float32 [height, width], how strongly each working pixel is ink (gray levels).
        mask: bool [height, width], the pixels kept as the digit.
        digit: float32 [h, w] in [0, 1], the digit cut out of the full-resolution image.
        thickened: float32, the digit with hairline strokes widened (unchanged when wide enough).
        fitted: float32 [rows, columns], longest side 20.
        centred: float32 [28, 28], centre of mass at the centre.
        pixels: float32 [784] in [0, 1], what the model gets.

    Raises:
        DigitnetError: as `prepare_image`.
    """
    label = _name_of(source, name)
    image = flatten_image(open_image(source, label, max_side=LOAD_SIDE))
    working_image, factor = reduce_for_analysis(image)
    working = image_to_array(working_image)
    background = estimate_background(working)
    ink = ink_map(working, background.sample(*working.shape[:2]), background.polarity)
    smoothed = smooth_3x3(ink)
    threshold = ink_threshold(smoothed, label)
    mask = digit_mask(smoothed, threshold, label)
    levels = find_ink_levels(ink, mask, threshold)
    digit = extract_digit(image, factor, background, levels, mask)
    if not digit.any():
        raise DigitnetError(f"{label}: no digit found: the image is blank")
    thickened = thicken_strokes(digit)
    fitted = fit_into_box(thickened)
    centred = center_by_mass(fitted)
    return {
        "working_image": working_image, "polarity": background.polarity, "ink": ink, "mask": mask,
        "digit": digit, "thickened": thickened, "fitted": fitted, "centred": centred,
        "pixels": scale_to_unit(centred),
    }


def prepare_images(paths: Iterable[str | os.PathLike]) -> list[PreparedImage | DigitnetError]:
    """Prepare each image; a file that is refused gives its ``DigitnetError`` in its place (in order)."""
    results: list[PreparedImage | DigitnetError] = []
    for path in paths:
        try:
            results.append(prepare_image(path))
        except DigitnetError as error:
            results.append(error)
    return results


def naive_resize_and_invert(
    source: str | os.PathLike | bytes | bytearray | memoryview | Image.Image,
) -> np.ndarray:
    """BASELINE ONLY: the classic notebooks' preparation, kept to compare against ``prepare_image``.

    Gray, squashed to 28x28 whatever the aspect ratio, inverted, divided by 255: no background removal,
    no cropping, no centring, and wrong for light-on-dark images. Returns float32 [784] in [0, 1].
    """
    image = flatten_image(open_image(source)).convert("L").resize((CANVAS_SIZE, CANVAS_SIZE))
    return ((255.0 - np.asarray(image, dtype=np.float32)) / 255.0).reshape(-1)
