"""Read a person's image: one digit, a whole number, or a refusal with a reason a person understands.

`read_image` finds the ink (`digitnet.images.analyse`), splits it into the glyphs of one line of writing
(`digitnet.images.segment`), prepares each glyph as MNIST prepared its digits and classifies it with a
SavedModel. A glyph that is not surely one digit, or is wide enough to be several touching ones, is cut
where the pieces read as the surest digits (`digitnet.touching`). Then it decides:
the digit; the digits of a number, left to right; or why it will not answer ("no digit found", "does not
look like a digit"). The CLI's ``predict``, the notebooks and the drawing widget all read through here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
from PIL import Image
from scipy import ndimage

from digitnet.answers import NOT_DIGIT_LIMIT, DigitReading, Reading
from digitnet.errors import DigitnetError
from digitnet.images import CANVAS_SIZE, DETAIL_SIDE, analyse, back_half, display_copy, name_of, piece_preparer
from digitnet.images.ink import crop_box
from digitnet.images.loops import frame_of, marks_in_one_loop
from digitnet.images.segment import Glyph, find_glyphs
from digitnet.images.signs import bracket_ends, high_marks, named, signs_in_number
from digitnet.runs import LONE_RUN_CONFIDENCE, NARROW_RUN_CONFIDENCE, NARROW_RUN_PIECE_FLOOR, read_run
from digitnet.touching import best_chain, opposite_ones

# Each threshold says why it has its value; the measurements that chose several of them are in
# benchmarks/history.md ("Thresholds of the reading"). What counts as a digit at all (NOT_DIGIT_LIMIT,
# CONFIDENCE_FLOOR) is in `digitnet.answers`.
MAX_GLYPHS = 12  # more separate marks than this on one line is a texture or noise, not a number
# A mark with this many separate parts inside one of its loops (`digitnet.images.loops`) is a drawing (a face's
# eyes and mouth in its circle), which the network, seeing the circle, reads as a sure 0. No digit has them:
# none of MNIST's 70,000 digits has two parts inside one loop (at ink thresholds of 64 and 128; 25 to 31 have
# one), nor has any of the 7,290 images of three development draws of the yardstick (where a bold marker 8's ink
# mask is its outline: a ring holding two rings).
MARKS_IN_A_LOOP = 2
# Strokes at least this share as wide as the tallest mark is high leave a digit too little room to be told from
# another. The ten digits drawn in the canvas (its pen 16 px) 30, 35 and 40 px tall were read wrongly 9 times (a 2,
# a 3 and a 7 as sure 8s), their strokes 0.32-0.51 of their height, and right 3 times (9s, 0.37 and 0.41); from
# 45 px all that were read were read right (at most 0.36: a 4's crossing and a 6's loop look bold). At 0.38,
# 7 of the 9 wrong readings and one right one are refused. On two development draws of the yardstick no single
# digit's strokes were more than 0.26 of its height, and no number's more than 0.28. Only an answer is refused so:
# a smudge or a scribble that is no digit keeps its own reason. And only a picture read at its own resolution or
# more (a drawing, a small photo, a smaller picture enlarged) is judged so: in the working copy of a large photo a
# small digit's strokes are at least a pixel or two wide, which made a thick-marker 9 about 20 working pixels tall
# look too bold, though it reads right.
BOLD_LIMIT = 0.38
CUT_WIDTH = 1.5  # a glyph this many times as wide as the number's other digits is cut even if it reads as one
# A glyph with no sure digit beside it is cut only when it is this much wider than tall (1% of the single
# digits on a development draw of the yardstick are as wide as 0.97, touching pairs 1.1, numbers more) ...
CUT_ASPECT = 1.2
# ... or, when it is the image's only mark and reads as a sure digit, from this width: two digits touching or
# overlapping often read as one sure "8" or "9" while barely wider than tall.
SURE_CUT_ASPECT = 0.85
# ... and its pieces are read only if each is at least this sure and they are about equally tall, as the
# digits of a number are: a scribble, an arrow or a letter M cut up can look like digits ("17", "61").
LONE_PIECE_SCORE = 0.95
EVEN_HEIGHTS = 0.65
# When the only mark is a sure digit (not a 0, whose halves read as "1 3") and its pieces fail only these two
# checks, the image is refused: it reads as one digit and as touching digits alike ("89" as an "8", or "8 3") ...
# ... unless the whole reads at least this surely: a less trained or weaker model reads the fragments of a wide
# MNIST-style digit as digits too. (But not when the line reader spells the mark as digits LONE_RUN_CONFIDENCE sure
# and only the pieces fail: a "55" drawn overlapping in the canvas reads as a sure 5; benchmarks/history.md.)
SURE_WHOLE = 0.9995
# ... or when the line reader spells it as two or more digits, each at least this sure, though no pieces read as
# them: two digits drawn overlapping by a third of a digit often read as one sure digit ("9 7" as an 8) with no
# clean piece for either. Narrower marks are not asked: an open 4 is often spelled "64" 85-95% sure.
LONE_SPELLING = 0.9
# The only mark, a sure digit as wide as tall, is not cut when the line reader spells it as one digit, this sure: both
# networks then see one digit (a 6 cut into "10", a 4 into "41"). One wider than a digit can be (CUT_ASPECT) is not
# cut when the reader spells it as the very digit it reads as, and is refused ("too wide for one") when it cannot
# be cut, as touching digits more often look so, unless the reader spells it so (benchmarks/history.md).
ONE_DIGIT_SPELLING = 0.9
# In a number, a sure digit (not a 0) this many times as wide as the number's other digits is tried as touching
# digits too, and refused the same way when its pieces read as a number's would but not surely enough: two
# interlocked digits often read as one sure digit ("4158" as "48").
AMBIGUOUS_WIDTH = 1.25
# Any cut: every piece spans at least this much of the glyph's height. Touching digits stand side by side,
# each about as tall as the glyph; a cut that bends through one digit (an 8, a 0) leaves its lower-left and
# upper-right parts, which read as a "6" and a "9".
PIECE_HEIGHT = 0.6
# A cut of a glyph alone (as for LONE_PIECE_SCORE): each piece holds at least this share of its ink (in the
# 28x28 the model saw) in one connected part. Touching digits cut where they meet leave each digit whole; a cut
# through one digit leaves fragments, which the model, fitting them into 20x20, can read as a digit still.
PIECE_IN_ONE = 0.8
# In a number the cut search reads many candidate pieces of a glyph, cut from one cut-out of the glyph
# (`piece_preparer`) at this detail for its height instead of 64 px: sooner. A glyph alone that is not wider than
# a digit keeps 64 px: at 40 a sample photo of a single open 4 had pieces sure enough to be read as "41".
PIECE_DETAIL_SIDE = 40


def _classify(classifier, found, masks: list[np.ndarray], prepare=None,
              origin: tuple[int, int] = (0, 0)) -> list[DigitReading | None]:
    """Prepare (with `prepare`, by default `back_half`) and classify several glyph masks in one model call (None
    where a mask holds no ink). The masks are on the working copy, or (with `prepare`) on a part of it whose
    top-left pixel is `origin` (row, column)."""
    prepared = [prepare(mask, origin) if prepare else back_half(found, mask) for mask in masks]
    pixels = [item["pixels"] for item in prepared if item is not None]
    outputs = classifier.run(np.stack(pixels)) if pixels else {}
    readings, index = [], 0
    for mask, item in zip(masks, prepared, strict=True):
        if item is None:
            readings.append(None)
            continue
        probabilities = outputs["probabilities"][index]
        top, bottom, left, right = crop_box(mask)
        box = found.file_box((top + origin[0], bottom + origin[0], left + origin[1], right + origin[1]))
        readings.append(DigitReading(int(np.argmax(probabilities)), float(probabilities.max()), probabilities,
                                     float(outputs["not_digit"][index]), box, item["pixels"]))
        index += 1
    return readings


def _piece_reader(classifier, found, mask: np.ndarray, detail_side: int):
    """Reads pieces of the crop of `mask` (prepared at `detail_side`) in one model call each time, remembering
    every piece read: the line reader's chain and the cut search try the same candidate pieces of a glyph."""
    known: dict[bytes, DigitReading | None] = {}
    prepare = piece_preparer(found, mask, detail_side)
    top, _, left, _ = crop_box(mask)

    def read(pieces: list[np.ndarray]) -> list[DigitReading | None]:
        new = {piece.tobytes(): piece for piece in pieces if piece.tobytes() not in known}
        readings = _classify(classifier, found, list(new.values()), prepare, origin=(top, left))
        known.update(zip(new, readings, strict=True))
        return [known[piece.tobytes()] for piece in pieces]

    return read


