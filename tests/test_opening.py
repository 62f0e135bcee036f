"""Opening users' images: any bytes give a prepared digit or one line naming the file, in bounded time and memory
(property-based, on random bytes and on real images of every format with their bytes mutated)."""

from __future__ import annotations

import io
import os
import resource
import time
import warnings

import numpy as np
import pillow_heif
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from digitnet.errors import DigitnetError, DigitnetWarning
from digitnet.images import PreparedImage, prepare_image
from digitnet.images import opening as opening_module
from digitnet.images.opening import MAX_PIXELS, open_image

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "ICO", "PPM", "HEIF"]
pillow_heif.register_heif_opener()  # for saving HEIF here (digitnet registers it to read the first HEIC it opens)
CASES = {"run": 0, "prepared": 0, "refused": 0}
# Memory an image may take however small its file: a header may claim up to MAX_PIXELS pixels, refused only when
# the data runs out, and preparing works on float copies of a much smaller working image.
IMAGE_MEMORY_BYTES = 4 * MAX_PIXELS + (256 << 20)


@st.composite
def images(draw) -> bytes:
    """A small real image (any common format and mode), then 0-3 mutations of its bytes."""
    size = (draw(st.integers(1, 48)), draw(st.integers(1, 48)))
    mode = draw(st.sampled_from(["L", "RGB", "RGBA", "P", "1", "LA", "I;16"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    if draw(st.booleans()):  # a dark stroke on paper, so some images are digits to find
        pixels[:] = 240
        pixels[size[1] // 4 : 3 * size[1] // 4 + 1, size[0] // 2 : size[0] // 2 + 2] = 20
    image = Image.fromarray(pixels, "RGB").convert(mode if mode != "I;16" else "I").convert(mode)
    image_format = draw(st.sampled_from(FORMATS))
    buffer = io.BytesIO()
    try:
        image.save(buffer, image_format)
    except (OSError, ValueError, KeyError):
        image.convert("RGB").save(buffer, image_format)
    raw = buffer.getvalue()
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        edit = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "huge"]))
        if edit == "flip":
            raw = raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
        elif edit == "insert":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
        elif edit == "delete":
            raw = raw[:at] + raw[at + 1 :]
        elif edit == "truncate":
            raw = raw[:at]
        else:  # four bytes of 0xff: in most formats' headers, a width or height in the tens of thousands
            raw = raw[:at] + b"\xff\xff\xff\x7f" + raw[at + 4 :]
    return raw


def check(folder, raw: bytes) -> None:
    """`raw` as a file: a prepared digit, or one line starting with the file's path; bounded time and memory;
    any warning on the way is one line starting with the path too (never Pillow's own)."""
    path = folder / f"image-{CASES['run']}.img"
    CASES["run"] += 1
    path.write_bytes(raw)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opened = open_image(path)
            assert opened.size[0] * opened.size[1] <= MAX_PIXELS
            prepared = prepare_image(path)
        for item in caught:
            message = str(item.message)
            assert item.category is DigitnetWarning, f"{item.category.__name__} from {item.filename}: {message}"
            assert message.startswith(f"{path}: ") and "\n" not in message, message
    except DigitnetError as error:
        message = str(error)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        CASES["refused"] += 1
    else:
        assert isinstance(prepared, PreparedImage) and prepared.source == str(path)
        assert prepared.pixels.dtype == np.float32 and prepared.pixels.shape == (784,)
        assert np.isfinite(prepared.pixels).all() and 0 <= prepared.pixels.min() <= prepared.pixels.max() <= 1
        CASES["prepared"] += 1
    finally:
        path.unlink()
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_before < IMAGE_MEMORY_BYTES


@given(raw=images())
def test_property_mutated_images(tmp_path_factory, raw):
    check(tmp_path_factory.getbasetemp(), raw)


@given(raw=st.binary(max_size=2048))
def test_property_random_bytes(tmp_path_factory, raw):
    check(tmp_path_factory.getbasetemp(), raw)


def test_property_cases_ran():
    """Runs after the two above (file order): how many cases they checked, printed for the record."""
    print(f"\nimage property cases: {CASES['run']} ({CASES['prepared']} prepared, {CASES['refused']} refused)")
    assert CASES["run"] == 0 or CASES["refused"] > 0


def phone_photo_with_damaged_exif(damage: str) -> bytes:
    """A JPEG tagged "turn 90 degrees" whose EXIF block is damaged: its first directory claims 255 entries
    ("count": Pillow reads what is there) or starts past the end of the block ("offset": nothing is read)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held sideways
    buffer = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buffer, "JPEG", exif=exif.tobytes())
    data = buffer.getvalue()
    tiff = data.index(b"Exif\x00\x00") + 6  # the TIFF header: byte order, 42, offset of the first directory
    if damage == "count":
        return data[: tiff + 8] + b"\xff\x00" + data[tiff + 10 :]
    return data[: tiff + 4] + b"\xff\xff\x00\x00" + data[tiff + 8 :]


@pytest.mark.parametrize("damage, upright_size", [("count", (30, 40)), ("offset", (40, 30))])
def test_damaged_exif_is_read_with_one_warning_line_not_pillows(tmp_path, damage, upright_size):
    path = tmp_path / "photo.jpg"
    path.write_bytes(phone_photo_with_damaged_exif(damage))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = open_image(path)
    assert image.size == upright_size  # turned when the tag could still be read, as stored when not
    assert [item.category for item in caught] == [DigitnetWarning]
    message = str(caught[0].message)
    assert message.startswith(f"{path}: damaged metadata was skipped (Corrupt EXIF data") and "\n" not in message


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"), OSError(5, "Input/output error")])
def test_unreadable_image_is_one_line(tmp_path, monkeypatch, error):
    path = tmp_path / "digit.png"
    Image.new("L", (28, 28), 255).save(path)

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(opening_module, "_read_at_most", refuse)  # root reads anything: simulate the refusal
    with pytest.raises(DigitnetError) as caught:
        prepare_image(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_special_files_are_one_line(tmp_path):
    with pytest.raises(DigitnetError, match="folder"):
        open_image(tmp_path)
    if os.path.exists("/dev/null"):
        with pytest.raises(DigitnetError, match="^/dev/null: "):
            open_image("/dev/null")
