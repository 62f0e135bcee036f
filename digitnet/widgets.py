"""What the notebooks show besides figures: `DigitCanvas`, draw a digit and see it read as you draw;
`PhotoPicker`, choose your own photos and see them read; and `ReadingsTable`, many images' answers at a glance.

    from digitnet.widgets import DigitCanvas, PhotoPicker
    DigitCanvas(model)      # a SavedModelClassifier, a SavedModel folder, or None for the latest SavedModel/<N>
    PhotoPicker(model)      # a "Choose photos" button: each chosen picture read under it

The canvas's front end (``widget.js`` and ``widget.css`` beside this file, loaded from the package through anywidget,
nothing from the network) draws round strokes with mouse, pen or finger. On each pen-up it sends the strokes
as coordinates, not pixels: image transfers such as ``sync_image_data`` hang some front ends, and a few
hundred numbers are far smaller than a PNG. Python rasterises them with Pillow (`reading_picture`) and
reads the picture with `digitnet.reading.read_image`, exactly as ``predict`` reads a photo, then sends back
the answer, the 28x28 the model saw for each digit found and the ten probabilities.

Without a front end (papermill, nbconvert) the widgets are created and displayed as usual and nothing waits
for a drawing or a photo, so a notebook that shows them still runs top to bottom.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import anywidget
import ipywidgets
import numpy as np
import traitlets
from PIL import Image, ImageDraw

from digitnet.answers import Reading
from digitnet.reading import read_image

CANVAS_SIDE = 280  # CSS pixels: ten times MNIST's 28, a comfortable size for a finger or a mouse
# The pen's width in canvas pixels. A digit drawn across most of the canvas (about 200 px tall) is fitted into
# MNIST's 20 px box, so 16 px becomes about 1.6 px there; thinner strokes are thickened by the preparation
# to MNIST's 2.3 px, while thicker ones are kept, which would make small digits blotchy. So the pen errs thin.
PEN_WIDTH = 16.0
CANVAS_NAME = "<canvas>"  # the Reading's source name, as in refusals
MAX_POINTS = 20_000  # more points than anyone draws in one digit: a guard against a runaway front end
ASSET_DIR = Path(__file__).resolve().parent


def rasterise_strokes(strokes: Iterable[Sequence[Sequence[float]]], size: int = CANVAS_SIDE,
                      pen_width: float = PEN_WIDTH) -> Image.Image:
    """Draw strokes as the canvas shows them: dark round strokes on white paper, at the canvas's resolution.

    Args:
        strokes: each stroke a sequence of ``(x, y)`` points in canvas pixels (origin top left); a stroke of
            one point is a dot. Points that are not finite numbers are skipped.
        size: the square canvas's side in pixels.
        pen_width: the stroke's width in pixels.

    Returns:
        A grayscale ("L") PIL image of ``size`` x ``size``: 255 paper, 0 ink.
    """
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    radius = pen_width / 2.0
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y, *_ in stroke if math.isfinite(x) and math.isfinite(y)]
        if len(points) > 1:
            draw.line(points, fill=0, width=max(1, round(pen_width)))
        # A disc at every point gives round caps and joins; Pillow's own "curve" joints leave notches on the
        # short segments that pointer events produce.
        for x, y in points:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image


def reading_picture(strokes: Iterable[Sequence[Sequence[float]]], size: int = CANVAS_SIDE,
                    pen_width: float = PEN_WIDTH) -> Image.Image:
    """The picture a drawing is read from: `rasterise_strokes` with a pen's width of paper round the canvas,
    grayscale ("L"), (size + 2 * ceil(pen_width)) pixels square.

    The canvas's edge cuts nothing off, so it must not be the picture's: in a photo a mark lying along the
    image's border is taken for a shadow or the desk and left out (`digitnet.images.segment`), and a 1 drawn
    against the canvas's left edge beside a 5 was left out so, the drawing read as "5"."""
    margin = math.ceil(pen_width)
    picture = Image.new("L", (size + 2 * margin, size + 2 * margin), 255)
    picture.paste(rasterise_strokes(strokes, size, pen_width), (margin, margin))
    return picture


