"""Finding the ink and the glyphs of a line of writing: faint pencil, hairlines, parts of one digit,
several digits, a decimal point, specks. Every image is drawn here (no MNIST, no yardstick)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_images import reference, similarity  # noqa: F401 - reference is a fixture

from digitnet.errors import DigitnetError
from digitnet.images import analyse, prepare_image
from digitnet.images.segment import find_glyphs


def paper_photo(draw, size=(800, 600), paper=228.0, noise=3.0, seed=0, contrast=60.0) -> Image.Image:
    """A grey photo of paper with `draw(ImageDraw)` strokes on it, `contrast` grey levels darker than the
    paper, a little noise and shading."""
    canvas = Image.new("L", size, 255)
    draw(ImageDraw.Draw(canvas))
    ink = 1.0 - np.asarray(canvas, np.float32) / 255.0
    rng = np.random.default_rng(seed)
    columns = np.linspace(0.9, 1.0, size[0])[None, :]
    gray = paper * columns * (1 - ink) + ink * (paper - contrast) + rng.normal(0, noise, ink.shape)
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))


def glyph_boxes(image: Image.Image) -> list[tuple[int, int, int, int, str]]:
    """(top, bottom, left, right, separator) of each glyph: separator "" for writing, else the sign ("." "," ":"
    "-" "/" "+" "%")."""
    found = analyse(image, "test")
    return [(*g.box, g.separator) for g in find_glyphs(found.ink_pixels, found.smoothed, "test")]


def test_faint_thin_pencil_is_ink_not_blank(reference):  # noqa: F811 - the fixture
    # a pencil stroke 60 grey levels lighter than the paper, 2 px wide on an 800 px photo
    photo = paper_photo(lambda pen: pen.line([(300, 150), (500, 150), (360, 450)], fill=0, width=2))
    assert similarity(prepare_image(photo).pixels, reference) > 0.85


def test_a_fainter_pencil_line_on_a_large_photo_is_found_at_more_detail(reference):  # noqa: F811
    # 40 grey levels lighter than the paper, 2 px wide on a 1280 px photo: averaged into the 320 px working
    # copy it is lost in the noise, and the second look at twice the detail finds it
    def seven(pen):
        pen.line([(500, 250), (780, 250), (580, 700)], fill=0, width=2)
    photo = paper_photo(seven, size=(1280, 960), contrast=40.0)
    found = analyse(photo, "faint")
    assert max(found.working_image.size) == 640
    assert similarity(prepare_image(photo).pixels, reference) > 0.85
    # the same noise with no line stays blank at both looks
    with pytest.raises(DigitnetError, match="no digit found"):
        analyse(paper_photo(lambda pen: None, size=(1280, 960), contrast=40.0), "paper")


def test_an_empty_page_with_noise_is_blank():
    with pytest.raises(DigitnetError, match="no digit found"):
        prepare_image(paper_photo(lambda pen: None, noise=5.0))


def test_a_hairline_keeps_its_digit_together():
    # a "0" of two thick arcs joined only by hairlines at top and bottom, as a fountain pen writes it
    def zero(pen):
        pen.arc([300, 100, 500, 500], 100, 260, fill=0, width=22)
        pen.arc([300, 100, 500, 500], 280, 80, fill=0, width=22)
        pen.arc([300, 100, 500, 500], 0, 360, fill=0, width=1)
    boxes = glyph_boxes(paper_photo(zero))
    assert len(boxes) == 1
    top, bottom, left, right, _ = boxes[0]
    assert right - left > 0.4 * (bottom - top)  # both arcs (the 0 is half as wide as tall; one arc, a quarter)


@pytest.mark.parametrize("parts", ["five with a lifted bar", "open four", "crossed seven", "broken stroke"])
def test_the_parts_of_one_digit_are_one_glyph(parts):
    def draw(pen):
        if parts == "five with a lifted bar":
            pen.line([(330, 150), (320, 280)], fill=0, width=10)
            pen.arc([300, 250, 460, 440], -120, 140, fill=0, width=10)
            pen.line([(345, 140), (460, 140)], fill=0, width=10)  # drawn separately, with a gap
        elif parts == "open four":
            pen.line([(360, 150), (320, 330), (470, 330)], fill=0, width=10)
            pen.line([(430, 230), (420, 450)], fill=0, width=10)  # the stem, apart from the rest
        elif parts == "crossed seven":
            pen.line([(300, 150), (470, 150), (360, 450)], fill=0, width=10)
            pen.line([(350, 300), (440, 300)], fill=0, width=10)
            pen.rectangle([395, 285, 420, 320], fill=255)  # the bar does not touch the stem
        else:
            pen.line([(400, 120), (380, 480)], fill=0, width=10)
            pen.rectangle([370, 290, 420, 300], fill=255)  # a pencil skipping for a moment
    assert len(glyph_boxes(paper_photo(draw))) == 1


def test_a_dot_right_beside_a_digit_is_a_point_and_a_flat_dash_there_part_of_the_digit():
    """A decimal point drawn close to the digit before it ("1.5" in the canvas) is no part of that digit, as a
    much shorter mark standing right against a digit otherwise is (an open 4's stroke); a 1's base cut off by a
    pencil's gap is flat, and stays with its 1."""
    def one_and_five(mark):
        def draw(pen):
            pen.line([(150, 150), (150, 400)], fill=0, width=14)  # 1
            mark(pen)
            pen.line([(380, 150), (270, 150), (265, 260), (360, 255), (375, 330), (330, 400), (262, 390)], fill=0,
                     width=14, joint="curve")  # 5
        return draw

    dot = glyph_boxes(paper_photo(one_and_five(lambda pen: pen.ellipse([178, 384, 196, 402], fill=0))))
    assert [separator for *_, separator in dot] == ["", ".", ""]
    dash = glyph_boxes(paper_photo(one_and_five(lambda pen: pen.line([(170, 396), (215, 396)], fill=0, width=8))))
    assert len(dash) == 2 and not any(separator for *_, separator in dash)


def test_a_dash_close_to_a_digit_and_a_slash_between_digits_are_no_digits_but_slanted_writing_is():
    """A dash drawn so close to a 7 that it reaches into the 7's box, and a slash, are separators ("7-1/1");
    in writing that slants as a whole, a slanted 1 is a 1."""
    def date(pen):
        pen.line([(100, 150), (210, 150), (130, 400)], fill=0, width=12)  # 7
        pen.line([(200, 275), (260, 275)], fill=0, width=12)  # a dash, under the 7's bar
        pen.line([(300, 150), (300, 400)], fill=0, width=12)  # 1
        pen.line([(460, 140), (340, 410)], fill=0, width=12)  # a slash leaning 0.44 a row
        pen.line([(500, 150), (500, 400)], fill=0, width=12)  # 1
    assert [separator for *_, separator in glyph_boxes(paper_photo(date))] == ["", "-", "", "/", ""]

    def slanted(pen):  # "717" leaning 0.44 a row, as a whole
        for left in (100, 400):
            pen.line([(left + 110, 150), (left + 190, 150), (left + 80, 400)], fill=0, width=12)  # 7
        pen.line([(420, 150), (310, 400)], fill=0, width=12)  # 1
    assert [separator for *_, separator in glyph_boxes(paper_photo(slanted))] == ["", "", ""]


@pytest.mark.parametrize("touching", [False, True])
def test_a_percent_sign_and_a_plus_are_signs_but_a_two_a_four_and_a_crossed_seven_are_writing(touching):
    """"+7%": a small cross halfway up is a plus, and a slash with a small loop above it on the left and one
    below it on the right a percent sign, whether the loops stand apart from the slash or touch it. A 2 has a
    straight stroke leaning the same way, a 4 and a crossed 7 a bar across a stem: none is a sign."""
    def draw(pen):
        pen.line([(60, 275), (140, 275)], fill=0, width=12)  # plus: its bar ...
        pen.line([(100, 235), (100, 315)], fill=0, width=12)  # ... and its stem
        pen.line([(200, 150), (310, 150), (230, 400)], fill=0, width=12)  # 7
        closer = 25 if touching else 0  # touching: each loop just reaches the slash
        pen.line([(560, 150), (400, 400)], fill=0, width=12)  # the percent sign's slash
        pen.ellipse([400 + closer, 150, 480 + closer, 230], outline=0, width=12)  # its loops
        pen.ellipse([480 - closer, 320, 560 - closer, 400], outline=0, width=12)
    assert [separator for *_, separator in glyph_boxes(paper_photo(draw))] == ["+", "", "%"]

    def writing(pen):
        pen.arc([100, 150, 220, 270], 180, 20, fill=0, width=12)  # a 2: a hook, a straight stroke, a base
        pen.line([(213, 232), (100, 400), (230, 400)], fill=0, width=12)
        pen.line([(300, 150), (270, 300), (380, 300)], fill=0, width=12)  # a 4
        pen.line([(350, 220), (350, 400)], fill=0, width=12)
        pen.line([(450, 150), (560, 150), (480, 400)], fill=0, width=12)  # a crossed 7
        pen.line([(480, 280), (550, 280)], fill=0, width=12)
    assert [separator for *_, separator in glyph_boxes(paper_photo(writing))] == ["", "", ""]


def test_typed_proportions_a_big_point_a_comma_below_the_line_and_a_loop_close_to_a_digit():
    """Typed text has larger signs than handwriting: a full stop a quarter of the digits' height and more, a
    comma whose tail hangs below the digits, and a percent sign with loops 0.63 of their height set close to
    the digit before it. Each is a sign, and no part of its neighbour ("7.1", "1,1", "7%")."""
    def point(pen):
        pen.line([(100, 150), (200, 150), (130, 350)], fill=0, width=24)  # 7, 200 tall
        pen.rectangle([235, 295, 290, 350], fill=0)  # a point 55 px (0.28 of the digits) square
        pen.line([(340, 150), (340, 350)], fill=0, width=24)  # 1
    assert [separator for *_, separator in glyph_boxes(paper_photo(point))] == ["", ".", ""]

    def comma(pen):
        pen.line([(340, 150), (340, 350)], fill=0, width=24)  # 1
        pen.polygon([(368, 300), (410, 300), (395, 390), (375, 390)], fill=0)  # a comma 90 tall, 40 below the line
        pen.line([(450, 150), (450, 350)], fill=0, width=24)  # 1
    assert [separator for *_, separator in glyph_boxes(paper_photo(comma))] == ["", ",", ""]

    def percent(pen):
        pen.line([(100, 150), (200, 150), (130, 350)], fill=0, width=24)  # 7
        pen.ellipse([215, 150, 300, 275], outline=0, width=20)  # a loop 0.63 of the line, 15 px from the 7's bar
        pen.line([(380, 150), (250, 350)], fill=0, width=20)  # the slash
        pen.ellipse([330, 225, 415, 350], outline=0, width=20)
    assert [separator for *_, separator in glyph_boxes(paper_photo(percent))] == ["", "%"]


def test_a_tilde_is_no_dash_and_a_dot_halfway_up_no_plus():
    """A tilde is as flat as a dash, but wavy: "~7" is not "-7". A dot halfway up (an italic colon's upper dot, its
    lower one joined to the digit before) is round and filled, no plus."""
    def tilde(pen):
        wave = [(100 + x, 275 - 22 * np.sin(2 * np.pi * x / 110)) for x in range(0, 111, 5)]
        pen.line(wave, fill=0, width=12, joint="curve")  # 110 wide, its middle 22 px off a straight line
        pen.line([(250, 150), (360, 150), (280, 400)], fill=0, width=12)  # 7
    assert "-" not in [separator for *_, separator in glyph_boxes(paper_photo(tilde))]

    def dot(pen):
        pen.line([(150, 150), (150, 400)], fill=0, width=12)  # 1
        pen.ellipse([235, 255, 265, 285], fill=0)  # a dot 30 px across, halfway up
        pen.line([(350, 150), (350, 400)], fill=0, width=12)  # 1
    assert "+" not in [separator for *_, separator in glyph_boxes(paper_photo(dot))]


def test_an_underline_is_no_part_of_the_digits_it_underlines():
    """A line drawn under a 7, a little apart from it, would join it as one glyph that reads as a 1 with a base;
    under a number it spans several digits. It is left out, and the digits keep their own boxes."""
    def seven(pen):
        pen.line([(200, 150), (330, 150), (240, 400)], fill=0, width=12)  # 7
        pen.line([(170, 425), (370, 423)], fill=0, width=10)  # the underline, 20 px below it
    assert [box[:4] for box in glyph_boxes(paper_photo(seven))] == [box[:4] for box in glyph_boxes(paper_photo(
        lambda pen: pen.line([(200, 150), (330, 150), (240, 400)], fill=0, width=12)))]

    def number(pen):
        for left in (150, 350):
            pen.line([(left, 150), (left, 400)], fill=0, width=12)  # 1
        pen.line([(100, 430), (420, 430)], fill=0, width=10)
    boxes = glyph_boxes(paper_photo(number))
    assert len(boxes) == 2 and all(bottom < 0.75 * 420 for _, bottom, *_ in boxes)  # working pixels: 600 -> 320


@pytest.mark.parametrize("gap", [60, 150])
def test_two_lines_of_writing_are_refused(gap):
    """Digits written under digits, close (the two lines' marks overlap, one glyph) or apart (the second line is
    beyond the first's reach): reading one line would be a guess, squeezing both into one digit a wrong answer."""
    def draw(pen):
        for top in (60, 60 + 150 + gap):
            pen.line([(200, top), (300, top), (230, top + 150)], fill=0, width=12)  # 7
            pen.line([(380, top), (380, top + 150)], fill=0, width=12)  # 1
    with pytest.raises(DigitnetError, match="more than one line of writing"):
        glyph_boxes(paper_photo(draw))


def test_a_number_photographed_on_its_side_is_refused_not_read_as_one_digit():
    """Its digits lie in a column of rows each wider than tall, one glyph (they overlap across), each row less than
    a quarter of the whole: a sideways "6873" read as one sure 8."""
    def draw(pen):
        for top in (60, 150, 240, 330):
            pen.ellipse([300, top, 420, top + 70], outline=0, width=10)
    with pytest.raises(DigitnetError, match="more than one line of writing"):
        glyph_boxes(paper_photo(draw))


def test_a_pencil_stroke_broken_in_three_is_one_glyph():
    """Narrow rows are a stroke's fragments, not lines of writing, however many."""
    def draw(pen):
        for top in (100, 190, 280):
            pen.line([(400, top), (400, top + 80)], fill=0, width=10)
    assert len(glyph_boxes(paper_photo(draw))) == 1


def test_a_number_with_gaps_is_its_digits_left_to_right_and_a_point_is_no_digit():
    def draw(pen):
        pen.line([(150, 150), (150, 400)], fill=0, width=12)  # 1
        pen.ellipse([240, 385, 256, 401], fill=0)  # a decimal point on the baseline
        pen.line([(300, 150), (420, 150), (330, 400)], fill=0, width=12)  # 7
        pen.ellipse([480, 150, 620, 400], outline=0, width=12)  # 0
    boxes = glyph_boxes(paper_photo(draw))
    assert [separator for *_, separator in boxes] == ["", ".", "", ""]
    lefts = [left for _, _, left, _, _ in boxes]
    assert lefts == sorted(lefts)


def test_specks_and_a_far_mark_are_not_glyphs():
    def draw(pen):
        pen.line([(300, 150), (470, 150), (360, 450)], fill=0, width=12)
        for x, y in [(50, 50), (700, 520), (120, 500), (650, 80)]:
            pen.point((x, y), fill=0)
        pen.ellipse([740, 20, 760, 40], fill=0)  # a blot in the far corner
    assert len(glyph_boxes(paper_photo(draw))) == 1


def test_lined_paper_lines_are_not_ink():
    def draw(pen):
        for y in range(40, 600, 60):
            pen.line([(0, y), (800, y)], fill=0, width=2)  # ruled lines across the page
        pen.line([(300, 150), (470, 150), (360, 450)], fill=0, width=6)
    boxes = glyph_boxes(paper_photo(draw))
    assert len(boxes) == 1
    top, bottom, left, right, _ = boxes[0]
    assert right - left < 0.4 * 320  # the 7 alone, not a line across the working copy (320 px wide)


def test_touching_digits_stay_one_glyph():
    # cutting them apart needs the classifier (digitnet.touching); the segmenter keeps them together
    def draw(pen):
        for left in (150, 330, 510):
            pen.ellipse([left, 150, left + 190, 450], outline=0, width=16)
    boxes = glyph_boxes(paper_photo(draw))
    assert len(boxes) == 1
    top, bottom, left, right, _ = boxes[0]
    assert right - left > 1.5 * (bottom - top)  # the three 0s, side by side


def shadowed(draw, seed=0) -> Image.Image:
    """`paper_photo` with a soft shadow darkening the paper along the right edge, beside the writing."""
    photo = np.asarray(paper_photo(draw, seed=seed), np.float32)
    rows, columns = np.mgrid[0:600, 0:800]
    shade = np.clip((columns - 740) / 60.0, 0, 1) * ((rows > 130) & (rows < 470))
    return Image.fromarray(np.clip(photo - 110.0 * shade, 0, 255).astype(np.uint8))


def test_a_shadow_along_the_edge_is_no_glyph_but_writing_cut_by_the_edge_is():
    def zero(pen):
        pen.ellipse([250, 150, 420, 450], outline=0, width=8)
    boxes = glyph_boxes(shadowed(zero))
    assert len(boxes) == 1 and boxes[0][3] < 500  # the 0 alone, no "1" beside it

    def one_and_cropped_seven(pen):  # the 7's bar runs off the right edge: cropped tightly, still writing
        pen.line([(450, 150), (450, 450)], fill=0, width=8)
        pen.line([(640, 150), (800, 150)], fill=0, width=8)
        pen.line([(790, 150), (690, 450)], fill=0, width=8)
    photo = paper_photo(one_and_cropped_seven)
    boxes = glyph_boxes(photo)
    assert len(boxes) == 2 and boxes[1][3] == analyse(photo, "test").ink_pixels.shape[1]  # at the border


def test_writing_that_touches_a_shadow_along_the_edge_is_not_left_out_with_it():
    # a shadow along the top edge of the right half, too narrow for the paper's closing, counts as ink; the
    # second 1 is written up into it, so it is one mark with it, which alone would be dropped as a shadow
    def two_ones(pen):
        pen.line([(300, 150), (300, 450)], fill=0, width=8)
        pen.line([(560, 10), (560, 450)], fill=0, width=8)
    photo = np.asarray(paper_photo(two_ones, contrast=100.0), np.float32)
    rows, columns = np.mgrid[0:600, 0:800]
    shade = np.clip((30 - rows) / 10.0, 0, 1) * np.clip((columns - 380) / 40.0, 0, 1)
    boxes = glyph_boxes(Image.fromarray(np.clip(photo - 120.0 * shade, 0, 255).astype(np.uint8)))
    assert len(boxes) == 2
    # the second 1 alone (the working copy is a third of the photo's size), from the shadow down to its foot
    top, bottom, left, right, _ = boxes[1]
    assert right - left < 10 and top < 25 and bottom == 1 + 450 // 3
