"""Ruled and squared paper: the printed lines are no ink, also in a photo turned by a few degrees.
Every picture is drawn here (no MNIST, no yardstick)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitnet.images import analyse
from digitnet.images.ruling import ruling_tilt, without_ruled_lines
from digitnet.images.segment import find_glyphs

SIZE = (800, 600)


def ruled_photo(degrees: float, squared: bool = False, spacing: int = 44, line_contrast: float = 45.0,
                pencil_contrast: float = 80.0, seed: int = 0, digit: bool = True) -> Image.Image:
    """A grey photo of ruled (or squared) paper turned by `degrees` (the lines descend to the right for a
    positive angle), with a pencil 7 on it, drawn upright, and a little noise."""
    width, height = SIZE
    lines = Image.new("L", SIZE, 0)
    pen = ImageDraw.Draw(lines)
    slope = math.tan(math.radians(degrees))
    for y in range(-400, height + 400, spacing):  # from above and below the picture: turned, they cross it
        pen.line([(0, y), (width, y + slope * width)], fill=255, width=2)
        if squared:
            x = y + 100  # the other lines, turned alike: their bottom drifts left as the first lines drift down
            pen.line([(x, 0), (x - slope * height, height)], fill=255, width=2)
    drawing = Image.new("L", SIZE, 0)
    if digit:
        ImageDraw.Draw(drawing).line([(330, 180), (470, 180), (380, 430)], fill=255, width=7)
    line_ink = np.asarray(lines, np.float32) / 255.0
    pencil = np.asarray(drawing, np.float32) / 255.0
    rng = np.random.default_rng(seed)
    gray = 235.0 - line_contrast * line_ink
    gray = gray * (1 - pencil) + (235.0 - pencil_contrast) * pencil + rng.normal(0, 2.5, pencil.shape)
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))


def ink_of(photo: Image.Image) -> np.ndarray:
    """The ink map (float32 [h, w], paper 0) of a grey photo at its own resolution: paper level less the pixel."""
    gray = np.asarray(photo, np.float32)
    return np.maximum(np.median(gray) - gray, 0.0)


@pytest.mark.parametrize("degrees", [1.0, 2.5, -4.0, 8.0])
def test_the_tilt_of_a_turned_ruling_is_found(degrees):
    tilt = ruling_tilt(ink_of(ruled_photo(degrees)))
    assert tilt is not None and math.degrees(tilt) == pytest.approx(degrees, abs=0.2)


@pytest.mark.parametrize("photo", [ruled_photo(0.0), ruled_photo(0.0, squared=True),
                                   ruled_photo(3.0, line_contrast=0.0)], ids=["straight", "straight squares", "plain"])
def test_straight_or_no_ruling_has_no_tilt(photo):
    assert ruling_tilt(ink_of(photo)) is None


def test_writing_along_a_slant_and_shading_are_no_ruling():
    # a long number written uphill, its digits touching, their tops and bases lined up along the slant, on paper
    # darkening towards one side (a shadow): neither runs in thin lines across the whole picture
    photo = Image.new("L", SIZE, 0)
    pen = ImageDraw.Draw(photo)
    for index in range(12):
        left, rise = 40 + 60 * index, -9 * index
        pen.rectangle([left, 250 + rise, left + 60, 256 + rise], fill=255)  # a bar across each digit's top
        pen.line([(left + 60, 256 + rise), (left + 20, 400 + rise)], fill=255, width=7)
        pen.rectangle([left, 394 + rise, left + 60, 400 + rise], fill=255)  # and a base
    strokes = np.asarray(photo, np.float32) / 255.0
    shade = np.linspace(0.0, 40.0, SIZE[1])[:, None] * np.ones((1, SIZE[0]))
    gray = 235.0 - shade - 90.0 * strokes + np.random.default_rng(0).normal(0, 2.5, strokes.shape)
    assert ruling_tilt(ink_of(Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)))) is None


@pytest.mark.parametrize("squared", [False, True], ids=["lined", "squared"])
def test_turned_lines_are_taken_out_and_the_digit_stays(squared):
    ink = ink_of(ruled_photo(3.0, squared=squared))
    cleaned = without_ruled_lines(ink)
    digit = ink_of(ruled_photo(3.0, squared=squared, line_contrast=0.0)) > 40  # where the pencil is
    # a line's ink is gone everywhere away from the digit ...
    away = np.ones_like(digit)
    away[150:460, 300:500] = False
    assert np.percentile(cleaned[away], 99.9) < 12 < np.percentile(ink[away], 99.9)
    # ... and the digit keeps its strength, less at most the faint line under it
    assert np.median(cleaned[digit]) > 0.8 * np.median(ink[digit])


@pytest.mark.parametrize("degrees", [0.0, 1.0, 3.0, -6.0])
@pytest.mark.parametrize("squared", [False, True], ids=["lined", "squared"])
def test_a_pencil_digit_on_turned_ruled_paper_is_one_glyph(degrees, squared):
    # turned by a degree, the lines touching a faint pencil digit were joined to it through the hysteresis
    photo = ruled_photo(degrees, squared=squared, line_contrast=60.0, pencil_contrast=70.0)
    found = analyse(photo, "ruled.png")
    glyphs = [glyph for glyph in find_glyphs(found.ink_pixels, found.smoothed, "ruled.png") if not glyph.separator]
    assert len(glyphs) == 1
    top, bottom, left, right = glyphs[0].box
    assert right - left < 0.35 * found.ink_pixels.shape[1]  # the 7 alone, not a line across the picture


def turned_sheet(degrees: float) -> np.ndarray:
    """bool [h, w] of SIZE: a sheet turned by `degrees` about the picture's centre, as big as fits inside it."""
    height, width = SIZE[1], SIZE[0]
    rows, columns = np.mgrid[0:height, 0:width]
    turn = math.radians(degrees)
    along = (columns - width / 2) * math.cos(turn) + (rows - height / 2) * math.sin(turn)
    across = -(columns - width / 2) * math.sin(turn) + (rows - height / 2) * math.cos(turn)
    return (np.abs(along) < 0.4 * width) & (np.abs(across) < 0.4 * height)