def _cut(found, mask: np.ndarray, read, lone: bool = False) -> tuple[list[DigitReading], list[DigitReading]]:
    """The surest chain of digits a wide glyph can be cut into.

    Returns:
        (sure, plausible): the chain's readings if they are sure digits, else []; and the chain if it would
        be read in a number (several pieces, each a digit spanning PIECE_HEIGHT of the glyph's height, and no
        two 1s leaning opposite ways: `opposite_ones`), else []. For a glyph alone (no sure digit beside it)
        the chain is plausible only if each piece is also in one part (PIECE_IN_ONE), and sure only if its
        pieces are also each LONE_PIECE_SCORE sure and about equally tall.
    """
    top, bottom, left, right = crop_box(mask)
    chain = best_chain(mask[top:bottom, left:right], bottom - top, read, found.stroke)
    heights = [piece.box[3] - piece.box[1] for piece in chain]
    _, glyph_top, _, glyph_bottom = found.file_box((top, bottom, left, right))
    plausible = len(chain) > 1 and all(piece.is_digit for piece in chain)
    plausible = plausible and min(heights) >= PIECE_HEIGHT * (glyph_bottom - glyph_top) and not opposite_ones(chain)
    plausible = plausible and (not lone or min(_largest_part(piece.pixels) for piece in chain) >= PIECE_IN_ONE)
    sure = plausible
    if sure and lone:
        sure = min(heights) >= EVEN_HEIGHTS * max(heights) and all(p.score >= LONE_PIECE_SCORE for p in chain)
    return (chain if sure else []), (chain if plausible else [])


