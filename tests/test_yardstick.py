"""The yardstick generator (tools/yardstick): a tiny set is generated once and checked for real properties.

These tests pass with or without the handwriting font packages; without them the font-based
images are skipped by the generator and the font-specific test says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools import yardstick
from tools.yardstick import __main__ as cli
from tools.yardstick import capture, desk, digits, fonts, make, negatives, numbers, ruled

REQUIRED = ["file", "kind", "label", "style", "source", "variant", "digits", "boxes"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("yardstick")
    yardstick.generate(out, seed=0, counts=yardstick.TINY_COUNTS, quiet=True)
    return out, yardstick.read_labels(out)


def _rgba(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"), dtype=np.float32)


def _expected_rows(counts: dict[str, int], installed: list) -> dict[str, int]:
    """Rows each section should have, given which fonts are installed (font images are skipped otherwise)."""
    need = {
        "A": lambda i: digits.plan(i).get("font"),
        "B": lambda i: (fonts.FONTS[(negatives.plan(i)["k"] // 2) % len(fonts.FONTS)]
                        if negatives.plan(i)["category"] == "letter" and negatives.plan(i)["k"] % 2 else None),
        "C": lambda i: fonts.FONTS[i % len(fonts.FONTS)] if numbers.plan(i)["font"] else None,
        "D": lambda i: None,  # another section's photo: with fonts missing, another is drawn
        "E": lambda i: None,
    }
    return {s: sum(need[s](i) is None or need[s](i) in installed for i in range(n)) for s, n in counts.items()}


def test_files_exist_open_and_have_sane_sizes(tiny):
    out, table = tiny
    assert len(table) > 0
    for _, row in table.iterrows():
        path = out / row["file"]
        assert path.is_file(), row["file"]
        with Image.open(path) as img:
            img.load()
            assert img.size == (row["width"], row["height"])
            assert {"png": "PNG", "jpeg": "JPEG"}[row["format"]] == img.format
            largest = desk.LONGEST_SIDE / 0.35 if row["section"] == "D" else 1000  # a photo of a sheet on a desk
            assert 250 <= img.width <= largest and 250 <= img.height <= largest


def test_columns_and_counts(tiny):
    _, table = tiny
    assert set(REQUIRED) <= set(table.columns)
    assert set(table["kind"]) == {"digit", "not_digit", "number"}
    expected = _expected_rows(yardstick.TINY_COUNTS, fonts.installed_fonts())
    assert table.groupby("section").size().to_dict() == {s: n for s, n in expected.items() if n}
    digit_rows = table[table["kind"] == "digit"]
    assert (digit_rows["digits"] == 1).all() and digit_rows["label"].str.fullmatch(r"[0-9]").all()
    nd = table[table["kind"] == "not_digit"]
    assert (nd["label"] == "").all() and (nd["digits"] == 0).all() and nd["boxes"].map(len).eq(0).all()
    nums = table[table["kind"] == "number"]
    assert nums["label"].str.fullmatch(r"[0-9]{2,8}").all()
    assert (nums["label"].str.len() == nums["digits"]).all()
    short = nums[nums["section"] == "B"]
    assert len(short) and (short["source"] == "number").all() and short["digits"].between(2, 4).all()


def test_every_kind_and_style_present(tiny):
    _, table = tiny
    for kind, group in table.groupby("kind"):
        assert set(group["style"]) == set(yardstick.STYLES), kind
    templates = table[(table["kind"] == "digit") & table["source"].str.startswith("template:")]
    assert len(templates) > 0 and set(templates["style"]) == set(yardstick.STYLES)
    assert set(table.loc[table["section"] == "C", "variant"]) == set(numbers.LAYOUTS)
    categories = set(table.loc[table["kind"] == "not_digit", "source"])
    assert {"letter", "shape", "scribble", "noise", "smudge", "blank"} <= categories


def test_font_images_present_when_fonts_installed(tiny):
    _, table = tiny
    if not fonts.installed_fonts():
        pytest.skip(f"no handwriting fonts installed, font images were skipped ({fonts.APT_LINE})")
    font_digits = table[(table["kind"] == "digit") & table["source"].str.startswith("font:")]
    assert len(font_digits) > 0
    assert set(font_digits["variant"]) <= {"glyph_filled", "glyph_skeleton"}


def test_same_seed_gives_identical_files_regardless_of_counts(tiny, tmp_path):
    out, table = tiny
    # Fewer images than the fixture: each image depends only on (seed, section, index).
    small = {"A": 8, "B": 5, "C": 3}
    again = yardstick.generate(tmp_path, seed=0, counts=small, quiet=True)
    assert len(again) > 0
    for rel in again["file"]:
        assert (tmp_path / rel).read_bytes() == (out / rel).read_bytes(), rel
    mine = table.set_index("file").loc[again["file"], ["label", "style", "source"]]
    assert (mine.values == again.set_index("file")[["label", "style", "source"]].values).all()
    other = yardstick.generate(tmp_path / "seed1", seed=1, counts={"A": 2}, quiet=True)
    assert any((tmp_path / "seed1" / f).read_bytes() != (out / f).read_bytes() for f in other["file"])


def test_digits_have_ink_of_the_expected_polarity_inside_their_box(tiny):
    out, table = tiny
    for _, row in table[(table["kind"] == "digit") & (table["section"] != "D")].iterrows():
        img = _rgba(out / row["file"])
        (x0, y0, x1, y1), = row["boxes"]
        assert 0 <= x0 < x1 <= row["width"] and 0 <= y0 < y1 <= row["height"]
        if row["transparent"]:
            alpha = img[..., 3]
            assert alpha[y0:y1, x0:x1].max() > 200, row["file"]  # opaque ink inside the box
            outside = alpha.copy()
            outside[y0:y1, x0:x1] = 0
            assert outside.max() < 60, row["file"]  # transparent around it
            continue
        lum = img[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        # Local background: a ring around the box (light falls off across a photo).
        mx, my = (x1 - x0) // 5 + 4, (y1 - y0) // 5 + 4
        ring = lum[max(0, y0 - my):y1 + my, max(0, x0 - mx):x1 + mx].copy()
        ring[y0 - max(0, y0 - my):y1 - max(0, y0 - my), x0 - max(0, x0 - mx):x1 - max(0, x0 - mx)] = np.nan
        background = float(np.nanmedian(ring))
        inside = np.sort(lum[y0:y1, x0:x1].ravel())
        # The 20 most inked pixels: pencil lines are thin, so percentiles of the box would miss them.
        if row["polarity"] == "dark_on_light":
            contrast = background - float(inside[:20].mean())
        else:
            contrast = float(inside[-20:].mean()) - background
        assert contrast > 35, (row["file"], row["style"], contrast)


def test_number_boxes_count_order_and_overlap(tiny):
    _, table = tiny
    for _, row in table[(table["kind"] == "number") & (table["section"] != "D")].iterrows():
        boxes = row["boxes"]
        assert len(boxes) == row["digits"] == len(row["label"]), row["file"]
        for x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 <= row["width"] and 0 <= y0 < y1 <= row["height"], row["file"]
        lefts = [b[0] for b in boxes]
        assert lefts == sorted(lefts), row["file"]
        if row["variant"].startswith("gap"):
            for a, b in zip(boxes[:-1], boxes[1:], strict=True):
                overlap = max(0, a[2] - b[0])
                assert overlap <= 0.15 * min(a[2] - a[0], b[2] - b[0]) + 1, (row["file"], a, b)


def test_on_desk_photos_show_a_bright_sheet_on_a_darker_surface(tiny):
    """Section D: another section's photo-style picture laid on a desk, the desk around it in the photo."""
    out, table = tiny
    on_desk = table[table["section"] == "D"]
    assert len(on_desk) == yardstick.TINY_COUNTS["D"]
    assert set(on_desk["style"]) <= set(desk.PHOTO_STYLES) and set(on_desk["source"]) <= set(desk.SURFACES)
    assert (on_desk["boxes"].map(len) == 0).all()  # the sheet's boxes are not the photo's
    for name in on_desk["file"]:
        lum = _rgba(out / name)[..., :3].mean(axis=2)
        edges = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
        assert np.median(edges) < float(np.percentile(lum, 90)) - 40, name


