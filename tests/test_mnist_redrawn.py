"""Tests for tools.mnist_redrawn and the two generators that use it, on made-up digits (CI has no MNIST data)."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tools import ink_and_paper, mnist_redrawn


def fake_digit(shape: str = "ring", shift: int = 0) -> np.ndarray:
    """A 28x28 uint8 white-on-black stroke with MNIST's soft edges: a ring (a zero) or a bar (a one)."""
    yy, xx = np.mgrid[:28, :28].astype(np.float32)
    if shape == "ring":
        distance = np.abs(np.hypot((yy - 14) / 1.3, xx - 14 - shift) - 6.0)
    else:
        distance = np.where((yy > 4) & (yy < 24), np.abs(xx - 14 - shift), 99.0)
    return (255 * np.clip(2.0 - distance, 0, 1)).astype(np.uint8).reshape(784)


def encode(image: Image.Image, save_kwargs: dict) -> bytes:
    buffer = io.BytesIO()
    mnist_redrawn.save(image, save_kwargs, buffer)
    return buffer.getvalue()


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Every kind once, plus every odd format, rendered once for the whole module (rendering is the slow part).
CASES = [(kind, None) for kind in mnist_redrawn.KINDS if kind != "odd_formats"] + [
    ("odd_formats", variant) for variant in mnist_redrawn.ODD_FORMATS
]


@pytest.fixture(scope="module")
def rendered() -> dict:
    """(kind, variant) -> (image, save_kwargs, file bytes), all with seed 0 on the ring digit."""
    out = {}
    for kind, variant in CASES:
        image, save_kwargs = mnist_redrawn.render(kind, fake_digit("ring"), np.random.default_rng(0), variant=variant)
        out[kind, variant] = (image, save_kwargs, encode(image, save_kwargs))
    return out


@pytest.mark.parametrize(("kind", "variant"), CASES)
def test_every_kind_saves_and_reopens_as_a_user_sized_image(rendered, kind, variant):
    image, save_kwargs, data = rendered[kind, variant]
    reopened = reopen(data)
    assert reopened.format == save_kwargs["format"]
    assert reopened.size == image.size
    assert min(reopened.size) >= 150, "users send pictures, not 28x28 thumbnails"
    assert save_kwargs["ext"] in {"jpg", "png", "gif", "bmp", "webp"}
    # The digit is there: after compositing onto white, some pixels differ clearly from the background.
    gray = np.asarray(flatten(reopened), np.float32)
    assert np.percentile(gray, 99.9) - np.percentile(gray, 0.1) > 80


def flatten(image: Image.Image) -> Image.Image:
    """Grayscale view of any mode, with transparency composited onto white (for looking at the ink)."""
    image = ImageOps.exif_transpose(image)
    if image.mode == "I;16":
        return Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")


def test_the_digit_is_not_centred_and_scaled_like_mnist(rendered):
    # off_centre: a small digit near a corner of a large canvas.
    gray = np.asarray(flatten(reopen(rendered["off_centre", None][2])), np.float32)
    ink = np.argwhere(gray < 128)
    height, width = gray.shape
    assert ink.size
    rows, cols = ink[:, 0], ink[:, 1]
    assert (rows.max() - rows.min()) < 0.3 * min(height, width)
    centre = np.array([rows.mean() / height, cols.mean() / width])
    assert np.abs(centre - 0.5).max() > 0.2


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(rendered):
    for kind, variant in CASES:
        again = mnist_redrawn.render(kind, fake_digit("ring"), np.random.default_rng(0), variant=variant)
        assert encode(*again) == rendered[kind, variant][2], kind
    other = mnist_redrawn.render("photo", fake_digit("ring"), np.random.default_rng(1))
    assert encode(*other) != rendered["photo", None][2]


