"""The drawing canvas's Python side, without a browser: strokes in, answer out (tests/test_browser.py draws)."""

from __future__ import annotations

import datetime
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from browser.digits import arc, layout_strokes, line, place

from digitnet.reading import read_image
from digitnet.widgets import (
    CANVAS_SIDE,
    PEN_WIDTH,
    DigitCanvas,
    PhotoPicker,
    rasterise_strokes,
    reading_picture,
    reading_to_result,
)

ROOT = Path(__file__).resolve().parent.parent


class FixedClassifier:
    """Answers `digit` for every image and remembers the pixels it was given."""

    def __init__(self, digit: int = 7, not_digit: float = 0.0):
        self.digit, self.not_digit, self.seen = digit, not_digit, []

    def run(self, images):
        self.seen.append(np.array(images))
        probabilities = np.full((len(images), 10), 0.01, np.float32)
        probabilities[:, self.digit] = 0.91
        return {"probabilities": probabilities, "classes": np.full(len(images), self.digit, np.int64),
                "not_digit": np.full(len(images), self.not_digit, np.float32)}


def test_rasterise_draws_dark_round_strokes_on_white_at_the_canvas_resolution():
    image = rasterise_strokes([[(40, 140), (240, 140)]])
    pixels = np.asarray(image)
    assert image.mode == "L" and image.size == (CANVAS_SIDE, CANVAS_SIDE)
    assert pixels[140, 140] == 0 and pixels[20, 20] == 255
    column = pixels[:, 140]
    assert abs(int(np.sum(column < 128)) - PEN_WIDTH) <= 2  # as wide as the pen
    assert pixels[140, 40 - int(PEN_WIDTH / 2) + 2] == 0  # a round cap reaches past the end point


def test_a_single_point_is_a_dot_and_bad_points_are_skipped():
    pixels = np.asarray(rasterise_strokes([[(100, 100)], [(float("nan"), 5), (200, 200)]]))
    assert pixels[100, 100] == 0 and pixels[200, 200] == 0
    assert np.sum(pixels < 128) < 2 * 3.2 * PEN_WIDTH**2  # two dots, nothing else


def test_a_stroke_becomes_the_answer_the_model_gives():
    classifier = FixedClassifier(7)
    canvas = DigitCanvas(classifier)
    reading = canvas.draw(layout_strokes(7))
    assert reading.ok and reading.answer == "7" and canvas.result["answer"] == "7"
    assert canvas.result["sequence"] == 1 and canvas.result["ok"]
    (digit,) = canvas.result["digits"]
    assert digit["digit"] == 7 and len(digit["probabilities"]) == 10
    assert digit["image"].startswith("data:image/png;base64,")
    # Exactly the preparation and reading `predict` uses, on the rasterised canvas.
    assert_read_as_predict_reads(classifier, layout_strokes(7))


def assert_read_as_predict_reads(classifier: FixedClassifier, strokes) -> None:
    reference = FixedClassifier(classifier.digit, classifier.not_digit)
    expected = read_image(reference, reading_picture(strokes), name="<canvas>")
    assert len(classifier.seen) >= len(reference.seen) and expected.answer
    for seen, wanted in zip(classifier.seen[-len(reference.seen):], reference.seen, strict=True):
        np.testing.assert_array_equal(seen, wanted)


def test_several_strokes_are_read_together():
    classifier = FixedClassifier(4)
    canvas = DigitCanvas(classifier)
    strokes = layout_strokes(4)
    assert len(strokes) == 2
    canvas.draw(strokes[:1])
    canvas.draw(strokes)
    assert canvas.result["sequence"] == 2 and canvas.result["answer"] == "4"
    assert_read_as_predict_reads(classifier, strokes)


def test_a_decimal_number_drawn_with_its_point_close_to_a_digit_keeps_the_point():
    """"1.5" as a person draws it in the canvas: a stroke, a tap just right of it at the baseline, a 5."""
    one, tap = [(40, 90), (40, 190)], [(70, 185)]
    five = [(150, 90), (105, 90), (102, 135), (140, 130), (150, 160), (135, 190), (100, 185)]
    canvas = DigitCanvas(FixedClassifier(5))
    canvas.draw([one, tap, five])
    assert canvas.result["answer"] == "5.5" and len(canvas.result["digits"]) == 2  # the stand-in reads every digit 5
    canvas.draw([one, five])
    assert canvas.result["answer"] == "55"