def _largest_part(pixels: np.ndarray) -> float:
    """The share of a prepared piece's ink (float32 [784] in [0, 1], ink above 0.25) in its largest 8-connected
    part."""
    parts, count = ndimage.label(pixels.reshape(CANVAS_SIZE, CANVAS_SIZE) > 0.25, structure=np.ones((3, 3)))
    if count <= 1:
        return 1.0
    sizes = np.bincount(parts.ravel())[1:]
    return float(sizes.max() / sizes.sum())


def read_image(classifier, source: str | os.PathLike | bytes | Image.Image, name: str | None = None) -> Reading:
    """Read one image with `classifier` (a `digitnet.model.SavedModelClassifier`).

    Every problem with the input (unreadable, blank, not a digit) is a refusal in the Reading, not an
    exception; the reason does not repeat the file's name (the Reading carries it).
    """
    label = name_of(source, name)
    try:
        found = analyse(source, label)
        marks = find_glyphs(found.ink_pixels, found.smoothed, label)
    except DigitnetError as error:
        return Reading(label, refusal=_reason(error, label))
    framed = _read_framed(classifier, found, marks, label)
    if framed is not None and framed.ok:
        return framed
    whole = _read_marks(classifier, found, marks, label)
    if framed is not None or (whole.ok and whole.number != "0"):
        return whole
    # What a ring holds when it is all rings too (an 8 in a box, a 6 in a circle) is read only when the whole is
    # refused or read as a 0 (the network sees the circle): an outlined digit's mask is rings in a ring, and its
    # inner ring alone reads as a 0, so an outlined 6 that reads as a 6 stays one.
    boxed = _read_framed(classifier, found, marks, label, rings_alone=True)
    return boxed if boxed is not None and boxed.ok else whole