def test_phone_exif_stores_turned_pixels_with_the_matching_orientation_tag():
    for seed in range(4):
        stored, save_kwargs = mnist_redrawn.render("phone_exif", fake_digit("bar"), np.random.default_rng(seed))
        upright, _ = mnist_redrawn.render("photo", fake_digit("bar"), np.random.default_rng(seed))
        reopened = reopen(encode(stored, save_kwargs))
        orientation = reopened.getexif().get(mnist_redrawn.EXIF_ORIENTATION)
        assert orientation in (3, 6, 8)
        shown = np.asarray(ImageOps.exif_transpose(reopened).convert("L"), np.float32)
        expected = np.asarray(upright.convert("L"), np.float32)
        assert shown.shape == expected.shape
        assert np.abs(shown - expected).mean() < 3, "the tag must undo the turn exactly"
        raw = np.asarray(reopened.convert("L"), np.float32)
        if orientation == 3:
            assert np.abs(raw - expected).mean() > 3
        else:
            assert raw.shape == expected.shape[::-1]


def test_drawing_transparent_has_a_transparent_background_and_soft_edges(rendered):
    reopened = reopen(rendered["drawing_transparent", None][2])
    assert reopened.mode == "RGBA"
    alpha = np.asarray(reopened)[..., 3]
    assert (alpha == 0).mean() > 0.5
    assert (alpha == 255).any()
    assert ((alpha > 0) & (alpha < 255)).any(), "anti-aliased edges"


def test_scan_gray16_is_a_16_bit_grayscale_png(rendered):
    reopened = reopen(rendered["scan_gray16", None][2])
    assert reopened.mode == "I;16"
    pixels = np.asarray(reopened)
    assert pixels.dtype == np.uint16
    assert pixels.max() > 255 * 100, "uses the 16-bit range, not 8-bit values"
    assert np.median(pixels) > 0.7 * 65535, "dark ink on a light page"


def test_odd_formats_cover_the_formats_people_send(rendered):
    def opened(variant):
        return reopen(rendered["odd_formats", variant][2])

    gif = opened("palette_gif")
    assert (gif.format, gif.mode) == ("GIF", "P") and "transparency" in gif.info
    animated = opened("animated_gif")
    assert animated.format == "GIF" and animated.n_frames >= 2
    first = np.asarray(animated.convert("L"), np.float32)
    animated.seek(1)
    second = np.asarray(animated.convert("L"), np.float32)
    assert first.min() < 100 < second.min(), "the first frame shows the digit, the next does not"
    assert opened("bmp").format == "BMP"
    assert opened("webp").format == "WEBP"
    cmyk = opened("cmyk_jpeg")
    assert (cmyk.format, cmyk.mode) == ("JPEG", "CMYK")
    la = opened("la_png")
    assert (la.format, la.mode) == ("PNG", "LA")
    # A running index cycles through the formats.
    assert [
        mnist_redrawn.render("odd_formats", fake_digit("bar"), np.random.default_rng(0), variant=i)[1]["variant"]
        for i in range(len(mnist_redrawn.ODD_FORMATS) + 1)
    ] == [*mnist_redrawn.ODD_FORMATS, mnist_redrawn.ODD_FORMATS[0]]


@pytest.mark.parametrize("kind", mnist_redrawn.KINDS)
def test_file_names_carry_label_and_kind(kind):
    for label in range(10):
        for variant in (None, "la_png"):
            for index in (None, 7):
                name = mnist_redrawn.file_name(label, kind, "png", variant=variant, index=index)
                assert mnist_redrawn.parse_name(Path("some/folder") / name) == (label, kind)
                assert name.split("-", 1)[0] == str(label)


def test_bad_digits_and_kinds_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="784"):
        mnist_redrawn.render("photo", np.zeros((10, 10), np.uint8), rng)
    with pytest.raises(ValueError, match="blank"):
        mnist_redrawn.render("photo", np.zeros(784, np.uint8), rng)
    with pytest.raises(ValueError, match="unknown kind"):
        mnist_redrawn.render("hologram", fake_digit(), rng)
    with pytest.raises(ValueError, match="variant"):
        mnist_redrawn.render("odd_formats", fake_digit(), rng, variant="tiff")