def test_a_date_a_negative_number_and_a_time_drawn_keep_their_marks():
    """"5/5", "-5" and "5:5" drawn in the canvas (with the pen's width): the slash leans far more than the digits."""
    five = [(0, 0), (-45, 0), (-48, 45), (-10, 40), (0, 70), (-15, 100), (-50, 95)]  # right end of its top bar at 0
    placed = lambda left: [(left + x, 90 + y) for x, y in five]  # noqa: E731 - a 5 whose bar ends at `left`
    canvas = DigitCanvas(FixedClassifier(5))
    canvas.draw([placed(70), [(155, 80), (105, 200)], placed(240)])
    assert canvas.result["answer"] == "5/5" and len(canvas.result["digits"]) == 2
    canvas.draw([[(20, 140), (70, 140)], placed(180)])
    assert canvas.result["answer"] == "-5" and len(canvas.result["digits"]) == 1
    canvas.draw([placed(70), [(130, 120)], [(130, 170)], placed(240)])  # two taps, one above the other
    assert canvas.result["answer"] == "5:5" and len(canvas.result["digits"]) == 2


def test_a_plus_a_percent_sign_and_a_second_line_drawn():
    """"+5" and "5%" keep their signs; a 5 drawn under another 5, or two digits under two, close, is refused as a
    second line, not read as one digit squeezed from both."""
    five = [(0, 0), (-45, 0), (-48, 45), (-10, 40), (0, 70), (-15, 100), (-50, 95)]
    placed = lambda left, top=90: [(left + x, top + y) for x, y in five]  # noqa: E731
    loop = lambda x, y: [(x + 17 * np.cos(a), y + 17 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 17)]  # noqa: E731
    canvas = DigitCanvas(FixedClassifier(5))
    canvas.draw([[(20, 140), (70, 140)], [(45, 115), (45, 165)], placed(180)])
    assert canvas.result["answer"] == "+5" and len(canvas.result["digits"]) == 1
    canvas.draw([placed(60), [(230, 60), (120, 230)], loop(130, 90), loop(220, 200)])
    assert canvas.result["answer"] == "5%" and len(canvas.result["digits"]) == 1
    # small loops, their holes almost filled by the pen, the first drawn close to the 0 before it
    canvas.draw([*place(5, 20, 90, 90), *place(0, 95, 90, 90), line((260, 85), (175, 195)), loop(190, 108),
                 loop(245, 172)])
    assert canvas.result["answer"] == "55%"  # the stand-in reads every digit 5
    canvas.draw([placed(150, 20), placed(150, 160)])
    assert canvas.result["answer"].startswith("more than one line of writing") and not canvas.result["ok"]
    # "55" above "55", the rows so close that the pen's width leaves a gap of 9 px (0.08 of a row) between them
    canvas.draw([placed(80, 20), placed(150, 20), placed(80, 148), placed(150, 148)])
    assert canvas.result["answer"].startswith("more than one line of writing")


def test_a_digit_drawn_against_the_canvas_edge_is_writing_not_a_shadow():
    """In a photo a mark lying along the border is a shadow and left out; the canvas's edge cuts nothing off."""
    canvas = DigitCanvas(FixedClassifier(5))  # the stand-in reads every glyph as a sure 5
    five = place(5, 60, 90, 110)
    for strokes in ([line((2, 70), (2, 210)), *five], [*five, line((278, 70), (278, 210))]):  # a 1 at either edge
        canvas.draw(strokes)
        assert canvas.result["answer"] == "55"
    picture = reading_picture([[(0, 0), (CANVAS_SIDE, CANVAS_SIDE)]])
    margin = (picture.size[0] - CANVAS_SIDE) // 2
    assert margin >= PEN_WIDTH and picture.size == (CANVAS_SIDE + 2 * margin,) * 2
    pixels = np.asarray(picture)
    assert (pixels[:margin] == 255).all() and (pixels[:, -margin:] == 255).all() and pixels[margin + 1, margin + 1] == 0


