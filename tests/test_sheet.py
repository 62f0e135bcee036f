"""A photo of a sheet of paper that shows the desk around it: the sheet is found and only it is read; pictures
that are no such photo (paper filling the frame, dark vignetted corners, bold white writing on black) are left
alone. Every picture is drawn here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_reading import SEVEN, Answers

from digitnet import reading
from digitnet.images.analysis import analyse
from digitnet.images.opening import image_to_array, reduce_for_analysis
from digitnet.images.sheet import find_sheet

PAPER_SIZE = (400, 300)
PAPER_AT = (230, 160)  # where the paper's top-left corner lies on the desk
DESK_SIZE = (900, 640)


def paper_with_seven() -> Image.Image:
    """A shaded paper photo, 400 x 300, with a 7 drawn on it (RGB)."""
    columns = np.linspace(0.9, 1.0, PAPER_SIZE[0])[None, :, None]
    paper = np.full((PAPER_SIZE[1], PAPER_SIZE[0], 3), (226, 222, 214), np.float32) * columns
    image = Image.fromarray(paper.astype(np.uint8))
    ImageDraw.Draw(image).line(SEVEN, fill=(30, 30, 90), width=12)
    return image


def desk(kind: str, size: tuple[int, int] = DESK_SIZE) -> Image.Image:
    """A desk `size` px: "dark", "wood" (stripes of grain), "grey" (noisy) or "light" (a pale grey laminate, only
    about 50 grey levels darker than the paper)."""
    rng = np.random.default_rng(0)
    width, height = size
    if kind == "light":
        pixels = 160 + rng.normal(0, 4, (height, width, 3))
    elif kind == "dark":
        pixels = np.full((height, width, 3), 45.0)
    elif kind == "wood":
        grain = 18 * np.sin(np.arange(width) / 6.0)[None, :, None] * np.array([1.0, 0.7, 0.4])
        pixels = np.array([150.0, 100.0, 60.0]) + grain + np.zeros((height, 1, 1))
    else:
        pixels = 115 + rng.normal(0, 10, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def on_desk(kind: str, angle: float = 0.0, desk_size: tuple[int, int] = DESK_SIZE) -> tuple[Image.Image, np.ndarray]:
    """The paper with its 7 laid on a desk, turned by `angle` degrees: (the photo, bool [h, w] where the paper is)."""
    paper = paper_with_seven().rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    where = Image.new("L", PAPER_SIZE, 255).rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    photo, mask = desk(kind, desk_size), Image.new("L", desk_size, 0)
    photo.paste(paper, PAPER_AT, where)
    mask.paste(where, PAPER_AT)
    return photo, np.asarray(mask) > 127


def paper_at_its_place() -> np.ndarray:
    """bool [h, w] of the desk photo: where a paper laid upright at PAPER_AT lies."""
    where = np.zeros(DESK_SIZE[::-1], bool)
    where[PAPER_AT[1] : PAPER_AT[1] + PAPER_SIZE[1], PAPER_AT[0] : PAPER_AT[0] + PAPER_SIZE[0]] = True
    return where


def sheet_found(photo: Image.Image) -> np.ndarray | None:
    working, _ = reduce_for_analysis(photo)
    return find_sheet(image_to_array(working))


def assert_found_whole(photo: Image.Image, paper: np.ndarray) -> None:
    """The sheet found in `photo` is where the paper is (bool [h, w] in the photo's pixels), to 95% of their union."""
    sheet = sheet_found(photo)
    assert sheet is not None
    _, factor = reduce_for_analysis(photo)
    truth = paper[factor // 2 :: factor, factor // 2 :: factor]
    sheet = sheet[: truth.shape[0], : truth.shape[1]]
    assert (sheet & truth).sum() >= 0.95 * (sheet | truth).sum()


@pytest.mark.parametrize("kind", ["dark", "wood", "grey", "light"])
@pytest.mark.parametrize("angle", [0.0, 8.0])
def test_the_sheet_on_a_desk_is_found_whole(kind, angle):
    assert_found_whole(*on_desk(kind, angle))


@pytest.mark.parametrize("kind", ["dark", "wood"])
def test_a_digit_on_a_sheet_on_a_desk_is_read_and_placed_in_the_files_pixels(kind):
    """Without the sheet found, the desk is ink: one mark the size of the picture, refused."""
    photo, _ = on_desk(kind)
    result = reading.read_image(Answers(other_digit=7), photo, name="desk.jpg")
    assert result.ok and result.number == "7", result.refusal
    x0, y0, x1, y1 = result.digits[0].box
    left, top = PAPER_AT  # the 7 spans x 120-250, y 60-240 on the paper
    assert left + 100 <= x0 < left + 130 and left + 240 < x1 < left + 270
    assert top + 40 <= y0 < top + 70 and top + 235 < y1 < top + 260
    assert result.size == DESK_SIZE
    assert result.original.size[0] / result.size[0] == pytest.approx(result.original.size[1] / result.size[1], rel=0.02)
    # the sheet is cut out of the photo and analysed in more detail than the whole picture's working copy gives it
    _, factor = reduce_for_analysis(photo)
    assert analyse(photo, "desk.jpg").working_image.size[0] >= 1.4 * PAPER_SIZE[0] / factor


def test_a_stroke_written_into_the_sheets_edge_cuts_nothing_off():
    # a 7 whose stem runs down into the paper's bottom edge parts the bright paper in two: the piece left of it,
    # and the stem itself, are still the sheet (else they were painted over with the desk, and the 7 was lost)
    paper = paper_with_seven()
    ImageDraw.Draw(paper).line([(60, 40), (200, 40), (110, 300)], fill=(30, 30, 90), width=10)
    photo = desk("dark")
    photo.paste(paper, PAPER_AT)
    assert_found_whole(photo, paper_at_its_place())


def test_paper_in_shade_beside_the_sheet_is_the_sheet_too():
    # the sheet's left part lies in shade, darker than the paper/desk threshold, fading into the lit paper: it and
    # the writing on it are on the sheet (else they were painted over with the desk, as a number's first digits were)
    paper = paper_with_seven()
    shade = np.linspace(0.45, 1.0, PAPER_SIZE[0])[None, :, None]
    paper = Image.fromarray((np.asarray(paper, np.float32) * shade).astype(np.uint8))
    ImageDraw.Draw(paper).line([(40, 80), (40, 220)], fill=(20, 20, 60), width=10)  # a 1 in the deepest shade
    photo = desk("dark")
    photo.paste(paper, PAPER_AT)
    assert_found_whole(photo, paper_at_its_place())


def test_writing_where_the_sheet_runs_out_of_the_photo_stays_on_the_sheet():
    # the paper runs out of the picture at the bottom, and a bold marker loop there (wider than the strokes the
    # paper is joined across) reaches the picture's edge: it and what it encloses against that edge are on the
    # sheet, not a notch of the desk to paint over
    paper = paper_with_seven()
    ImageDraw.Draw(paper).ellipse([140, 180, 280, 340], outline=(30, 30, 90), width=48)
    photo = desk("dark")
    at = (PAPER_AT[0], DESK_SIZE[1] - PAPER_SIZE[1] + 40)  # its bottom 40 rows out of the picture
    photo.paste(paper, at)
    where = np.zeros(DESK_SIZE[::-1], bool)
    where[at[1] :, at[0] : at[0] + PAPER_SIZE[0]] = True
    assert_found_whole(photo, where)
    loop = np.zeros(DESK_SIZE[::-1], bool)
    loop[at[1] + 180 :, at[0] + 140 : at[0] + 281] = True  # the loop's box, cut by the picture's edge
    sheet = sheet_found(photo)
    _, factor = reduce_for_analysis(photo)
    loop = loop[factor // 2 :: factor, factor // 2 :: factor]
    rows, columns = min(loop.shape[0], sheet.shape[0]), min(loop.shape[1], sheet.shape[1])
    assert sheet[:rows, :columns][loop[:rows, :columns]].mean() > 0.95


def test_a_small_sheet_far_off_on_a_wide_desk_is_found_and_read():
    # the paper is 7% of the picture, as a sticky note photographed with the desk around it
    photo, _ = on_desk("wood", 5.0, desk_size=(1500, 1100))
    assert sheet_found(photo) is not None
    result = reading.read_image(Answers(other_digit=7), photo, name="desk.jpg")
    assert result.ok and result.number == "7", result.refusal


def test_a_faint_pencil_digit_is_writing_enough_for_the_sheet_to_be_found():
    # a pencil 7 only 22 grey levels darker than the paper: the sheet is found (else the sheet itself, a bright
    # box on the dark desk, was the one mark and was refused as not a digit)
    paper = Image.new("RGB", PAPER_SIZE, (226, 222, 214))
    ImageDraw.Draw(paper).line(SEVEN, fill=(204, 200, 192), width=5)
    photo = desk("dark")
    photo.paste(paper, PAPER_AT)
    assert_found_whole(photo, paper_at_its_place())
    result = reading.read_image(Answers(other_digit=7), photo, name="desk.jpg")
    assert result.ok and result.number == "7", result.refusal


def vignetted_paper() -> Image.Image:
    """Paper filling the frame, its corners darkened to 34 grey levels by a lens's vignette, a 7 near a corner."""
    y, x = np.mgrid[0:300, 0:400]
    falloff = np.hypot((x - 200) / 200, (y - 150) / 150) ** 2 / 2
    image = Image.fromarray((225 * (1 - 0.85 * falloff)).astype(np.uint8))
    ImageDraw.Draw(image).line([(330, 40), (380, 40), (345, 120)], fill=30, width=6)
    return image


def white_on_black(draw) -> Image.Image:
    image = Image.new("L", (400, 300), 15)
    draw(ImageDraw.Draw(image))
    return image


@pytest.mark.parametrize("picture", [
    lambda: paper_with_seven(),  # paper filling the frame: the common case
    vignetted_paper,  # dark corners fade in: no sharp edge
    lambda: white_on_black(lambda pen: pen.ellipse([120, 40, 280, 260], outline=240, width=45)),  # a bold 0
    lambda: white_on_black(lambda pen: pen.line([(300, 20), (120, 280)], fill=240, width=50)),  # a bold 1
    lambda: white_on_black(lambda pen: [pen.rectangle([60, top, 340, top + 60], fill=240) for top in (70, 170)]),
], ids=["paper", "vignette", "white 0 on black", "white 1 on black", "white = on black"])
def test_pictures_that_are_no_sheet_on_a_desk_are_left_alone(picture):
    assert sheet_found(picture()) is None