def _png_data_url(picture: np.ndarray | Image.Image) -> str:
    """A uint8 [h, w] array or a PIL image as a ``data:image/png`` URL (small: thumbnails, 28x28 digits)."""
    buffer = io.BytesIO()
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture, np.uint8), mode="L")
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def reading_to_result(reading: Reading | None, sequence: int = 0, seconds: float = 0.0) -> dict:
    """What the front end shows, as JSON: the answer and, per digit found, the 28x28 and the probabilities.

    `reading` None means an empty canvas: no answer at all (rather than the refusal "the image is blank",
    which would greet a person who has not drawn yet, or has just pressed Clear).
    """
    if reading is None:
        return {"sequence": sequence, "ok": False, "empty": True, "answer": "", "refusal": None, "digits": [],
                "seconds": seconds}
    return {
        "sequence": sequence, "ok": reading.ok, "empty": False, "answer": reading.answer,
        "refusal": reading.refusal, "seconds": seconds,
        "digits": [{"digit": item.digit, "confidence": float(item.confidence),
                    "probabilities": [float(p) for p in np.asarray(item.probabilities, dtype=np.float32)],
                    "image": _png_data_url(item.digit28)} for item in reading.digits],
    }


def _clean_strokes(strokes) -> list[list[tuple[float, float]]]:
    """The front end's strokes as lists of (x, y) floats; anything malformed is dropped, not fatal."""
    cleaned, total = [], 0
    for stroke in strokes if isinstance(strokes, list) else []:
        points = []
        for point in stroke if isinstance(stroke, list) else []:
            try:
                x, y = float(point[0]), float(point[1])
            except (TypeError, ValueError, IndexError):
                continue
            points.append((x, y))
        total += len(points)
        if points and total <= MAX_POINTS:
            cleaned.append(points)
    return cleaned


def _open_classifier(model):
    """(classifier, whether this widget owns it and must close it) for what the caller passed."""
    from digitnet.model import SavedModelClassifier  # imported here: TensorFlow loads only when a model does
    from digitnet.versions import resolve_model_dir

    if isinstance(model, SavedModelClassifier) or hasattr(model, "run"):
        return model, False
    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"a widget needs a SavedModelClassifier, a SavedModel folder or None, not {model!r}")
    return SavedModelClassifier(resolve_model_dir(model if model not in (None, "") else None)), True


def _close_classifier(widget) -> None:
    """Close the classifier a widget opened itself (`_open_classifier`); one passed in stays open."""
    # getattr: ipywidgets also calls close() on garbage collection, even of a widget whose __init__ failed.
    classifier = getattr(widget, "_classifier", None)
    if classifier is not None and getattr(widget, "_owns_classifier", False):
        classifier.close()
    widget._classifier = None