def test_ruled_turned_photos_have_turned_lines_under_the_writing(tiny):
    """Section E: another section's photo-style picture on plain paper, with a ruled or squared sheet's lines laid
    under it, turned a little; the writing and its boxes are the source picture's."""
    out, table = tiny
    ruled_turned = table[table["section"] == "E"]
    assert len(ruled_turned) == yardstick.TINY_COUNTS["E"]
    assert set(ruled_turned["style"]) <= set(desk.PHOTO_STYLES) and set(ruled_turned["source"]) <= set(ruled.RULINGS)
    assert (ruled_turned[ruled_turned["kind"] != "not_digit"]["boxes"].map(len) > 0).all()


@pytest.mark.parametrize("degrees", [-6.0, 0.7, 4.0])
def test_the_ruling_is_turned_as_asked(degrees):
    mask, _, _ = capture.printed_lines((400, 600), "lined", np.random.default_rng(1), degrees)

    def line_rows(column: int) -> np.ndarray:
        on = mask[:, column] > 0.5
        starts, ends = np.flatnonzero(on[1:] & ~on[:-1]) + 1, np.flatnonzero(~on[1:] & on[:-1]) + 1
        return np.array([(a + b - 1) / 2 for a, b in zip(starts, ends[ends > starts[0]], strict=False)])

    # 100 columns further right every line is tan(degrees) * 100 rows lower (less than half the lines' spacing)
    drop = np.tan(np.radians(degrees)) * 100
    left, right = line_rows(250), line_rows(350)
    assert len(left) >= 5 and all(np.min(np.abs(right - row - drop)) < 1.0 for row in left[1:-1])
    assert 0.01 < (mask > 0.5).mean() < 0.08  # thin lines, not a wash