def test_a_digit_drawn_too_small_for_the_pen_is_refused_not_guessed():
    """Drawn 30 px tall with the 16 px pen a 7 is a blob (the network read it as a sure 8): refused with advice,
    whatever the network says; drawn larger it is read."""
    canvas = DigitCanvas(FixedClassifier(7))
    canvas.draw(place(7, 20, 20, 30))
    assert canvas.result["answer"] == "the writing is too small for the width of its strokes: write it larger, " \
        "or with a finer pen" and not canvas.result["ok"]
    canvas.draw(place(7, 20, 20, 70))
    assert canvas.result["answer"] == "7"


def test_a_small_mark_high_on_the_line_is_no_digit_but_a_small_digit_on_it_is():
    """"25°": the degree sign, a small circle up by the top of the digits, read as a 0 made the number "250"."""
    canvas = DigitCanvas(FixedClassifier(5))  # the stand-in reads every glyph as a sure 5, the circle too
    degree = arc(250, 100, 18, 18, 0, 360)
    canvas.draw([*place(5, 30, 80, 120), *place(5, 125, 80, 120), degree])
    assert canvas.result["answer"] == ("does not look like a number: it has a small mark high up, as a degree sign, "
                                       "a quotation mark or an exponent has")
    canvas.draw([*place(5, 30, 80, 120), *place(5, 125, 80, 120), *place(5, 228, 150, 50)])  # small, on the line
    assert canvas.result["answer"] == "555"


def test_brackets_drawn_round_a_number_are_no_digits_but_a_tall_straight_one_is():
    """"(5)" drawn: curved strokes taller than the 5, reaching past it above and below, bowing away from it, are
    brackets, not 1s (a network reads a bracket alone as a sure 1); a straight stroke as tall is a digit."""
    opening, closing = arc(80, 140, 35, 70, 120, 240), arc(210, 140, 35, 70, -60, 60)
    five = place(5, 95, 90, 100)
    canvas = DigitCanvas(FixedClassifier(5))  # the stand-in reads every glyph as a sure 5, a bracket too
    canvas.draw([opening, *five, closing])
    assert canvas.result["answer"] == "does not look like a number: its first and last marks look like brackets"
    canvas.draw([*five, closing])
    assert canvas.result["answer"] == "does not look like a number: its last mark looks like a bracket"
    canvas.draw([*five, line((190, 70), (190, 210))])  # as tall, as far past the 5, but straight
    assert canvas.result["answer"] == "55"
    canvas.draw([*five, arc(210, 140, 35, 55, -60, 60)])  # bowed, but no taller than the 5: a narrow digit
    assert canvas.result["answer"] == "55"


def test_an_empty_canvas_has_no_answer_and_clear_empties_it():
    classifier = FixedClassifier()
    canvas = DigitCanvas(classifier)
    assert canvas.result["answer"] == "" and canvas.reading is None
    canvas.draw(layout_strokes(1))
    assert canvas.result["answer"] == "7"
    canvas.clear()
    assert (canvas.result["answer"], canvas.result["digits"], canvas.result["empty"]) == ("", [], True)
    assert canvas.result["sequence"] == 2
    assert canvas.reading is None and len(classifier.seen) == 1  # an empty canvas never reaches the model


def test_a_refusal_shows_its_reason():
    canvas = DigitCanvas(FixedClassifier(3, not_digit=0.9))
    canvas.draw([[(10, 10), (270, 270)], [(10, 270), (270, 10)], [(140, 5), (140, 275)]])
    assert not canvas.result["ok"] and not canvas.result["empty"] and canvas.result["digits"] == []
    assert canvas.result["answer"] and canvas.result["answer"] == canvas.reading.refusal  # read_image's reason


def test_malformed_strokes_from_the_front_end_are_dropped():
    canvas = DigitCanvas(FixedClassifier(2))
    canvas.drawing = {"sequence": 5, "strokes": [[["x", 1], [None]], "junk", [[60, 60], [200, 220]]]}
    assert canvas.result["sequence"] == 5 and canvas.result["answer"] == "2"