class DigitCanvas(anywidget.AnyWidget):
    """A square canvas: draw a digit (or a number) and see what the model reads, after every stroke.

    Args:
        model: a `digitnet.model.SavedModelClassifier` (kept open: the caller owns it), a SavedModel version
            folder or a folder of numbered versions (opened here, closed by `close`), or None for the latest
            ``SavedModel/<N>``.
        size: the canvas's side in CSS pixels (strokes are rasterised at this resolution).
        pen_width: the stroke width in canvas pixels.

    Attributes:
        reading: the last `digitnet.answers.Reading` (None before the first stroke and after Clear).
    """

    _esm = ASSET_DIR / "widget.js"
    _css = ASSET_DIR / "widget.css"

    size = traitlets.Int(CANVAS_SIDE).tag(sync=True)
    pen_width = traitlets.Float(PEN_WIDTH).tag(sync=True)
    # Front end -> Python on each pen-up and on Clear: {"sequence": n, "strokes": [[[x, y], ...], ...]}. One
    # trait, so the strokes and their number always arrive together.
    drawing = traitlets.Dict({"sequence": 0, "strokes": []}).tag(sync=True)
    # Python -> front end: `reading_to_result` of the drawing with the same sequence number.
    result = traitlets.Dict(reading_to_result(None)).tag(sync=True)

    def __init__(self, model=None, size: int = CANVAS_SIDE, pen_width: float = PEN_WIDTH, **kwargs) -> None:
        self._classifier, self._owns_classifier = _open_classifier(model)
        super().__init__(size=size, pen_width=pen_width, **kwargs)
        self.reading: Reading | None = None
        self.observe(self._on_drawing, names="drawing")

    def __repr__(self) -> str:
        # What a notebook shows where no front end draws the widget (papermill, nbconvert's HTML).
        where = getattr(self._classifier, "export_dir", None) if hasattr(self, "_classifier") else None
        return f"DigitCanvas(model={str(where) if where else '…'}): a drawing canvas; open the notebook in JupyterLab"

    def read_strokes(self, strokes: Iterable[Sequence[Sequence[float]]]) -> Reading | None:
        """Read strokes (canvas pixels) as the front end would have them read; None for an empty canvas."""
        strokes = [list(stroke) for stroke in strokes if len(stroke)]
        if not strokes:
            return None
        return read_image(self._classifier, reading_picture(strokes, self.size, self.pen_width), name=CANVAS_NAME)

    def draw(self, strokes: Iterable[Sequence[Sequence[float]]]) -> Reading | None:
        """Put strokes on the canvas from Python (as if drawn) and read them: handy in scripts and tests."""
        sequence = int(self.drawing.get("sequence", 0)) + 1
        self.drawing = {"sequence": sequence, "strokes": [[list(map(float, p)) for p in s] for s in strokes]}
        return self.reading

    def clear(self) -> None:
        """Empty the canvas, as the Clear button does."""
        self.draw([])

    def _on_drawing(self, change) -> None:
        drawing = change["new"] or {}
        sequence = int(drawing.get("sequence", 0))
        started = time.perf_counter()
        try:
            self.reading = self.read_strokes(_clean_strokes(drawing.get("strokes")))
            result = reading_to_result(self.reading, sequence, time.perf_counter() - started)
        except Exception as error:  # shown in the widget: a front end waiting for an answer must get one
            self.reading = None
            result = {**reading_to_result(None, sequence), "empty": False,
                      "answer": f"error: {type(error).__name__}: {error}", "refusal": str(error)}
        self.result = result

    def close(self) -> None:
        """Close the widget and the model it opened (a model passed in stays open)."""
        _close_classifier(self)
        super().close()


class PhotoPicker(ipywidgets.VBox):
    """A button to choose photos or drawings (on a phone or tablet it can take one with the camera) and, under
    it, each chosen picture read as ``predict`` reads a file, in a `ReadingsTable`.

    The pictures travel from the browser as the files' bytes (ipywidgets' `FileUpload`) and are read with
    `digitnet.reading.read_image`: the same refusals, a number read as a number.

    Args:
        model: as for `DigitCanvas`.

    Attributes:
        readings: the `Reading` of each picture last chosen, in the order chosen.
    """

    def __init__(self, model=None, **kwargs) -> None:
        self._classifier, self._owns_classifier = _open_classifier(model)
        self.chooser = ipywidgets.FileUpload(accept="image/*", multiple=True, description="Choose photos",
                                             icon="camera")
        self.answers = ipywidgets.HTML()
        super().__init__([self.chooser, self.answers], **kwargs)
        self.add_class("digitnet-photos")
        self.readings: list[Reading] = []
        self.chooser.observe(self._on_chosen, names="value")

    def __repr__(self) -> str:
        # What a notebook shows where no front end draws the widget (papermill, nbconvert's HTML).
        return "PhotoPicker: a button to choose your own photos; open the notebook in JupyterLab"

    def read_files(self, files: Iterable[tuple[str, bytes]]) -> list[Reading]:
        """Read (file name, file bytes) pairs as ``predict`` reads files, show the answers and return them."""
        self.readings = [read_image(self._classifier, bytes(content), name=name) for name, content in files]
        self.answers.value = ReadingsTable(self.readings)._repr_html_() if self.readings else ""
        return self.readings

    def _on_chosen(self, change) -> None:
        try:
            self.read_files((item["name"], item["content"]) for item in change["new"] or ())
        except Exception as error:  # shown under the button: an observer's exception would only reach the log
            message = html.escape(f"error: {type(error).__name__}: {error}")
            self.answers.value = f"<span style='color:#b00020'>{message}</span>"

    def close(self) -> None:
        """Close the widget and the model it opened (a model passed in stays open)."""
        _close_classifier(self)
        super().close()