def test_read_labels_keeps_labels_as_text(tiny):
    out, _ = tiny
    table = yardstick.read_labels(out)
    raw = (out / "labels.csv").read_text().splitlines()
    assert raw[0].split(",")[:len(REQUIRED)] == REQUIRED
    assert table["label"].map(type).eq(str).all()
    assert table["boxes"].map(lambda b: isinstance(b, list)).all()
    assert json.loads('[]') == [] and len(raw) == len(table) + 1


def test_font_registry():
    assert 5 <= len(fonts.FONTS) <= 8
    assert set(fonts.FONT_PACKAGES) == {f.package for f in fonts.FONTS}
    assert all(pkg in fonts.APT_LINE for pkg in fonts.FONT_PACKAGES)
    assert set(fonts.installed_fonts()) <= set(fonts.FONTS)
    assert set(fonts.missing_packages()) <= set(fonts.FONT_PACKAGES)


def test_without_fonts_the_rest_is_still_generated(tmp_path, monkeypatch, capsys):
    for module in (digits, negatives, numbers):
        monkeypatch.setattr(module, "installed_fonts", lambda: [])
    monkeypatch.setattr(make, "installed_fonts", lambda: [])
    monkeypatch.setattr(make, "missing_packages", lambda: list(fonts.FONT_PACKAGES))
    counts = {"A": 12, "B": 6, "C": 8}
    table = yardstick.generate(tmp_path, seed=0, counts=counts)
    assert "no handwriting fonts installed" in capsys.readouterr().err
    assert not table["source"].str.startswith("font:").any()
    assert not table["renderer"].str.startswith("font:").any()
    assert table.groupby("section").size().to_dict() == _expected_rows(counts, [])


def test_cli_writes_labels(tmp_path):
    assert cli.main(["--out", str(tmp_path / "ys"), "--scale", "0.003", "--seed", "3"]) == 0
    table = yardstick.read_labels(tmp_path / "ys")
    assert len(table) > 0 and set(table["section"]) <= {"A", "B", "C", "D", "E"}


def test_does_not_import_digitnet():
    src = Path(yardstick.__file__).parent
    for path in src.glob("*.py"):
        assert "import digitnet" not in path.read_text() and "from digitnet" not in path.read_text(), path