def _read_framed(classifier, found, marks: list[Glyph], label: str, rings_alone: bool = False) -> Reading | None:
    """The reading of what is written in a box or a circle (`digitnet.images.loops.frame_of`, with
    `rings_alone`) drawn round the image's only mark, without the frame; None when there is no frame, or when
    finding the marks inside it leaves any of them out (a speck, or a face's eyes: the rest is then no writing
    to answer with)."""
    if len(marks) != 1:
        return None
    top, bottom, left, right = marks[0].box
    frame = frame_of(marks[0].mask[top:bottom, left:right], rings_alone)
    if frame is None:
        return None
    ink = found.ink_pixels.copy()
    ink[top:bottom, left:right] &= ~frame
    try:
        inside = find_glyphs(ink, found.smoothed, label)
    except DigitnetError:  # only specks inside
        return None
    content = marks[0].mask.copy()
    content[top:bottom, left:right] &= ~frame
    if (content & ~np.logical_or.reduce([mark.mask for mark in inside])).any():
        return None
    return _read_marks(classifier, found, inside, label)


def _read_marks(classifier, found, marks: list[Glyph], label: str) -> Reading:
    """Read the marks found on the image's line of writing (`find_glyphs`): its digit, its number or a refusal."""
    glyphs: list[Glyph] = [glyph for glyph in marks if not glyph.separator]
    reading = Reading(label, polarity=found.polarity, original=display_copy(found.picture), size=found.file_size)
    if len(glyphs) > MAX_GLYPHS:
        reading.refusal = f"does not look like a digit or a number ({len(glyphs)} separate marks)"
        return reading
    if not glyphs:
        reading.refusal = f"no digit found: only {named([glyph.separator for glyph in marks])}"
        return reading
    inside = max(marks_in_one_loop(glyph.mask[top:bottom, left:right]) for glyph in glyphs
                 for top, bottom, left, right in [glyph.box])
    if inside >= MARKS_IN_A_LOOP:
        reading.refusal = f"does not look like a digit or a number ({inside} separate marks inside one loop, as " \
                          "in a drawing)"
        return reading
    wholes = _classify(classifier, found, [glyph.mask for glyph in glyphs])
    # In a number (next to sure single digits) a glyph is cut when it is not one itself or is much wider than the
    # others. A glyph alone (or among others that are not digits) is cut only when far wider than a digit, or as
    # wide as tall if it is the only mark and a sure digit, and its pieces must pass stricter checks: a letter or
    # a scribble cut up can look like digits. A narrow digit that reads well is never cut; one far wider than a
    # digit that cannot be cut is refused: far more often touching digits read as one ("88") than one digit.
    widths = [g.width for g, whole in zip(glyphs, wholes, strict=True) if whole is not None and whole.is_digit]
    typical = float(np.median(widths)) if widths else None
    alone = len(wholes) == 1  # the image's only mark: it may be touching digits read as one
    too_wide: list[DigitReading] = []  # read as one sure digit, but far wider than one, and no cut gave digits
    two_ways: tuple[DigitReading, list[DigitReading]] | None = None  # one sure digit, or touching digits?
    for glyph, whole in zip(glyphs, wholes, strict=True):
        if whole is None:
            continue
        wide = typical is not None and glyph.width >= CUT_WIDTH * _others_width(glyph, whole, widths, typical)
        wide_for_digit = glyph.width >= CUT_ASPECT * glyph.height
        in_number = typical is not None and (wide or not whole.is_digit)
        rather_wide = not in_number and typical is not None and len(widths) >= 2 and whole.digit != 0 and \
            glyph.width >= AMBIGUOUS_WIDTH * _others_width(glyph, whole, widths, typical)
        pieces, plausible = [], []
        cut_lone = wide_for_digit or (alone and whole.is_digit and glyph.width >= SURE_CUT_ASPECT * glyph.height)
        read = _piece_reader(classifier, found, glyph.mask,
                             PIECE_DETAIL_SIDE if in_number or rather_wide or wide_for_digit else DETAIL_SIDE)
        spelled = []  # how the line reader spells the only mark, one sure digit about as wide as tall
        spelled_wide = []  # how it spells a mark as wide as touching digits
        if in_number or rather_wide or wide_for_digit:
            run, spelled_wide = read_run(classifier, found, glyph.mask, read)
        elif cut_lone:  # the only mark, one sure digit about as wide as tall: or two digits touching?
            run, spelled = read_run(classifier, found, glyph.mask, read, LONE_RUN_CONFIDENCE)
        elif not whole.is_digit or alone:  # too narrow to be cut, yet maybe two digits written close ("11", "17")
            # or, the only mark, drawn over each other (a "13" read as a sure 8)
            run, _ = read_run(classifier, found, glyph.mask, read, NARROW_RUN_CONFIDENCE, NARROW_RUN_PIECE_FLOOR,
                               weak_piece=False, widen=False)
        else:
            run = []
        if run:
            pieces = run
        elif in_number:
            pieces, _ = _cut(found, glyph.mask, read)
        elif rather_wide:
            _, plausible = _cut(found, glyph.mask, read)
        elif cut_lone:
            one_digit = _spelled_as_one(spelled) or _spelled_as_one(spelled_wide, whole.digit)  # to both networks
            pieces, plausible = ([], []) if one_digit else _cut(found, glyph.mask, read, lone=True)
            too_wide += [whole] if wide_for_digit and whole.is_digit and not pieces and not one_digit else []
            plausible = plausible if alone else []
            if alone and not plausible and _surely_several(spelled):
                plausible = spelled
        # A sure digit as wide as touching digits (the only mark, or rather wide in a number) that also cuts into
        # digits as a number's would, not surely enough to read them, or (the only mark) that the line reader surely
        # spells as digits whose pieces cannot be read: one digit or two? Not a 0: its halves read as "1 3", "6 1".
        if plausible and not pieces and whole.is_digit and whole.digit != 0 and \
                (whole.score < SURE_WHOLE or _surely_several(spelled, LONE_RUN_CONFIDENCE)):
            two_ways = (whole, plausible)
        reading.candidates += pieces or [whole]
    strays = [item for item in reading.candidates if not item.is_digit or any(item is w for w in too_wide)]
    if not reading.candidates:
        reading.refusal = "no digit found: the image is blank"
    elif two_ways:
        whole, pieces = two_ways
        which = "does not look like one digit: it" if alone else "one of its marks does not look like one digit: it"
        reading.refusal = (f"{which} reads as {_a(whole.digit)}, but also as touching digits "
                           f"({' '.join(str(piece.digit) for piece in pieces)})")
    elif too_wide and len(reading.candidates) == 1:
        reading.refusal = "does not look like one digit (too wide for one, and it could not be cut into digits)"
    elif strays and len(reading.candidates) == 1:
        reading.refusal = _not_a_digit(strays[0]) + _touching_hint(strays, "it is")
    elif strays:
        reading.refusal = (_marks_not_digits(reading.candidates, strays)
                           + _touching_hint(strays, "it is" if len(strays) == 1 else "one is"))
    elif found.scale <= 1 and found.stroke >= BOLD_LIMIT * max(glyph.height for glyph in glyphs):
        reading.refusal = "the writing is too small for the width of its strokes: write it larger, or with a finer pen"
    elif len(glyphs) >= 2 and high_marks([g.box for g in glyphs]):
        reading.refusal = ("does not look like a number: it has a small mark high up, as a degree sign, a quotation "
                           "mark or an exponent has")
    elif len(glyphs) >= 2 and (brackets := bracket_ends([g.mask for g in glyphs], [g.box for g in glyphs])):
        reading.refusal = "does not look like a number: " + (
            "its first and last marks look like brackets" if len(brackets) == 2
            else f"its {'first' if brackets == [0] else 'last'} mark looks like a bracket")
    else:
        reading.digits = reading.candidates
        signs = [(_centre(found.file_box(glyph.box)), glyph.separator) for glyph in marks if glyph.separator]
        reading.separators = signs_in_number([_centre(item.box) for item in reading.digits], signs)
    return reading


