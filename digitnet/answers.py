"""What reading an image gives: each digit found (`DigitReading`) and the image's `Reading`, its digit, its number
or why it was refused, with the forms `predict` prints (one line, or JSON) and the notebooks and canvas show.

`digitnet.reading` decides what an image is read as; this module only holds the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from digitnet.images.fit import CANVAS_SIZE

# A glyph is a digit when the model is at most this sure it is not one ...
NOT_DIGIT_LIMIT = 0.2
# ... and at least this sure which digit it is. Both chosen on MNIST's validation digits and the training
# code's own negatives (about 1% of validation digits refused), never on the yardstick.
CONFIDENCE_FLOOR = 0.7


@dataclass
class DigitReading:
    """One digit found in an image.

    Attributes:
        digit: 0-9.
        confidence: the digit's probability (0-1).
        probabilities: float32 [10], over the ten digits.
        not_digit: the model's probability that this is not a digit at all (0 for a model without it).
        box: (x0, y0, x1, y1) in the file's pixels (after EXIF rotation), right/bottom exclusive.
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

    @property
    def score(self) -> float:
        """How surely this is this one digit: its probability times the chance it is a digit at all."""
        return self.confidence * (1.0 - self.not_digit)

    @property
    def is_digit(self) -> bool:
        return self.not_digit <= NOT_DIGIT_LIMIT and self.confidence >= CONFIDENCE_FLOOR


@dataclass
class Reading:
    """What was read in one image.

    Attributes:
        source: the file's path as given, or a name such as ``'<canvas>'``.
        digits: left to right; empty when the image was refused.
        refusal: why nothing was read, in words for a person; None when digits were read.
        polarity: "dark-on-light" or "light-on-dark" when the image could be analysed.
        original: the image as analysed (RGB, at most 256 px), for display; None if it could not be opened.
        candidates: every glyph's best reading, refused or not (shows why an image was refused).
        size: (width, height) of the image in the file's pixels (the boxes' frame); None if not opened.
        separators: a point, comma, colon, dash, slash or plus written between two digits, a minus or a plus
            before them, a percent sign after them (`digitnet.images.signs`), by the index of the digit after
            it (len(digits) for the percent sign).
    """

    source: str
    digits: list[DigitReading] = field(default_factory=list)
    refusal: str | None = None
    polarity: str | None = None
    original: Image.Image | None = None
    candidates: list[DigitReading] = field(default_factory=list)
    size: tuple[int, int] | None = None
    separators: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the image was read (a digit or a number), False when it was refused."""
        return self.refusal is None

    @property
    def number(self) -> str:
        """The digits read, as text, with the signs written in the number ("7", "2026", "12.50", "12:30", "-5",
        "+44", "50%"); empty when refused."""
        digits = "".join(self.separators.get(index, "") + str(item.digit) for index, item in enumerate(self.digits))
        return digits + self.separators.get(len(self.digits), "") if digits else ""

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
        digits = " ".join(str(item.digit) for item in self.digits)
        return f"{self.source}: {self.number} (digits {digits}, lowest confidence {lowest:.1%})"