def test_count_pieces_and_centre_line_keep_topology():
    ring = np.asarray(ink_and_paper.ink_mask(fake_digit("ring"), 0.4, scale=4)) > 0.5
    line = ink_and_paper.centre_line(ring)
    assert ink_and_paper.count_pieces(ring) == ink_and_paper.count_pieces(line) == 1
    assert line.sum() < 0.3 * ring.sum(), "thinned to a line"
    two = np.zeros((20, 20), bool)
    two[2:5, 2:18] = True
    two[10:18, 9] = True
    assert ink_and_paper.count_pieces(two) == 2


# ---------------------------------------------------------------------------------------------------
# The scripts, on a fake MNIST folder


def load_script(name: str):
    return importlib.import_module(f"tools.{name}")


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory) -> Path:
    """A data folder with a 60-row test split: 6 made-up digits per class (rings and bars, shifted)."""
    folder = tmp_path_factory.mktemp("MNIST")
    labels = np.repeat(np.arange(10), 6)
    images = np.stack([fake_digit("ring" if i % 2 else "bar", shift=i % 3) for i in range(len(labels))])
    np.savetxt(folder / "digit_xtest.csv", images, fmt="%d", delimiter=",")
    np.savetxt(folder / "digit_ytest.csv", labels, fmt="%d")
    return folder


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_make_user_images_writes_a_balanced_labelled_set(fake_mnist, tmp_path, capsys):
    script = load_script("make_user_images")
    out = tmp_path / "user"
    argv = ["--data", str(fake_mnist), "--out", str(out), "--per-kind", "2", "--jobs", "1"]
    assert script.main(argv) == 0
    assert "wrote 20 images" in capsys.readouterr().out
    with open(out / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "label", "kind", "mnist_test_row", "variant"]
    assert len(rows) == 2 * len(mnist_redrawn.KINDS)
    assert {row["kind"] for row in rows} == set(mnist_redrawn.KINDS)
    test_rows = [int(row["mnist_test_row"]) for row in rows]
    assert len(set(test_rows)) == len(test_rows), "no MNIST row used twice"
    fake_labels = np.repeat(np.arange(10), 6)
    for row in rows:
        assert mnist_redrawn.parse_name(row["file"]) == (int(row["label"]), row["kind"])
        assert fake_labels[int(row["mnist_test_row"])] == int(row["label"])
        Image.open(out / row["file"]).load()
    assert sorted(p.name for p in out.iterdir()) == sorted([row["file"] for row in rows] + ["labels.csv"])
    first = digests(out)
    assert script.main(argv) == 0
    assert digests(out) == first, "deterministic"


def test_make_samples_covers_every_digit_and_kind_deterministically(fake_mnist, tmp_path, capsys):
    script = load_script("make_samples")
    out = tmp_path / "samples"
    assert script.main(["--data", str(fake_mnist), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    redrawn = [name for name in names if Path(name).stem.split("-")[1] in mnist_redrawn.KINDS]
    others = [name for name in names if name not in redrawn]  # other people's handwriting (yardstick renderers)
    assert len(redrawn) == len(script.SAMPLES) and all(name in printed for name in names)
    assert len(others) <= len(script.HANDWRITING) and any(name.startswith("none-") for name in others)
    parsed = [mnist_redrawn.parse_name(name) for name in redrawn]
    assert {label for label, _ in parsed} == set(range(10))
    assert {kind for _, kind in parsed} == set(mnist_redrawn.KINDS)
    assert sum(p.stat().st_size for p in out.iterdir()) < 1_500_000
    again = tmp_path / "again"
    assert script.main(["--data", str(fake_mnist), "--out", str(again)]) == 0
    assert all((out / name).read_bytes() == (again / name).read_bytes() for name in names), "deterministic"


def test_scripts_say_how_to_get_missing_data(tmp_path, capsys):
    for name in ("make_samples", "make_user_images"):
        script = load_script(name)
        assert script.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and "make data" in error and "digit_xtest.csv" in error