def _centre(box: tuple[int, int, int, int]) -> float:
    """The horizontal centre of a box (x0, y0, x1, y1) in the file's pixels."""
    return (box[0] + box[2]) / 2


def _spelled_as_one(spelled: list, digit: int | None = None) -> bool:
    """Whether the line reader's spelling (`LineDigit`s) is one digit (`digit`, if given), ONE_DIGIT_SPELLING sure."""
    return len(spelled) == 1 and spelled[0].confidence >= ONE_DIGIT_SPELLING and digit in (None, spelled[0].digit)


def _surely_several(spelled: list, sure: float = LONE_SPELLING) -> bool:
    """Whether the line reader's spelling (`digitnet.line_reader.LineDigit` list) is two or more digits, each at
    least `sure`."""
    return len(spelled) >= 2 and min(item.confidence for item in spelled) >= sure


def _others_width(glyph: Glyph, whole: DigitReading, widths: list[int], typical: float) -> float:
    """The width a sure digit `glyph` is compared with: the median of the number's other sure digits.

    With itself in the median, two touching digits beside one other digit ("4" and a joined "68") looked
    only 1.25 times as wide as the median of the two, and were read as one digit.
    """
    if not whole.is_digit or len(widths) < 2:
        return typical
    others = list(widths)
    others.remove(glyph.width)
    return float(np.median(others))