@pytest.mark.parametrize("squared", [False, True], ids=["lined", "squared"])
def test_on_a_sheet_cut_out_of_a_desk_photo_only_the_sheet_counts(squared):
    # A sheet laid turned on a desk: its box's corners are painted over with paper, and its lines stop at its
    # edges, so no line runs across the whole box; on the sheet alone they do.
    paper = turned_sheet(8.0)
    ink = np.where(paper, ink_of(ruled_photo(8.0, squared=squared)), 0.0).astype(np.float32)
    tilt = ruling_tilt(ink, paper)
    assert tilt is not None and math.degrees(tilt) == pytest.approx(8.0, abs=0.3)
    cleaned = without_ruled_lines(ink, paper)
    away = paper.copy()
    away[150:460, 300:500] = False  # the digit's surroundings
    assert np.percentile(cleaned[away], 99.9) < 12 < np.percentile(ink[away], 99.9)
    digit = ink_of(ruled_photo(8.0, squared=squared, line_contrast=0.0)) > 40
    assert np.median(cleaned[digit]) > 0.8 * np.median(ink[digit])


def test_a_pencil_digit_on_squared_paper_laid_turned_on_a_desk_is_one_glyph():
    sheet = ruled_photo(0.0, squared=True, line_contrast=60.0, pencil_contrast=70.0).convert("RGB")
    turned = sheet.rotate(8.0, expand=True, resample=Image.Resampling.BICUBIC)
    where = Image.new("L", SIZE, 255).rotate(8.0, expand=True, resample=Image.Resampling.BICUBIC)
    photo = Image.new("RGB", (1400, 1100), (70, 60, 55))  # a dark desk
    photo.paste(turned, (250, 200), where)
    found = analyse(photo, "desk.jpg")
    assert found.origin != (0, 0)  # the sheet was cut out of the photo
    glyphs = [glyph for glyph in find_glyphs(found.ink_pixels, found.smoothed, "desk.jpg") if not glyph.separator]
    assert len(glyphs) == 1
    top, bottom, left, right = glyphs[0].box
    assert right - left < 0.35 * found.ink_pixels.shape[1]
