"""Reading decisions and the JSON contract, with a stand-in classifier whose answers the test controls
(the real network is trained on MNIST, which tests do not have); cuts between touching digits."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageDraw

from digitnet import reading, runs
from digitnet.images.loops import frame_of, marks_in_one_loop
from digitnet.images.signs import lean_and_straightness
from digitnet.touching import best_chain, cut_paths, opposite_ones


class Answers:
    """A classifier that answers by the shape of what it is shown: a narrow stroke is a 1, a wide
    glyph is not a digit, anything else the digit it was told (the decision logic is under test)."""

    def __init__(self, other_digit=7, not_digit=0.0, confidence=0.99):
        self.other_digit, self.not_digit, self.confidence = other_digit, not_digit, confidence

    def run(self, pixels: np.ndarray) -> dict:
        results = {"probabilities": [], "classes": [], "not_digit": []}
        for image in pixels.reshape(-1, 28, 28):
            columns = np.flatnonzero(image.max(axis=0) > 0.3)
            width = columns[-1] - columns[0] + 1 if columns.size else 0
            digit, not_digit = (1, 0.0) if width <= 8 else (self.other_digit, self.not_digit)
            probabilities = np.full(10, (1 - self.confidence) / 9, np.float32)
            probabilities[digit] = self.confidence
            results["probabilities"].append(probabilities)
            results["classes"].append(digit)
            results["not_digit"].append(not_digit)
        return {key: np.asarray(value) for key, value in results.items()}


def drawing(strokes, size=(400, 300)) -> Image.Image:
    image = Image.new("L", size, 255)
    pen = ImageDraw.Draw(image)
    for points in strokes:
        pen.line(points, fill=0, width=14)
    return image


SEVEN = [(120, 60), (250, 60), (150, 240)]


def test_a_confident_digit_is_read_with_the_json_contract():
    result = reading.read_image(Answers(other_digit=7), drawing([SEVEN]), name="seven.png")
    assert result.ok and result.number == "7" and result.summary() == "seven.png: 7 (99.0%)"
    answer = result.to_json()
    assert set(answer) == {"path", "digit", "confidence", "probabilities", "number"}
    assert answer["digit"] == 7 and answer["number"] == "7" and len(answer["probabilities"]) == 10
    x0, y0, x1, y1 = result.digits[0].box  # in the file's pixels
    assert 100 <= x0 < 130 and 240 < x1 < 270 and 40 <= y0 < 70 and 235 < y1 < 260


def test_not_a_digit_is_refused_with_a_reason():
    result = reading.read_image(Answers(not_digit=0.9), drawing([SEVEN]), name="star.png")
    assert not result.ok and "does not look like a digit" in result.refusal and "90%" in result.refusal
    assert result.to_json() == {"path": "star.png", "error": result.refusal}
    assert result.candidates and not result.digits  # what it was, shown in the notebook
    assert "touch" not in result.refusal  # taller than wide: no advice about digits that touch

    # as wide as digits written in a row, touching: the refusal says what to do
    zigzag = [(60, 200), (120, 100), (180, 200), (240, 100), (300, 200), (340, 100)]
    wide = reading.read_image(Answers(not_digit=0.9), drawing([zigzag]), name="zigzag.png")
    assert wide.refusal == ("does not look like a digit (90% sure it is something else): "
                            "if it is digits that touch, write them a little apart")
    beside = [(x + 300, y) for x, y in zigzag]
    two = reading.read_image(Answers(not_digit=0.9), drawing([SEVEN, beside], size=(700, 300)), name="two.png")
    assert two.refusal == ("none of its 2 marks looks like a digit: "
                           "if one is digits that touch, write them a little apart")


def test_a_number_refused_for_one_mark_names_that_mark_and_what_it_looked_like():
    """A person told only "1 of the 3 marks" could not know which to write again."""
    one, seven, one_again = [(60, 60), (60, 240)], [(130, 60), (240, 60), (150, 240)], [(320, 60), (320, 240)]
    result = reading.read_image(Answers(not_digit=0.9), drawing([one, seven, one_again]), name="1x1.png")
    assert result.refusal == ("the 2nd of its 3 marks from the left does not look like a digit "
                              "(90% sure it is something else)")
    assert [reading._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd", "111th"]
    # a sure digit among the strays is one too wide for a digit that no cut parted: said so, not "at best an 8"
    marks = result.candidates
    assert marks[1].is_digit is False and marks[0].is_digit and marks[2].is_digit
    assert reading._marks_not_digits(marks, [marks[0]]) == (
        "the 1st of its 3 marks from the left is too wide for one digit, and could not be cut into digits")


def test_an_unsure_digit_is_refused_too():
    result = reading.read_image(Answers(confidence=0.5), drawing([SEVEN]), name="scrawl.png")
    assert not result.ok and "at best a 7" in result.refusal
    # a sure 7 that the model also finds 30% like something else: not "30% sure it is something else" alone
    doubtful = reading.read_image(Answers(not_digit=0.3), drawing([SEVEN]), name="doubtful.png")
    assert doubtful.refusal == "does not look enough like a digit (at best a 7, but 30% sure it is something else)"


def test_a_blank_image_says_no_digit_found():
    result = reading.read_image(Answers(), Image.new("L", (300, 300), 255), name="blank.png")
    assert not result.ok and result.refusal.startswith("no digit found")


def test_several_digits_are_a_number_with_boxes_left_to_right():
    one = [(60, 60), (60, 240)]
    seven = [(130, 60), (240, 60), (150, 240)]
    one_again = [(320, 60), (320, 240)]
    result = reading.read_image(Answers(other_digit=7), drawing([one, seven, one_again]), name="171.png")
    assert result.ok and result.number == "171"
    answer = result.to_json()
    assert set(answer) == {"path", "number", "digits"} and "digit" not in answer
    assert [d["digit"] for d in answer["digits"]] == [1, 7, 1]
    lefts = [d["box"][0] for d in answer["digits"]]
    assert lefts == sorted(lefts)
    assert result.summary() == "171.png: 171 (digits 1 7 1, lowest confidence 99.0%)"


def test_a_point_or_comma_between_digits_is_kept_in_the_number_and_a_full_stop_is_not():
    """ "1.7" and "1,7" keep the mark they were written with; a point after the last digit ends the number."""
    one, seven = [(60, 60), (60, 240)], [(160, 60), (270, 60), (180, 240)]

    def with_mark(draw_mark) -> Image.Image:
        image = drawing([one, seven])
        draw_mark(ImageDraw.Draw(image))
        return image

    for draw_mark, text in ((lambda pen: pen.ellipse([100, 228, 114, 242], fill=0), "1.7"),  # a dot on the line
                            (lambda pen: pen.line([(110, 226), (111, 238), (101, 254)], fill=0, width=7), "1,7")):
        result = reading.read_image(Answers(other_digit=7), with_mark(draw_mark), name="n.png")
        assert result.ok and result.number == text and [d.digit for d in result.digits] == [1, 7]
        assert result.to_json()["number"] == text and [d["digit"] for d in result.to_json()["digits"]] == [1, 7]
        assert result.summary() == f"n.png: {text} (digits 1 7, lowest confidence 99.0%)"
    full_stop = with_mark(lambda pen: pen.ellipse([300, 228, 314, 242], fill=0))
    assert reading.read_image(Answers(other_digit=7), full_stop, name="s.png").number == "17"


def test_a_dash_slash_or_colon_between_digits_is_kept_and_a_minus_before_them_too():
    """A range or an ISO date ("7-7"), a minus ("-7"), a date or a fraction ("7/1"), a time ("7:1"): the mark
    that is no digit stays in the number as written; a dash after the last digit is no part of it."""
    seven, one = [(60, 60), (140, 60), (80, 240)], [(300, 60), (300, 240)]
    dash = lambda left: [(left, 150), (left + 50, 150)]  # noqa: E731 - short flat strokes halfway up
    slash = [(280, 40), (160, 260)]  # leaning 0.55 columns a row, far more than the digits
    cases = (([seven, dash(190), [(270, 60), (350, 60), (290, 240)]], "7-7"), ([dash(20), [(100, 60), (180, 60),
             (120, 240)]], "-7"), ([seven, slash, one], "7/1"), ([seven, dash(190)], "7"))
    for strokes, text in cases:
        result = reading.read_image(Answers(other_digit=7), drawing(strokes), name="n.png")
        assert result.ok and result.number == text, (text, result.number, result.refusal)
        assert [d.digit for d in result.digits] == [int(c) for c in text if c.isdigit()]
    time = drawing([seven, one])  # "7:1": two dots, one above the other
    for top in (100, 190):
        ImageDraw.Draw(time).ellipse([213, top, 229, top + 16], fill=0)
    assert reading.read_image(Answers(other_digit=7), time, name="n.png").number == "7:1"
    upright_one = [seven, [(220, 40), (220, 260)], one]  # the same stroke upright is a 1
    assert reading.read_image(Answers(other_digit=7), drawing(upright_one), name="n.png").number == "711"


def test_a_plus_before_the_digits_and_a_percent_sign_after_them_are_kept():
    """A phone number's "+7", a share's "71%": the sign stays in the number; a percent sign alone is no digit."""
    plus = [[(20, 150), (70, 150)], [(45, 125), (45, 175)]]  # a small cross halfway up
    seven, one = [(100, 60), (180, 60), (120, 240)], [(240, 60), (240, 240)]
    percent = [[(380, 60), (290, 240)], [(285, 60, 325, 110)], [(345, 190, 385, 240)]]  # a slash, two loops

    def draw(strokes) -> Image.Image:
        image = Image.new("L", (400, 300), 255)
        pen = ImageDraw.Draw(image)
        for points in strokes:
            if len(points) == 1:
                pen.ellipse(points[0], outline=0, width=10)
            else:
                pen.line(points, fill=0, width=10)
        return image

    for strokes, text in (([*plus, seven], "+7"), ([seven, one, *percent], "71%")):
        result = reading.read_image(Answers(other_digit=7), draw(strokes), name="n.png")
        assert result.ok and result.number == text, (text, result.number, result.refusal)
        assert [d.digit for d in result.digits] == [int(c) for c in text if c.isdigit()]
        assert result.to_json()["number"] == text
    alone = reading.read_image(Answers(other_digit=7), draw(percent), name="p.png")
    assert alone.refusal == "no digit found: only a percent sign"


def test_a_cut_path_goes_round_the_ink_where_it_can():
    mask = np.zeros((40, 30), dtype=bool)
    mask[:, 8:11] = True  # a stroke on the left
    mask[:, 20:23] = True  # and one on the right
    mask[18:21, 8:23] = True  # joined by a short bridge
    path = cut_paths(mask, [15], reach=6)[0]
    assert ((path >= 11) & (path <= 19)).all()  # between the strokes all the way down
    assert mask[np.arange(40), path.astype(int)].sum() <= 3  # crossing the bridge only
    # found together with cuts whose windows run off either edge, each cut is the one it is alone
    together = cut_paths(mask, [2, 15, 27], reach=6)
    assert together.shape == (3, 40) and (together[1] == path).all()
    assert (together[0] >= 0).all() and (together[2] <= 29).all()
    assert all((together[k] == cut_paths(mask, [centre], 6)[0]).all() for k, centre in enumerate([2, 15, 27]))


def test_touching_ones_are_cut_apart_when_the_pieces_are_surer_digits():
    mask = np.zeros((40, 30), dtype=bool)
    mask[:, 8:11] = True
    mask[:, 20:23] = True
    mask[18:21, 8:23] = True

    class Piece:  # a 1 is a narrow, tall stroke; anything else is not a digit
        def __init__(self, piece):
            width = np.ptp(np.flatnonzero(piece.any(axis=0))) + 1
            height = np.ptp(np.flatnonzero(piece.any(axis=1))) + 1
            one = width <= 8 and height >= 30
            self.digit, self.is_digit, self.score = 1, one, (0.99 if one else 0.05)

    def read(pieces):
        return [Piece(piece) for piece in pieces]

    chain = best_chain(mask, line_height=40, read=read, stroke=3)
    assert len(chain) == 2 and all(piece.is_digit for piece in chain)


class Rings:
    """A classifier that knows only 0: a ring (ink round exactly one hole) is a sure 0, anything else surely
    no digit."""

    def run(self, pixels: np.ndarray) -> dict:
        from scipy import ndimage

        results = {"probabilities": [], "classes": [], "not_digit": []}
        for image in pixels.reshape(-1, 28, 28):
            paper, count = ndimage.label(image <= 0.3)  # 4-connected: a hole is paper away from the border
            border = set(np.unique(np.r_[paper[0], paper[-1], paper[:, 0], paper[:, -1]]))
            holes = [k for k in range(1, count + 1) if k not in border and (paper == k).sum() >= 4]
            ring = len(holes) == 1
            probabilities = np.full(10, 0.01 / 9 if ring else 0.1, np.float32)
            probabilities[0] = 0.99 if ring else 0.1
            results["probabilities"].append(probabilities)
            results["classes"].append(0)
            results["not_digit"].append(0.01 if ring else 0.95)
        return {key: np.asarray(value) for key, value in results.items()}


def rings(boxes, size=(500, 300), width=16) -> Image.Image:
    image = Image.new("L", size, 255)
    pen = ImageDraw.Draw(image)
    for box in boxes:
        pen.ellipse(box, outline=0, width=width)
    return image


def rings_as_wide_as_tall() -> Image.Image:
    """Two tall rings joined by a bar, about as wide as tall: a sure 8 to `Holes`, or touching 0s?"""
    image = rings([(100, 40, 200, 260), (220, 40, 320, 260)])
    ImageDraw.Draw(image).line([(195, 150), (225, 150)], fill=0, width=12)
    return image


def joined_rings() -> Image.Image:
    """Two rings joined by a bar, far wider than tall (a sure 8 to `Holes`): a run the line reader is asked about."""
    image = rings([(100, 75, 200, 225), (220, 75, 320, 225)])
    ImageDraw.Draw(image).line([(195, 150), (225, 150)], fill=0, width=12)
    return image


def test_a_ring_alone_is_read_whole():
    result = reading.read_image(Rings(), rings([(150, 60, 280, 240)]), name="0.png")
    assert result.ok and result.number == "0"


def test_small_loops_along_a_stroke_are_no_number():
    # a flourish: a long stroke with small loops hanging from it, each loop a "0" to this classifier; one
    # wide glyph with no digit beside it is one mark, not a number, and it is no digit
    image = Image.new("L", (500, 300), 255)
    pen = ImageDraw.Draw(image)
    pen.line([(40, 60), (40, 240), (460, 240)], fill=0, width=14)
    for left in (80, 200, 320):
        pen.ellipse((left, 180, left + 70, 240), outline=0, width=12)
    result = reading.read_image(Rings(), image, name="flourish.png")
    assert not result.ok and "does not look like a digit" in result.refusal


def test_a_lone_glyph_that_is_no_digit_and_narrow_is_not_cut():
    # two touching rings stacked (an 8 to the eye, two holes to this classifier): as tall as it is wide
    # at most, so it is one mark that is no digit, not a number
    image = rings([(180, 20, 300, 150), (180, 140, 300, 280)])
    result = reading.read_image(Rings(), image, name="eight.png")
    assert not result.ok


def test_two_touching_rings_alone_are_read_as_a_number():
    # a lone glyph far wider than tall is cut even with no sure digit beside it
    image = rings([(60, 70, 170, 230), (200, 70, 310, 230)])
    ImageDraw.Draw(image).line([(165, 150), (205, 150)], fill=0, width=12)  # joined by a stroke
    result = reading.read_image(Rings(), image, name="00.png")
    assert result.ok and result.number == "00", result.refusal
    assert result.digits[0].box[2] <= result.digits[1].box[0] + 20  # left to right, side by side
    assert result.digits[0].box[0] < 100 and result.digits[1].box[2] > 270


def test_a_lone_wide_glyph_whose_pieces_differ_in_height_is_not_a_number():
    # a big ring joined to a small one: two sure "0"s to this classifier, but the digits of a number are
    # about equally tall, so this is one mark (the whole reads as a "0" to this classifier), not "00"
    image = rings([(40, 40, 200, 260), (230, 170, 310, 250)])
    ImageDraw.Draw(image).line([(195, 210), (235, 210)], fill=0, width=12)
    result = reading.read_image(Rings(), image, name="doodle.png")
    assert result.number != "00" and len(result.candidates) == 1


class Holes:
    """A classifier that counts holes: two are an 8 it is `eight_confidence` sure of, one is a 0 it is
    `ring_confidence` sure of, none surely no digit."""

    def __init__(self, ring_confidence: float, eight_confidence: float = 0.99):
        self.ring_confidence, self.eight_confidence = ring_confidence, eight_confidence

    def run(self, pixels: np.ndarray) -> dict:
        from scipy import ndimage

        results = {"probabilities": [], "classes": [], "not_digit": []}
        for image in pixels.reshape(-1, 28, 28):
            paper, count = ndimage.label(image <= 0.3)
            border = set(np.unique(np.r_[paper[0], paper[-1], paper[:, 0], paper[:, -1]]))
            holes = sum(1 for k in range(1, count + 1) if k not in border and (paper == k).sum() >= 4)
            digit, confidence = {2: (8, self.eight_confidence), 1: (0, self.ring_confidence)}.get(holes, (0, 0.1))
            probabilities = np.full(10, (1 - confidence) / 9, np.float32)
            probabilities[digit] = confidence
            results["probabilities"].append(probabilities)
            results["classes"].append(digit)
            results["not_digit"].append(0.0 if holes in (1, 2) else 0.95)
        return {key: np.asarray(value) for key, value in results.items()}


def test_a_lone_sure_digit_that_also_reads_as_touching_digits_is_refused():
    # two tall rings joined, about as wide as tall: the whole is a sure 8 to this classifier, and cut, two
    # 0s it is only 90% sure of; with nothing beside it the image cannot say whether it is "8" or "00"
    image = rings_as_wide_as_tall()
    result = reading.read_image(Holes(ring_confidence=0.9), image, name="8-or-00.png")
    assert not result.ok and result.refusal == \
        "does not look like one digit: it reads as an 8, but also as touching digits (0 0)"
    # the same cut into two sure 0s is read as the number
    result = reading.read_image(Holes(ring_confidence=0.99), image, name="00.png")
    assert result.ok and result.number == "00", result.refusal
    # and a whole read next to certainly is one digit, whatever its pieces read
    result = reading.read_image(Holes(ring_confidence=0.9, eight_confidence=0.9999), image, name="8.png")
    assert result.ok and result.number == "8", result.refusal


def test_an_only_mark_cut_into_sure_digits_stays_one_digit_when_the_line_reader_spells_one():
    # MNIST's own 6s, 9s and 4s were cut into sure "10", "01" and "41": both networks see one digit there, the
    # classifier in the whole and the line reader (made to read touching digits) in the mark
    image = rings_as_wide_as_tall()
    sure = reading.ONE_DIGIT_SPELLING + 0.03
    for reader in (Spells([8], sure), Spells([0], sure)):  # that digit or another: one digit either way
        result = reading.read_image(with_reader(Holes(ring_confidence=0.99), reader), image, name="8.png")
        assert result.ok and result.number == "8" and reader.lines, result.refusal
    for reader in (Spells([8], reading.ONE_DIGIT_SPELLING - 0.05), Spells([])):  # unsure, or no digit spelled
        result = reading.read_image(with_reader(Holes(ring_confidence=0.99), reader), image, name="00.png")
        assert result.ok and result.number == "00" and reader.lines, result.refusal


def test_in_a_number_a_rather_wide_sure_digit_that_also_reads_as_touching_digits_is_refused():
    # a 0, then two narrow rings joined: the pair reads as a sure 8 to this classifier and, cut, as two 0s it
    # is 90% sure of; 1.35 times as wide as the 0 beside it, it may be an 8 or two touching 0s
    image = rings([(20, 40, 168, 240), (220, 40, 305, 240), (335, 40, 420, 240)], size=(450, 280))
    ImageDraw.Draw(image).line([(300, 140), (340, 140)], fill=0, width=12)
    result = reading.read_image(Holes(ring_confidence=0.9), image, name="08-or-000.png")
    assert not result.ok and result.refusal == ("one of its marks does not look like one digit: it reads as an 8, "
                                                "but also as touching digits (0 0)")
    # a whole read next to certainly is one digit: the number is read
    result = reading.read_image(Holes(ring_confidence=0.9, eight_confidence=0.9999), image, name="08.png")
    assert result.ok and result.number == "08", result.refusal


def test_a_piece_too_wide_for_one_digit_is_cut_even_if_it_reads_as_one():
    mask = np.zeros((40, 60), dtype=bool)
    mask[5:35, 5:27] = True  # two blocks, each about a digit wide, touching
    mask[5:35, 27:55] = True
    mask[:, 26:28] = False
    mask[18:22, 26:28] = True

    class Block:  # everything is a sure 5, whatever its width
        digit, is_digit, score = 5, True, 0.99

    chain = best_chain(mask, line_height=40, read=lambda pieces: [Block() for _ in pieces], stroke=3)
    assert len(chain) == 2


def test_a_lone_glyph_far_too_wide_for_a_digit_that_cannot_be_cut_is_refused():
    # a long flat ring is a sure "0" to this classifier, but no digit is 2.5 times as wide as tall, and no cut
    # gives pieces that are digits: it is refused rather than answered as one digit
    result = reading.read_image(Rings(), rings([(60, 100, 440, 250)]), name="flat.png")
    assert not result.ok and "too wide" in result.refusal


class Eights(Rings):
    """Like `Rings`, but ink round exactly two holes is a sure 8 (as two touching digits often look)."""

    def run(self, pixels: np.ndarray) -> dict:
        from scipy import ndimage

        results = super().run(pixels)
        for index, image in enumerate(pixels.reshape(-1, 28, 28)):
            paper, count = ndimage.label(image <= 0.3)
            border = set(np.unique(np.r_[paper[0], paper[-1], paper[:, 0], paper[:, -1]]))
            if sum(1 for k in range(1, count + 1) if k not in border and (paper == k).sum() >= 4) == 2:
                results["probabilities"][index] = np.full(10, 0.01 / 9, np.float32)
                results["probabilities"][index][8] = 0.99
                results["classes"][index], results["not_digit"][index] = 8, 0.01
        return results


def test_a_sure_digit_about_as_wide_as_tall_that_cuts_into_two_sure_digits_is_a_number():
    # two narrow rings side by side, joined by a stroke: as a whole a sure "8" to this classifier, about as
    # wide as tall (a single digit rarely is), and cut in two, two sure, equally tall "0"s
    touching = rings([(150, 70, 222, 230), (244, 70, 316, 230)])
    ImageDraw.Draw(touching).line([(218, 150), (248, 150)], fill=0, width=12)
    result = reading.read_image(Eights(), touching, name="00.png")
    assert result.ok and result.number == "00", (result.number, result.refusal)
    # the same two rings stacked are one narrow glyph that reads as a sure digit: never cut
    stacked = rings([(180, 20, 280, 150), (180, 146, 280, 276)])
    assert reading.read_image(Eights(), stacked, name="8.png").number == "8"


class NarrowFives:
    """A classifier that reads everything as a 5: ink at most 14 of the 28 columns wide (a piece) 99.9% sure,
    anything wider 90% sure (a cut must be worth its price to beat the glyph left whole)."""

    def run(self, pixels: np.ndarray) -> dict:
        images = pixels.reshape(-1, 28, 28)
        probabilities = np.full((len(images), 10), 0.001 / 9, np.float32)
        for index, image in enumerate(images):
            columns = np.flatnonzero(image.max(axis=0) > 0.3)
            probabilities[index, 5] = 0.999 if columns[-1] - columns[0] + 1 <= 14 else 0.9
        return {"probabilities": probabilities, "classes": np.full(len(images), 5),
                "not_digit": np.zeros(len(images), np.float32)}


def test_an_only_mark_is_not_cut_into_pieces_that_fall_apart():
    # a "Z" as wide as tall: every cut from top to bottom crosses its three strokes, so each piece is two
    # fragments; they read as sure 5s, but the mark is one, read whole
    zee = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(zee).line([(100, 50), (300, 50), (100, 250), (300, 250)], fill=0, width=10, joint="curve")
    result = reading.read_image(NarrowFives(), zee, name="z.png")
    assert result.ok and result.number == "5", (result.number, result.refusal)
    # two narrow rings joined by a bar, as wide: each piece is one ring, whole, and the mark reads as "55"
    pair = Image.new("L", (400, 300), 255)
    pen = ImageDraw.Draw(pair)
    pen.ellipse((100, 50, 195, 250), outline=0, width=10)
    pen.ellipse((205, 50, 300, 250), outline=0, width=10)
    pen.line([(190, 150), (210, 150)], fill=0, width=10)
    assert reading.read_image(NarrowFives(), pair, name="55.png").number == "55"


def test_a_cut_whose_pieces_are_each_half_as_tall_as_the_glyph_is_not_two_digits():
    # beside a sure "0", two rings joined on a slant: a glyph that is no digit (two holes); cut at the joint,
    # it leaves a lower-left and an upper-right ring, each a sure "0" but only half as tall as the glyph: the
    # parts of one slanted mark (as the halves of an 8 are), not digits standing side by side
    image = rings([(40, 80, 130, 240), (170, 150, 250, 250), (270, 60, 350, 160)])
    ImageDraw.Draw(image).line([(242, 172), (278, 138)], fill=0, width=12)  # joined where they meet
    result = reading.read_image(Rings(), image, name="slant.png")
    assert result.number != "000" and not result.ok
    assert result.refusal.startswith("the 2nd of its 2 marks from the left does not look like a digit")


def test_two_joined_digits_beside_one_more_are_cut_though_the_median_width_includes_them():
    # a "0", then two rings joined by a stroke, which this classifier reads as one sure "8": 2.3 times as
    # wide as the other digit, though only 1.4 times the median of the two widths
    image = rings([(40, 70, 120, 230), (170, 70, 250, 230), (270, 70, 350, 230)])
    ImageDraw.Draw(image).line([(245, 150), (275, 150)], fill=0, width=12)
    result = reading.read_image(Eights(), image, name="000.png")
    assert result.ok and result.number == "000", (result.number, result.refusal)


def test_a_round_zero_as_wide_as_tall_is_not_cut():
    # a ring 0.9 times as wide as tall, the whole a sure 0 and its halves fairly sure digits ("6", "7"):
    # a 0 may be that wide, so it stays whole; any other digit that wide is tried as two
    image = Image.new("L", (120, 100), 0)
    ImageDraw.Draw(image).ellipse((7, 5, 97, 95), outline=255, width=8)
    mask = np.asarray(image) > 0

    class Reading:
        def __init__(self, piece, whole_digit):
            columns = np.flatnonzero(piece.any(axis=0))
            whole = columns[-1] - columns[0] + 1 >= 80
            self.digit, self.score = (whole_digit, 0.99) if whole else (6 if columns[0] < 20 else 7, 0.9)
            self.is_digit = True

    for whole_digit, pieces in ((0, 1), (8, 2)):
        def read(found, whole_digit=whole_digit):
            return [Reading(piece, whole_digit) for piece in found]

        chain = best_chain(mask, line_height=91, read=read, stroke=8)
        assert len(chain) == pieces, whole_digit


class Spells:
    """A stand-in line reader that spells `digits`, each `confidence` sure, whatever line it is shown."""

    def __init__(self, digits, confidence=0.95):
        self.digits, self.confidence, self.lines = digits, confidence, []

    def read(self, line: np.ndarray) -> list:
        from digitnet.line_reader import LineDigit

        self.lines.append(line)
        step = (line.shape[1] - 8) / max(len(self.digits), 1)  # the digits share the line between its 4-px margins
        return [LineDigit(digit, self.confidence, np.eye(10, dtype=np.float32)[digit],
                          (round(4 + k * step), round(4 + (k + 1) * step))) for k, digit in enumerate(self.digits)]

    def read_lines(self, lines: list[np.ndarray]) -> list[list]:
        return [self.read(line) for line in lines]


class SpellsByWidth(Spells):
    """A stand-in reader whose spelling depends on how wide the line is: `by_width` maps the factor a line was
    widened by (1.0, then `runs.WIDENINGS`) to (digits, confidence)."""

    def __init__(self, by_width: dict):
        super().__init__([])
        self.by_width = by_width

    def read(self, line: np.ndarray) -> list:
        own = self.lines[0].shape[1] if self.lines else line.shape[1]
        factor = min(self.by_width, key=lambda f: abs((own - 8) * f + 8 - line.shape[1]))
        self.digits, self.confidence = self.by_width[factor]
        return super().read(line)


def unsure_when_widened(digits, confidence):
    """A reader that spells `digits` at every width, `confidence` sure at the line's own width and less than
    `runs.UNANIMOUS_CONFIDENCE` sure widened: not unanimous, so its pieces must still look like its digits."""
    widened = (digits, runs.UNANIMOUS_CONFIDENCE - 0.05)
    return SpellsByWidth({1.0: (digits, confidence), runs.WIDENINGS[0]: widened, runs.WIDENINGS[1]: widened})


def with_reader(classifier, reader):
    classifier.line_reader = reader
    return classifier


def test_the_line_reader_reads_touching_digits_that_cut_pieces_alone_cannot_decide():
    # the joined rings of the "8 or 00" case above: the line reader's spelling decides, and the pieces that
    # read best as its digits give the boxes
    image = joined_rings()
    reader = Spells([0, 0])
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="00.png")
    assert result.ok and result.number == "00", result.refusal
    assert result.digits[0].box[2] <= result.digits[1].box[0] + 20 and result.digits[0].confidence == 0.95
    line = reader.lines[0]  # the run on 28 rows as the reader's lines, RUN_HEIGHT of them inked, centred
    blank = (28 - runs.RUN_HEIGHT) // 2
    assert line.shape[0] == 28 and not line[:blank].any() and not line[-blank:].any()
    assert line[blank].any() and line[blank + runs.RUN_HEIGHT - 1].any()
    assert not line[:, : runs.LINE_MARGIN].any() and not line[:, -runs.LINE_MARGIN :].any()


def test_the_line_reader_is_not_followed_when_unsure_or_unlike_the_pieces():
    image = joined_rings()
    without = reading.read_image(Holes(ring_confidence=0.9), image, name="8-or-00.png").refusal
    for reader in (Spells([0, 0], confidence=runs.RUN_CONFIDENCE - 0.01),  # unsure
                   Spells([6, 9], confidence=runs.SURE_SPELLING - 0.02)):  # pieces nothing like a 6 and a 9
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="8-or-00.png")
        assert result.refusal == without and reader.lines
    # spelled as the one digit the whole reads as, surely, it is that digit: both networks see one 8; spelled as
    # another digit, the mark (far wider than a digit) is still cut
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([8])), image, name="8.png")
    assert result.ok and result.number == "8", result.refusal
    result = reading.read_image(with_reader(Holes(ring_confidence=0.99), Spells([0])), image, name="00.png")
    assert result.ok and result.number == "00", result.refusal


def test_a_surely_spelled_run_is_read_even_when_its_pieces_are_unlike_its_digits():
    # interlocked digits the reader spells surely often have no clean cut: the pieces then only place them
    image = joined_rings()
    reader = Spells([6, 9], confidence=runs.SURE_SPELLING + 0.02)
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="69.png")
    assert result.ok and result.number == "69", result.refusal
    assert result.digits[0].box[2] <= result.digits[1].box[0] + 20  # each digit has its own piece's box


def test_a_sure_long_run_may_have_one_piece_unlike_its_digit():
    # three joined rings, which this classifier reads as 0s when cut apart; a reader that spells "010"
    image = rings([(40, 40, 140, 260), (160, 40, 260, 260), (280, 40, 380, 260)])
    for left, right in ((135, 165), (255, 285)):
        ImageDraw.Draw(image).line([(left, 150), (right, 150)], fill=0, width=12)
    sure = runs.WEAK_PIECE_CONFIDENCE + 0.05
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 1, 0], sure)), image, "010.png")
    assert result.ok and result.number == "010", result.refusal  # one piece is nothing like a 1: allowed
    without = reading.read_image(Holes(ring_confidence=0.9), image, name="010.png")
    for reader in (Spells([0, 1, 0], confidence=runs.WEAK_PIECE_CONFIDENCE - 0.05),  # less sure: not allowed
                   Spells([1, 1, 0], confidence=sure)):  # two pieces unlike their digits
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="010.png")
        assert (result.number, result.refusal) == (without.number, without.refusal) and reader.lines
    # two joined rings spelled "01": too short a run for a piece unlike its digit
    pair = joined_rings()
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 1], sure)), pair, "01.png")
    assert result.number != "01"


def four_joined_rings() -> Image.Image:
    """Four rings joined by bars: no digit as a whole to `Holes`, and 0s it is 90% sure of when cut apart."""
    lefts = (40, 160, 280, 400)
    image = rings([(left, 75, left + 100, 225) for left in lefts], size=(560, 300))
    for left in lefts[1:]:
        ImageDraw.Draw(image).line([(left - 25, 150), (left + 5, 150)], fill=0, width=12)
    return image


def test_a_long_run_spelled_alike_at_every_width_is_read_though_less_sure():
    # a reader spelling "0101" at every width, surely enough at its own width for a run to be read but less
    # surely widened than unanimity asks of a short run: a long run read alike three times over is followed,
    # and its pieces (four 0s to this classifier) only place its digits
    image = four_joined_rings()
    own = (runs.RUN_CONFIDENCE + runs.WEAK_PIECE_CONFIDENCE) / 2  # not sure enough for the pieces to be excused
    widened = runs.LONG_UNANIMOUS_CONFIDENCE + 0.02
    assert widened < min(own, runs.UNANIMOUS_CONFIDENCE)

    def reader(digits=(0, 1, 0, 1), widest=(0, 1, 0, 1), sure_widened=widened):
        return SpellsByWidth({1.0: (list(digits), own), runs.WIDENINGS[0]: (list(digits), sure_widened),
                              runs.WIDENINGS[1]: (list(widest), sure_widened)})

    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader()), image, name="0101.png")
    assert result.ok and result.number == "0101", result.refusal
    without = reading.read_image(Holes(ring_confidence=0.9), image, name="0101.png")
    assert not without.ok
    for unread in (reader(sure_widened=runs.LONG_UNANIMOUS_CONFIDENCE - 0.05),  # too unsure even so
                   reader(widest=(0, 1, 1, 1))):  # the widest reading spells otherwise
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), unread), image, name="0101.png")
        assert (result.number, result.refusal) == (without.number, without.refusal) and unread.lines
    # a shorter run must be as sure at every width as any: three rings spelled "010" so are not read
    three = rings([(40, 75, 140, 225), (160, 75, 260, 225), (280, 75, 380, 225)])
    for left in (160, 280):
        ImageDraw.Draw(three).line([(left - 25, 150), (left + 5, 150)], fill=0, width=12)
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader((0, 1, 0), (0, 1, 0))), three,
                                name="010.png")
    assert result.number != "010"


class NoEights(Holes):
    """Holes, but two holes are surely not a digit: two narrow 0s written close read as no digit at all."""

    def run(self, pixels: np.ndarray) -> dict:
        results = super().run(pixels)
        eights = results["classes"] == 8
        results["not_digit"] = np.where(eights, 0.95, results["not_digit"]).astype(np.float32)
        return results


def test_a_narrow_mark_that_is_no_digit_is_read_as_two_only_when_reader_and_pieces_are_sure():
    # two narrow rings joined, narrower than tall (so never cut on its own): not a digit as a whole
    image = rings([(130, 75, 200, 225), (215, 75, 285, 225)], width=10)
    ImageDraw.Draw(image).line([(195, 150), (220, 150)], fill=0, width=10)
    sure = runs.NARROW_RUN_CONFIDENCE + 0.02
    result = reading.read_image(with_reader(NoEights(ring_confidence=0.9), Spells([0, 0], sure)), image, "00.png")
    assert result.ok and result.number == "00", result.refusal
    for reader in (Spells([0, 0], confidence=runs.NARROW_RUN_CONFIDENCE - 0.05),  # sure enough for a wide run
                   unsure_when_widened([1, 0], sure)):  # a piece unlike its digit
        result = reading.read_image(with_reader(NoEights(ring_confidence=0.9), reader), image, name="00.png")
        assert not result.ok and "does not look like a digit" in result.refusal and reader.lines


def test_a_run_spelled_alike_and_surely_at_every_width_is_read_even_when_its_pieces_are_unlike_its_digits():
    # an interlocked pair ("70", "89") leaves the cut search no clean piece; the reader's unanimity decides
    image = rings([(130, 75, 200, 225), (215, 75, 285, 225)], width=10)
    ImageDraw.Draw(image).line([(195, 150), (220, 150)], fill=0, width=10)
    sure = runs.UNANIMOUS_CONFIDENCE + 0.02
    reader = Spells([1, 0], sure)
    result = reading.read_image(with_reader(NoEights(ring_confidence=0.9), reader), image, name="10.png")
    assert result.ok and result.number == "10", result.refusal
    assert len(reader.lines) == 4  # its own width for the spelling, then all three widths for unanimity
    (_, _, left_end, _), (right_start, _, _, _) = (digit.box for digit in result.digits)
    assert left_end <= right_start  # each digit still has its own piece
    for reader in (unsure_when_widened([1, 0], sure),
                   SpellsByWidth({1.0: ([1, 0], sure), runs.WIDENINGS[0]: ([1, 0], sure),
                                  runs.WIDENINGS[1]: ([1, 1], sure)})):  # the widest reading spells otherwise
        result = reading.read_image(with_reader(NoEights(ring_confidence=0.9), reader), image, name="00.png")
        assert not result.ok and "does not look like a digit" in result.refusal


def test_a_run_is_spelled_as_two_of_its_readings_at_three_widths_agree():
    image = joined_rings()
    wider, widest = runs.WIDENINGS
    without = reading.read_image(Holes(ring_confidence=0.9), image, name="8-or-00.png")
    # at its own width the reader sees one digit; widened, both readings agree on two
    reader = SpellsByWidth({1.0: ([8], 0.95), wider: ([0, 0], 0.8), widest: ([0, 0], 0.9)})
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="00.png")
    assert result.ok and result.number == "00" and result.digits[0].confidence == 0.9, result.refusal
    assert [line.shape[1] for line in reader.lines[:3]] == sorted(line.shape[1] for line in reader.lines[:3])
    # all three differ: no spelling is followed
    reader = SpellsByWidth({1.0: ([8], 0.95), wider: ([0, 0], 0.9), widest: ([0, 1], 0.9)})
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="8-or-00.png")
    assert (result.number, result.refusal) == (without.number, without.refusal) and len(reader.lines) == 3
    # own width and the first widening agree: the widest reading is not made
    reader = SpellsByWidth({1.0: ([0, 0], 0.9), wider: ([0, 0], 0.8), widest: ([1, 1], 0.99)})
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="00.png")
    assert result.number == "00" and len(reader.lines) == 2


def test_a_sure_spelling_its_own_width_does_not_read_must_still_have_pieces_like_its_digits():
    image = joined_rings()
    wider, widest = runs.WIDENINGS
    sure = runs.SURE_SPELLING + 0.05
    without = reading.read_image(Holes(ring_confidence=0.9), image, name="8-or-00.png")
    # both widened readings surely spell "69", whose pieces (rings) are nothing like a 6 and a 9
    for own, expected in ((([6, 9], sure), "69"), (([8], 0.95), without.number)):
        reader = SpellsByWidth({1.0: own, wider: ([6, 9], sure), widest: ([6, 9], sure)})
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="69.png")
        assert result.number == expected, (own, result.refusal)


def test_a_mark_too_narrow_to_cut_is_read_at_its_own_width_only():
    image = rings([(130, 75, 200, 225), (215, 75, 285, 225)], width=10)
    ImageDraw.Draw(image).line([(195, 150), (220, 150)], fill=0, width=10)
    sure = runs.NARROW_RUN_CONFIDENCE + 0.02
    reader = SpellsByWidth({1.0: ([0, 0], 0.8), runs.WIDENINGS[0]: ([0, 0], sure), runs.WIDENINGS[1]: ([0, 0], sure)})
    result = reading.read_image(with_reader(NoEights(ring_confidence=0.9), reader), image, name="00.png")
    assert not result.ok and len(reader.lines) == 1


def test_a_sure_spelling_no_cut_can_follow_is_cut_straight_between_the_readers_digits(monkeypatch):
    # "77" joined along the bar may have no candidate cut that gives two pieces: the reader's columns place them
    image = joined_rings()
    monkeypatch.setattr(runs, "spelled_chain", lambda *args: [])
    sure = runs.SURE_SPELLING + 0.05
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 0], sure)), image, "00.png")
    assert result.ok and result.number == "00", result.refusal
    (left, _, left_end, _), (right_start, _, right, _) = (digit.box for digit in result.digits)
    assert left_end <= right_start and abs((left + right) / 2 - (left_end + right_start) / 2) < 20  # cut mid-run
    unsure = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 0], sure - 0.1)), image, "0.png")
    assert unsure.number != "00"


def test_an_only_mark_read_as_a_sure_digit_is_read_as_two_when_reader_and_pieces_are_sure():
    # two tall rings joined by a bar read as one sure 8 (two holes), too narrow to be cut; when it is the
    # image's only mark, the line reader is asked too, as for a mark that is no digit ("13" drawn overlapping)
    def pair(*more):
        image = rings([(130, 25, 200, 275), (215, 25, 285, 275), *more], width=10)
        ImageDraw.Draw(image).line([(195, 150), (220, 150)], fill=0, width=10)
        return image

    sure = runs.NARROW_RUN_CONFIDENCE + 0.02
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 0], sure)), pair(), "00.png")
    assert result.ok and result.number == "00", result.refusal
    for reader in (Spells([0, 0], confidence=runs.NARROW_RUN_CONFIDENCE - 0.05), unsure_when_widened([1, 0], sure)):
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), pair(), name="8.png")
        assert result.ok and result.number == "8" and reader.lines, result.refusal
    # beside another digit it is a sure 8 in a number: the reader is not asked about it
    reader = Spells([0, 0], sure)
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), pair((340, 25, 470, 275)), "80.png")
    assert result.number == "80" and not reader.lines, result.refusal


def test_an_only_mark_as_wide_as_tall_read_as_a_sure_digit_is_two_digits_only_when_spelled_very_surely():
    # two rings joined, about as wide as tall: a sure 8 to this classifier, or "00"? Letters such as M and R
    # spell two digits fairly surely too, so the reader must be LONE_RUN_CONFIDENCE sure of each
    image = rings_as_wide_as_tall()
    sure = runs.LONE_RUN_CONFIDENCE + 0.02
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), Spells([0, 0], sure)), image, "00.png")
    assert result.ok and result.number == "00", result.refusal
    reader = Spells([0, 0], confidence=runs.LONE_RUN_CONFIDENCE - 0.03)  # sure enough for a wider run
    assert runs.LONE_RUN_CONFIDENCE - 0.03 > max(runs.RUN_CONFIDENCE, runs.SURE_SPELLING)
    result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="8.png")
    assert result.number != "00" and reader.lines


def test_an_only_mark_as_wide_as_tall_the_reader_surely_spells_as_digits_is_refused_when_no_pieces_read_so():
    # two rings joined, about as wide as tall: a sure 8 to this classifier, whose cut gives no digits (0s it is
    # only 50% sure of); the line reader spells "00" surely, though not surely enough to be read without pieces.
    # Two digits drawn overlapping read so: the image cannot say whether it is "8" or "00"
    image = rings_as_wide_as_tall()
    sure = reading.LONE_SPELLING + 0.03
    assert sure < runs.LONE_RUN_CONFIDENCE
    result = reading.read_image(with_reader(Holes(ring_confidence=0.5), Spells([0, 0], sure)), image, "8-or-00.png")
    assert not result.ok and result.refusal == \
        "does not look like one digit: it reads as an 8, but also as touching digits (0 0)"
    # spelled less surely, or as one digit, it is the 8 the classifier reads
    for reader in (Spells([0, 0], reading.LONE_SPELLING - 0.05), Spells([8], sure)):
        result = reading.read_image(with_reader(Holes(ring_confidence=0.5), reader), image, name="8.png")
        assert result.ok and result.number == "8" and reader.lines, result.refusal
    # and a whole read next to certainly is one digit, unless the reader spells the mark as surely as a lone run
    # is read and only its pieces fail (two digits without holes cannot be two rings)
    classifier = with_reader(Holes(ring_confidence=0.5, eight_confidence=0.9999), Spells([0, 0], sure))
    assert reading.read_image(classifier, image, name="8.png").number == "8"
    classifier = with_reader(Holes(ring_confidence=0.5, eight_confidence=0.9999),
                             Spells([5, 5], runs.LONE_RUN_CONFIDENCE + 0.01))
    assert reading.read_image(classifier, image, name="8-or-55.png").refusal == \
        "does not look like one digit: it reads as an 8, but also as touching digits (5 5)"


def coil(loops: int) -> Image.Image:
    """Rings in a row, each overlapping the next by half: a scribble of loops, one wide mark."""
    return rings([(40 + 60 * k, 90, 160 + 60 * k, 210) for k in range(loops)], size=(120 + 60 * loops, 300), width=10)


def test_enclosed_areas_are_counted_as_a_reader_of_digits_would():
    def mask(image):
        ink = np.asarray(image) < 128
        rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        return ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]

    assert runs.enclosed_areas(mask(rings([(50, 50, 150, 150)]))) == 1
    assert runs.enclosed_areas(mask(joined_rings())) == 2
    assert runs.enclosed_areas(mask(coil(2))) == 3  # two overlapping rings: left, lens, right
    assert runs.enclosed_areas(mask(coil(5))) >= 9  # its neighbours cut each ring into three areas or more
    speck = np.ones((9, 9), bool)
    speck[4, 4] = False  # one enclosed pixel: a gap between ink pixels, not an area
    assert runs.enclosed_areas(speck) == 0


def test_a_run_enclosing_more_areas_than_its_digits_can_is_not_read_as_them():
    # a coil of loops spelled "00" surely: five loops overlapping enclose far more than two 0s touching can
    sure = runs.SURE_SPELLING + 0.05
    for image, expected in ((joined_rings(), True), (coil(5), False)):
        reader = Spells([0, 0], sure)
        result = reading.read_image(with_reader(Holes(ring_confidence=0.9), reader), image, name="loops.png")
        assert (result.number == "00") == expected and reader.lines, result.refusal


class Strokes(Answers):
    """Reads a straight stroke, however it leans, as a sure 1, and anything else as not a digit."""

    def run(self, pixels: np.ndarray) -> dict:
        results = super().run(pixels)
        for index, image in enumerate(pixels.reshape(-1, 28, 28)):
            straight = lean_and_straightness(image > 0.3)[1] >= 4.0
            results["probabilities"][index] = np.where(np.arange(10) == 1, 0.99, 0.01 / 9) if straight else 0.1
            results["not_digit"][index] = 0.0 if straight else 0.99
        return results


def test_strokes_leaning_opposite_ways_are_a_v_not_two_ones():
    # a V and a zigzag wider than tall: cut at their points, each part is a straight stroke that reads as a sure
    # 1, but they lean left and right in turn, as no 1s written side by side do ("11" and "11111" before)
    vee = reading.read_image(Strokes(), drawing([[(60, 60), (170, 240), (280, 60)]], (340, 300)), name="v.png")
    zigzag = [(30, 240), (90, 60), (150, 240), (210, 60), (270, 240), (330, 60)]
    zigzag = reading.read_image(Strokes(), drawing([zigzag], (360, 300)), name="zigzag.png")
    assert not vee.ok and not zigzag.ok and "does not look like a digit" in vee.refusal + zigzag.refusal

    def stroke(lean: float, digit: int = 1) -> SimpleNamespace:
        image = Image.new("L", (28, 28), 0)
        ImageDraw.Draw(image).line([(14 - 8 * lean, 22), (14 + 8 * lean, 6)], fill=255, width=3)
        return SimpleNamespace(digit=digit, pixels=np.asarray(image, np.float32).reshape(-1) / 255)

    assert opposite_ones([stroke(0.4), stroke(-0.4)]) and opposite_ones([stroke(0.0), stroke(0.3), stroke(-0.3)])
    assert not opposite_ones([stroke(0.3), stroke(0.1)])  # 1s leaning alike, as written in a row
    assert not opposite_ones([stroke(0.4), stroke(-0.4, digit=7)])  # only 1s: a 7's stem leans too


def face(eyes=((-30, -25), (30, -25)), mouth=True) -> Image.Image:
    """A ring with dots (and a smile) inside: a face, which a network that knows a ring reads as a sure 0."""
    image = rings([(150, 50, 330, 250)])
    pen = ImageDraw.Draw(image)
    for dx, dy in eyes:
        pen.ellipse((240 + dx - 8, 150 + dy - 8, 240 + dx + 8, 150 + dy + 8), fill=0)
    if mouth:
        pen.arc((190, 120, 290, 210), 30, 150, fill=0, width=10)
    return image


def test_marks_drawn_inside_a_loop_are_a_drawing_not_a_zero():
    zeros = Answers(other_digit=0)  # as the network: the face's circle is a sure 0
    for drawn, marks in ((face(), 3), (face(mouth=False), 2)):
        result = reading.read_image(zeros, drawn, name="face.png")  # before: "0", 99% sure
        assert not result.ok and f"{marks} separate marks inside one loop" in result.refusal
    # one mark inside a ring (a dotted zero) is still the ring's digit
    assert reading.read_image(zeros, face(eyes=((0, 0),), mouth=False), name="0.png").number == "0"
    # a bold 8 whose ink mask is its outline: a ring holding the rings round its two loops
    outlined_eight = np.zeros((64, 36), bool)
    outlined_eight[[0, -1], :] = outlined_eight[:, [0, -1]] = True
    for top in (8, 36):
        outlined_eight[top : top + 20, 8:28] = True
        outlined_eight[top + 2 : top + 18, 10:26] = False
    assert marks_in_one_loop(outlined_eight) == 0
    outlined_eight[12:18, 14:20] = outlined_eight[42:48, 14:20] = True  # a blot inside each loop
    assert marks_in_one_loop(outlined_eight) == 1


class RingsAndStrokes(Rings):
    """A narrow stroke is a sure 1, a ring a sure 0 (as the network reads a circle round a digit), anything
    else surely no digit."""

    def run(self, pixels: np.ndarray) -> dict:
        results = Rings.run(self, pixels)
        ones = Answers().run(pixels)
        for index in np.flatnonzero(ones["classes"] == 1):
            for key in results:
                results[key][index] = ones[key][index]
        return results


def framed(strokes, frame: str, size=(400, 300)) -> Image.Image:
    """Strokes (width 14) in a box or a circle round the middle of the image."""
    image = drawing(strokes, size)
    box = (60, 30, size[0] - 60, size[1] - 30)
    pen = ImageDraw.Draw(image)
    (pen.rectangle if frame == "box" else pen.ellipse)(box, outline=0, width=12)
    return image


def test_a_digit_or_a_number_written_in_a_box_or_a_circle_is_read_without_the_frame():
    one, eleven = [[(200, 80), (200, 220)]], [[(170, 80), (170, 220)], [(230, 80), (230, 220)]]
    for frame in ("box", "circle"):
        assert reading.read_image(RingsAndStrokes(), framed(one, frame), name="1.png").number == "1"
        assert reading.read_image(RingsAndStrokes(), framed(eleven, frame), name="11.png").number == "11"
    # the circle alone, or with a dot in it (too small to be what is written), is the 0 it reads as
    assert reading.read_image(RingsAndStrokes(), framed([], "circle"), name="0.png").number == "0"
    dotted = framed([[(195, 145), (205, 155)]], "circle")
    assert reading.read_image(RingsAndStrokes(), dotted, name="0.png").number == "0"
    # a face is framed too, but what is inside reads as no digit: still refused as a drawing
    assert "inside one loop" in reading.read_image(RingsAndStrokes(), face(), name="face.png").refusal
    # and when its nose reads as a 1, the eyes that finding the writing inside leaves out (above its line) keep
    # it a drawing ("1" before)
    nosed = face(mouth=False)
    ImageDraw.Draw(nosed).line([(240, 140), (240, 215)], fill=0, width=12)
    assert "inside one loop" in reading.read_image(RingsAndStrokes(), nosed, name="face.png").refusal


def test_a_frame_holds_all_the_other_marks_one_of_them_without_a_loop():
    ring_in_ring = np.zeros((40, 40), bool)
    ring_in_ring[[0, -1], :] = ring_in_ring[:, [0, -1]] = True
    ring_in_ring[8:32, 8:32] = True
    ring_in_ring[10:30, 10:30] = False
    assert frame_of(ring_in_ring) is None  # an outlined 0 (its mask a ring in a ring) is no frame
    stroke_in_ring = ring_in_ring.copy()
    stroke_in_ring[8:32, 8:32] = False
    stroke_in_ring[8:32, 19:21] = True
    frame = frame_of(stroke_in_ring)
    assert frame is not None and frame[0].all() and not frame[8:32, 19:21].any()
    stroke_in_ring[8:32, 19:21] = False
    stroke_in_ring[18:22, 19:21] = True  # too short to be what is written: a speck in a 0
    assert frame_of(stroke_in_ring) is None
    outside = np.pad(stroke_in_ring, ((0, 0), (0, 6)))
    outside[10:30, 43:45] = True
    assert frame_of(outside) is None  # a mark outside the loop: no frame round the writing


class CircledZeros(Holes):
    """Counts holes as `Holes` does, except that a mark about as wide as tall with two or more holes is a sure 0:
    as the network reads a circle with anything inside it."""

    def __init__(self):
        super().__init__(ring_confidence=0.99)

    def run(self, pixels: np.ndarray) -> dict:
        from scipy import ndimage

        results = super().run(pixels)
        for index, image in enumerate(pixels.reshape(-1, 28, 28)):
            rows, columns = np.flatnonzero(image.max(axis=1) > 0.3), np.flatnonzero(image.max(axis=0) > 0.3)
            paper, count = ndimage.label(image <= 0.3)
            if np.ptp(columns) >= 0.9 * np.ptp(rows) and count >= 3:  # the outside and two holes or more
                results["probabilities"][index] = np.where(np.arange(10) == 0, 0.99, 0.01 / 9)
                results["classes"][index], results["not_digit"][index] = 0, 0.0
        return results


def test_rings_in_a_box_or_a_circle_are_read_when_the_whole_is_refused_or_read_as_a_zero():
    eight = [(215, 90, 265, 145), (210, 145, 270, 210)]  # two stacked rings: an 8 to `Holes`
    for frame in ("box", "circle"):
        drawn = framed([], frame)
        pen = ImageDraw.Draw(drawn)
        for box in eight:
            pen.ellipse(box, outline=0, width=10)
        # the whole reads as a sure 0 (before: "0"); what the frame holds, all rings, reads as the 8 it is
        assert reading.read_image(CircledZeros(), drawn, name="8.png").number == "8"
        assert reading.read_image(Holes(ring_confidence=0.99), drawn, name="8.png").number == "8"  # whole refused


def test_a_wide_digit_is_read_when_the_line_reader_spells_it_as_that_digit_alone():
    """A mark wider than a digit can be that reads as one sure digit and cannot be cut is refused as too wide
    (touching digits more often look so), unless the line reader, which reads touching digits, sees that digit
    alone, surely: MNIST's own wide 2s, 3s and 5s were refused so."""
    def wide_mark() -> Image.Image:
        image = Image.new("L", (500, 300), 255)
        pen = ImageDraw.Draw(image)
        pen.arc([80, 80, 420, 160], 180, 360, fill=0, width=14)
        pen.arc([80, 120, 420, 220], 0, 180, fill=0, width=14)
        return image

    too_wide = "does not look like one digit (too wide for one, and it could not be cut into digits)"
    assert reading.read_image(Answers(other_digit=3), wide_mark(), name="w.png").refusal == too_wide
    read = reading.read_image(with_reader(Answers(other_digit=3), Spells([3])), wide_mark(), name="w.png")
    assert read.ok and read.number == "3"
    for reader in (Spells([3], confidence=reading.ONE_DIGIT_SPELLING - 0.05), Spells([5])):  # unsure, or another digit
        assert reading.read_image(with_reader(Answers(other_digit=3), reader), wide_mark(), name="w.png").refusal \
            == too_wide