def test_an_error_is_shown_in_the_widget_not_lost_in_the_kernel():
    class Broken:
        def run(self, images):
            raise RuntimeError("session closed")

    canvas = DigitCanvas(Broken())
    canvas.draw(layout_strokes(0))
    assert canvas.result["answer"] == "error: RuntimeError: session closed"


def test_reading_to_result_of_nothing_is_empty():
    assert reading_to_result(None, 3) == {"sequence": 3, "ok": False, "empty": True, "answer": "",
                                          "refusal": None, "digits": [], "seconds": 0.0}


def test_a_model_folder_or_none_opens_the_saved_model_and_close_closes_it(tmp_path, monkeypatch, trained_export):
    export_dir = trained_export[0]
    canvas = DigitCanvas(str(export_dir))
    assert canvas.draw(layout_strokes(3)) is not None and canvas.result["answer"]  # read or refused, by this model
    canvas.close()
    assert canvas._classifier is None
    shutil.copytree(export_dir, tmp_path / "SavedModel" / "4")
    monkeypatch.chdir(tmp_path)
    latest = DigitCanvas()  # None: the latest SavedModel/<N> here
    assert Path(latest._classifier.export_dir) == Path("SavedModel") / "4"
    latest.close()
    picker = PhotoPicker(str(export_dir))
    picker.close()
    assert picker._classifier is None
    with pytest.raises(TypeError):
        DigitCanvas(42)


def chosen(name: str, content: bytes) -> dict:
    """One file as ipywidgets' FileUpload gives it to Python once a person has chosen it."""
    return {"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
            "last_modified": datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)}


def png_of(strokes) -> bytes:
    buffer = io.BytesIO()
    rasterise_strokes(strokes).save(buffer, format="PNG")
    return buffer.getvalue()


def test_photos_chosen_are_read_as_predict_reads_the_files(tmp_path):
    classifier = FixedClassifier(7)
    picker = PhotoPicker(classifier)
    seven, number = png_of(layout_strokes(7)), png_of(place(2, 20, 80, 100) + place(6, 110, 80, 100))
    picker.chooser.value = (chosen("my_seven.png", seven), chosen("year.png", number),
                            chosen("notes.png", b"not a picture"))
    assert [reading.answer for reading in picker.readings[:2]] == ["7", "77"]  # the fixed model reads every digit 7
    refused = picker.readings[2]  # refused as predict refuses such a file, under its own name
    assert refused.source == "notes.png" and refused.refusal == "not an image (or a format Pillow cannot read)"
    (tmp_path / "my_seven.png").write_bytes(seven)
    as_file = read_image(classifier, tmp_path / "my_seven.png")
    assert np.array_equal(picker.readings[0].digits[0].pixels, as_file.digits[0].pixels)  # the same preparation
    shown = picker.answers.value
    assert "digitnet-readings" in shown and all(name in shown for name in ("my_seven.png", "year.png", "notes.png"))
    assert "<b style='font-size:1.3em'>77</b>" in shown
    picker.chooser.value = ()
    assert picker.readings == [] and picker.answers.value == ""
    assert "open the notebook in JupyterLab" in repr(picker)


def test_an_error_reading_a_photo_is_shown_under_the_button():
    class Broken:
        def run(self, images):
            raise RuntimeError("session closed")

    picker = PhotoPicker(Broken())
    picker.chooser.value = (chosen("seven.png", png_of(layout_strokes(7))),)
    assert "error: RuntimeError: session closed" in picker.answers.value


def test_the_front_end_ships_inside_the_package():
    for name in ("widget.js", "widget.css"):
        assert (ROOT / "digitnet" / name).stat().st_size > 0
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\n' in pyproject and 'digitnet = ["widget.js", "widget.css"]' in pyproject
    script = (ROOT / "digitnet" / "widget.js").read_text()
    assert "http://" not in script and "https://" not in script and "import " not in script  # nothing fetched
    assert all(name in script for name in ("digitnet-canvas", "digitnet-answer", "digitnet-clear"))
