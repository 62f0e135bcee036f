"""Read a person's image: one digit, a whole number, or a refusal with a reason a person understands.

`read_image` prepares the image (`digitnet.images`), classifies what it found with a SavedModel and
decides: the digit; the digits of a number, left to right; or why it will not answer ("no digit found",
"does not look like a digit"). The CLI's ``predict``, the notebooks and the drawing widget all read
through here, so they answer the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from digitnet.errors import DigitnetError
from digitnet.images import CANVAS_SIZE, prepare_image

# A model with the "not a digit" output refuses an image whose not-a-digit probability is above this.
NOT_DIGIT_THRESHOLD = 0.5


@dataclass
class DigitReading:
    """One digit found in an image.

    Attributes:
        digit: 0-9.
        confidence: the digit's probability (0-1).
        probabilities: float32 [10], over the ten digits.
        not_digit: the model's probability that this is not a digit at all (0 for a model without it).
        box: (x0, y0, x1, y1) in pixels of the image as opened (EXIF-rotated), right/bottom exclusive.
        pixels: float32 [784] in [0, 1]: the 28x28 the model saw.
    """

    digit: int
    confidence: float
    probabilities: np.ndarray
    not_digit: float
    box: tuple[int, int, int, int]
    pixels: np.ndarray

    @property
    def digit28(self) -> np.ndarray:
        """uint8 [28, 28]: what the model saw, for display."""
        return np.round(self.pixels.reshape(CANVAS_SIZE, CANVAS_SIZE) * 255.0).astype(np.uint8)


@dataclass
class Reading:
    """What was read in one image.

    Attributes:
        source: the file's path as given, or a name such as ``'<canvas>'``.
        digits: left to right; empty when the image was refused.
        refusal: why nothing was read, in words for a person; None when digits were read.
        polarity: "dark-on-light" or "light-on-dark" when the image could be analysed.
        original: the image as analysed (RGB, at most 256 px), for display; None if it could not be opened.
    """

    source: str
    digits: list[DigitReading] = field(default_factory=list)
    refusal: str | None = None
    polarity: str | None = None
    original: Image.Image | None = None

    @property
    def ok(self) -> bool:
        """True when the image was read (a digit or a number), False when it was refused."""
        return self.refusal is None

    @property
    def number(self) -> str:
        """The digits read, as text ("7", "2026"); empty when refused."""
        return "".join(str(item.digit) for item in self.digits)

    @property
    def answer(self) -> str:
        """What a person is told: the digit or number, else the refusal reason."""
        return self.number if self.ok else str(self.refusal)

    def to_json(self) -> dict:
        """The ``predict --json`` object: one digit, several digits, or an error."""
        if not self.ok:
            return {"path": self.source, "error": self.refusal}
        if len(self.digits) == 1:
            only = self.digits[0]
            return {"path": self.source, "digit": only.digit, "confidence": round(only.confidence, 6),
                    "probabilities": [round(float(p), 6) for p in only.probabilities], "number": self.number}
        return {"path": self.source, "number": self.number,
                "digits": [{"digit": d.digit, "confidence": round(d.confidence, 6), "box": list(d.box)}
                           for d in self.digits]}

    def summary(self) -> str:
        """One line: ``path: 7 (99.2%)``, ``path: 2026 (digits 2 0 2 6, lowest confidence 97.1%)``, or
        ``path: refused: reason``."""
        if not self.ok:
            return f"{self.source}: refused: {self.refusal}"
        if len(self.digits) == 1:
            return f"{self.source}: {self.number} ({self.digits[0].confidence:.1%})"
        lowest = min(item.confidence for item in self.digits)
        return f"{self.source}: {self.number} (digits {' '.join(self.number)}, lowest confidence {lowest:.1%})"


def read_image(classifier, source: str | os.PathLike | bytes | Image.Image, name: str | None = None) -> Reading:
    """Read one image with `classifier` (a `digitnet.model.SavedModelClassifier`).

    Every problem with the input (unreadable, blank, not a digit) is a refusal in the Reading, not an
    exception; the reason starts without the file's name (the Reading carries it).
    """
    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<image>")
    try:
        prepared = prepare_image(source, name=label)
    except DigitnetError as error:
        return Reading(label, refusal=_reason(error, label))
    outputs = classifier.run(prepared.pixels[np.newaxis])
    probabilities = outputs["probabilities"][0]
    digit = DigitReading(
        digit=int(np.argmax(probabilities)), confidence=float(probabilities.max()), probabilities=probabilities,
        not_digit=float(outputs["not_digit"][0]), box=(0, 0, *prepared.original.size), pixels=prepared.pixels,
    )
    reading = Reading(label, polarity=prepared.polarity, original=prepared.original)
    if digit.not_digit > NOT_DIGIT_THRESHOLD:
        reading.refusal = f"does not look like a digit ({digit.not_digit:.0%} sure it is not one)"
    else:
        reading.digits = [digit]
    return reading


def read_images(classifier, sources: Iterable[str | os.PathLike]) -> list[Reading]:
    """`read_image` for each source, in order."""
    return [read_image(classifier, source) for source in sources]


def _reason(error: DigitnetError, label: str) -> str:
    """The error's message without the leading ``label: `` (a Reading names its source itself)."""
    text = str(error)
    return text[len(label) + 2 :] if text.startswith(f"{label}: ") else text