def _not_a_digit(candidate: DigitReading) -> str:
    """Why one glyph is not read: it looks like something else, or like no digit in particular."""
    if candidate.not_digit >= 0.5:
        return f"does not look like a digit ({candidate.not_digit:.0%} sure it is something else)"
    if candidate.not_digit > NOT_DIGIT_LIMIT:  # "22% sure it is something else" alone reads like a digit, 78% sure
        return (f"does not look enough like a digit (at best {_a(candidate.digit)}, but {candidate.not_digit:.0%} sure "
                "it is something else)")
    return f"does not look like a digit (at best {_a(candidate.digit)}, {candidate.confidence:.0%} sure)"


def _marks_not_digits(candidates: list[DigitReading], strays: list[DigitReading]) -> str:
    """Which of a number's marks (`candidates`, left to right) are not read (`strays`, some of them), so that a
    person knows which to write again: one is named with what it looked like, several by their places."""
    places = [_ordinal(index + 1) for index, item in enumerate(candidates) if any(item is s for s in strays)]
    if len(strays) == 1:
        # a stray that reads as a sure digit is one far wider than a digit that could not be cut
        why = "is too wide for one digit, and could not be cut into digits" if strays[0].is_digit \
            else _not_a_digit(strays[0])
        return f"the {places[0]} of its {len(candidates)} marks from the left {why}"
    if len(strays) == len(candidates):
        return f"none of its {len(candidates)} marks looks like a digit"
    listed = ", ".join(places[:-1]) + " and " + places[-1]
    return f"{len(strays)} of its {len(candidates)} marks do not look like digits (the {listed} from the left)"


def _ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 4 -> "4th", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _touching_hint(strays: list[DigitReading], which: str) -> str:
    """What to do, added to a refusal when a mark not read is wider than a digit can be (CUT_ASPECT), as digits
    that touch are ("" otherwise). On two development draws 81% of the unread marks of refused touching numbers
    were, 5% of those of refused single digits, and 33% of those of refused letters, scribbles and shapes."""
    wide = any(x1 - x0 >= CUT_ASPECT * (y1 - y0) for x0, y0, x1, y1 in (item.box for item in strays))
    return f": if {which} digits that touch, write them a little apart" if wide else ""


def _a(digit: int) -> str:
    """The digit with its article, as a person writes it: "a 7", "an 8"."""
    return f"{'an' if digit == 8 else 'a'} {digit}"


def read_images(classifier, sources: Iterable[str | os.PathLike]) -> list[Reading]:
    """`read_image` for each source, in order."""
    return [read_image(classifier, source) for source in sources]


def _reason(error: DigitnetError, label: str) -> str:
    """The error's message without the leading ``label: `` (a Reading names its source itself)."""
    text = str(error)
    return text[len(label) + 2 :] if text.startswith(f"{label}: ") else text