class ReadingsTable:
    """Many images' answers, one row each: the image, a thumbnail of it, the 28x28 the model saw for each
    digit found, the answer (or the refusal's reason) and the confidence; with `truths`, the true digit and
    whether the answer is right. Shown as HTML in a notebook and as plain text elsewhere.

    Args:
        readings: from `digitnet.reading.read_images`.
        truths: the true answer per reading (e.g. from a sample's file name): a digit or a number, or
            "refused" for an image that is not a digit; None where it is not known: that cell stays empty.
    """

    def __init__(self, readings: Sequence[Reading], truths: Sequence[int | str | None] | None = None) -> None:
        self.readings = list(readings)
        self.truths = list(truths) if truths is not None else [None] * len(self.readings)
        self.show_truth = any(truth is not None for truth in self.truths)

    @staticmethod
    def confidence(reading: Reading) -> str:
        """The digit's probability; for a number the lowest of its digits'; empty for a refusal."""
        return f"{min(item.confidence for item in reading.digits):.1%}" if reading.ok else ""

    @staticmethod
    def right(reading: Reading, truth: int | str) -> bool:
        """Whether a reading is the true answer (for "refused", whether the image was refused)."""
        return not reading.ok if str(truth) == "refused" else reading.ok and reading.answer == str(truth)

    def correct(self) -> tuple[int, int]:
        """(right answers, images with a known true answer)."""
        known = [(r, t) for r, t in zip(self.readings, self.truths, strict=True) if t is not None]
        return sum(self.right(r, t) for r, t in known), len(known)

    def _rows(self) -> list[tuple[Reading, str, str]]:
        """Per reading: itself, the true answer as text ("" if unknown) and the mark (✓, ✗ or "")."""
        rows = []
        for reading, truth in zip(self.readings, self.truths, strict=True):
            mark = "" if truth is None else ("✓" if self.right(reading, truth) else "✗")
            rows.append((reading, "" if truth is None else str(truth), mark))
        return rows

    def __repr__(self) -> str:
        width = max([len(Path(r.source).name) for r in self.readings] + [5])
        header = f"{'image':<{width}}  {'answer':<8} {'confidence':>10}" + ("  true" if self.show_truth else "")
        lines = [header]
        for reading, truth, mark in self._rows():
            answer = reading.answer if reading.ok else f"refused: {reading.answer}"
            line = f"{Path(reading.source).name:<{width}}  {answer:<8} {self.confidence(reading):>10}"
            lines.append(line + (f"  {truth} {mark}".rstrip() if self.show_truth else ""))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = ["image", "picture", "what the model saw", "answer", "confidence"] + (["true"] if self.show_truth
                                                                                         else [])
        head = "".join(f"<th style='text-align:left'>{name}</th>" for name in cells)
        rows = []
        for reading, truth, mark in self._rows():
            picture = ""
            if reading.original is not None:
                thumbnail = reading.original.copy()
                thumbnail.thumbnail((56, 56))
                picture = f"<img src='{_png_data_url(thumbnail)}' alt='' style='max-height:56px'>"
            seen = "".join(f"<img src='{_png_data_url(item.digit28)}' alt='{item.digit}' width='42' height='42' "
                           "style='image-rendering:pixelated;background:#000;margin-right:2px'>"
                           for item in (reading.digits or reading.candidates))
            answer = (f"<b style='font-size:1.3em'>{html.escape(reading.answer)}</b>" if reading.ok
                      else f"<span style='color:#b00020'>{html.escape(reading.answer)}</span>")
            values = [html.escape(Path(reading.source).name), picture, seen, answer, self.confidence(reading)]
            values += [f"{truth} {mark}".strip()] if self.show_truth else []
            rows.append("<tr>" + "".join(f"<td style='text-align:left'>{value}</td>" for value in values) + "</tr>")
        return f"<table class='digitnet-readings'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
