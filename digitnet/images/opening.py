"""Opening a user's image safely and bringing it to 8-bit gray or RGB.

`open_image` refuses what is not a readable image (empty, too big, truncated, a decompression bomb)
before decoding any pixels, takes the first frame, honours the EXIF orientation of phone photos and
decodes large JPEGs at a reduced scale (``Image.draft``) for speed. HEIC/HEIF photos (what iPhones take)
are read through pillow-heif's Pillow plugin, registered the first time one is opened. `flatten_image` composites
transparency onto white (onto black for a white digit on a transparent canvas) and brings every mode
(16-bit, palette, CMYK, 1-bit) to "L" or "RGB". Every refusal is a one-line `DigitnetError` that starts
with the file's name.
"""

from __future__ import annotations

import functools
import io
import math
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitnet.errors import DigitnetError, DigitnetWarning, unreadable

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger files are refused before being read
MAX_PIXELS = 50_000_000  # width x height from the header; 48-megapixel phone photos still pass
LOAD_SIDE = 400  # JPEGs are decoded at 1/2, 1/4 or 1/8 scale when the long side keeps this many pixels
WORK_SIDE = 320  # ink is found on a copy at most this big: a 2 px pencil line on a phone photo survives
# ... and at least this big: a smaller picture (a 28x28 drawing, a thumbnail, a tight crop) is enlarged by a whole
# factor, with Lanczos, before its ink is looked for. The analysis (the paper's closing, the 3x3 smoothing that
# widens strokes by about 2 pixels, the hysteresis) assumes a digit some tens of pixels tall. The single digits of
# two development draws of the yardstick shrunk to 28 px were read right 54.0% and 53.0% of the time as they were,
# 86.8% and 87.2% enlarged (shrunk to 48 px: 77.3% and 80.0%, then 95.5% and 95.0%); MNIST's first 3,000 test
# digits saved as 28x28 pictures 94.2%, then 97.1%. Enlarging to 224 px read a few more of the shrunk digits but
# fewer of MNIST's (95.9% of 2,000 against 96.9%), 112 and 320 px no more; bicubic and bilinear fewer.
MIN_WORK_SIDE = 160
DISPLAY_SIDE = 256  # PreparedImage.original is at most this big
_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's convert("L")

Source = str | os.PathLike | bytes | bytearray | memoryview | Image.Image
# The brands of an ISO base media file ("ftyp" box) that hold a HEIC/HEIF still image or sequence.
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftypheim", b"ftypheis", b"ftyphevc", b"ftyphevx", b"ftypmif1",
                b"ftypmsf1")


def name_of(source: object, name: str | None) -> str:
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
        except OSError as error:
            raise unreadable(label, error, "an image file") from None
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


@functools.cache
def _heif_readable() -> bool:
    """Whether HEIC/HEIF files can be opened: pillow-heif's Pillow plugin, registered on first use (it adds a
    format to Pillow for the whole process, so only once a HEIC file is actually opened). Its thumbnails are
    not read: only the photo itself is used."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener(thumbnails=False)
    return True


def _is_heif(data: bytes) -> bool:
    return data[4:12] in _HEIF_BRANDS


def _open_header(data: bytes, label: str) -> Image.Image:
    """Parse only the header (Pillow decodes lazily) and check the dimensions it claims."""
    if _is_heif(data):
        _heif_readable()
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
    if _is_heif(data):
        if _heif_readable():
            return "corrupt or truncated HEIC/HEIF file"
        return "HEIC/HEIF photos cannot be read without pillow-heif (make venv installs it): convert it to JPEG or PNG"
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
        full_width = image.size[0]
        if max_side is not None and image.format == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale directly: a 12-megapixel photo costs a fraction.
            # Straight to grey, too: skipping the colour conversion and analysing one channel instead of three
            # takes a third off preparing a photo, and in a photo a pen's darkness, not its hue, sets it apart.
            image.draft("L" if image.mode in ("RGB", "YCbCr") else None, _draft_size(image.size, max_side))
        image.load()
        image.info["decode_scale"] = full_width / image.size[0]  # file pixels per decoded pixel
    except Exception as error:  # noqa: BLE001 - truncated or corrupt data surfaces as many exception types
        raise DigitnetError(
            f"{label}: cannot decode the image, truncated or corrupt ({_one_line(error)})"
        ) from None
    return image


def _exif_upright(image: Image.Image, in_place: bool, label: str) -> Image.Image:
    """Rotate/flip as the EXIF Orientation tag says (phone photos are stored sideways and tagged)."""
    try:
        if in_place:
            ImageOps.exif_transpose(image, in_place=True)
            return image
        return ImageOps.exif_transpose(image)
    except Exception as error:  # noqa: BLE001 - malformed EXIF is only metadata: the pixels are still good
        warnings.warn(DigitnetWarning(f"{label}: its EXIF data cannot be read ({_one_line(error)}), so it is "
                                      "read as stored: a photo taken sideways stays sideways"), stacklevel=2)
        return image


def open_image(
    source: Source,
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

    Warns:
        DigitnetWarning: the image is read, but some of its metadata is damaged (one line, starting with
            its name).
    """
    label = name_of(source, name)
    # Pillow warns about damaged metadata it skips (a broken EXIF block, a tag pointing past the end), as
    # a Python warning that names its own source file. The pixels are still good, so the image is read
    # and the user is told once, in one line, what that may cost. (Filters are process-wide; see above.)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(source, Image.Image):
            _check_dimensions(source, label)
            image = _exif_upright(_decode_first_frame(source, label, None), False, label)
        else:
            image = _open_header(_read_bytes(source, label), label)
            image = _exif_upright(_decode_first_frame(image, label, max_side), True, label)
    pillow = [item for item in caught
              if issubclass(item.category, UserWarning) and f"{os.sep}PIL{os.sep}" in item.filename]
    for item in caught:
        if item not in pillow:  # not ours to judge: raised again as it was
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    if pillow:
        message = _one_line(pillow[0].message).strip()
        warnings.warn(DigitnetWarning(f"{label}: damaged metadata was skipped ({message}); if the photo looks "
                                      "sideways, turn it upright and try again"), stacklevel=2)
    return image


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
    luma = small[..., :3] @ _LUMA
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


def enlarge_if_small(image: Image.Image, min_side: int = MIN_WORK_SIDE) -> tuple[Image.Image, int]:
    """A copy enlarged by the smallest whole factor that makes its long side at least ``min_side`` px (Lanczos),
    or the image itself when it is that big already.

    Returns:
        (image, factor): each pixel of ``image`` spans 1/factor x 1/factor of the original's.
    """
    factor = math.ceil(min_side / max(1, max(image.size)))
    if factor <= 1:
        return image, 1
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.LANCZOS), factor


def image_to_array(image: Image.Image) -> np.ndarray:
    """An "L" or "RGB" image -> float32 [height, width, channels] (1 or 3 channels), gray levels 0-255."""
    values = np.asarray(image, dtype=np.float32)
    return values[..., None] if values.ndim == 2 else values


def display_copy(working: Image.Image) -> Image.Image:
    """RGB, at most DISPLAY_SIDE px: what PreparedImage.original shows (a copy, never the working image)."""
    image = working.convert("RGB")  # a copy even when it is RGB already
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.BOX)  # only ever shrinks
    return image

