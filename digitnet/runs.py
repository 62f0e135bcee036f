"""Read a run of touching digits with the line reader, and place each digit with the cut search.

The line reader (`digitnet.line_reader`) spells a glyph of touching digits as a line; the candidate cuts of
`digitnet.touching` then give the pieces that read best as those digits, one piece per digit, so each digit
has a box and the 28x28 the classifier saw. A scribble can spell digits too, so the spelling must be sure
and the pieces must look like their digits to the classifier; `digitnet.reading` decides when to ask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from digitnet.images import line_pixels
from digitnet.images.ink import crop_box
from digitnet.line_batches import LINE_HEIGHT, MARGIN, resized
from digitnet.line_reader import LineDigit, spelling
from digitnet.touching import opposite_ones, spelled_chain

LINE_MARGIN = MARGIN  # blank pixels around a run given to the line reader, as around the lines it learnt from
# A run is scaled so that its ink is RUN_HEIGHT rows tall, on LINE_HEIGHT rows as the reader's lines. Its digits
# are less tall than the run when the baseline wanders (on a development draw 82% of a wavy run's height, 97% of a
# straight one's) and the reader learnt digits of 16-20 rows. On two development draws (600 touching numbers) 22
# read 297 right and 81 wrong (wavy runs 136 right), MNIST's 20 282 and 79 (122), 21 290 and 77, 23 296 and 79
# (and 6 more of their 660 not-one-digit images answered wrongly; 22: 1 fewer), 24 275 and 77, 18 219 and 96;
# on a third draw 22 read 149 right and 30 wrong of 300, 20 143 and 33.
RUN_HEIGHT = 22
# A run is read when the reader spells two or more digits, each at least RUN_CONFIDENCE sure, and every piece
# is at least RUN_PIECE_FLOOR like its digit to the classifier (its probability times 1 - not-a-digit) ...
RUN_CONFIDENCE = 0.7
RUN_PIECE_FLOOR = 0.05
# ... but one piece of a run of WEAK_PIECE_RUN+ digits spelled WEAK_PIECE_CONFIDENCE sure may be less (the cut search
# rarely finds a clean piece for every digit of a long interlocked run). On two development draws: 15 and 17 more
# of 300 touching numbers right, 1 and 2 more wrong; from 2 digits, or from 70% sure, more wrong readings.
WEAK_PIECE_RUN = 3
WEAK_PIECE_CONFIDENCE = 0.8
# ... and when every digit is spelled SURE_SPELLING sure, the pieces only place the digits: the cut search often
# finds no clean piece for interlocked digits the reader spells surely ("832069", each digit 99% sure). On two
# development draws: 6 and 7 more of 300 touching numbers right, 0 and 2 more wrong, no other figure changed.
SURE_SPELLING = 0.9
# A glyph that is not a digit and too narrow to be cut may be two digits written close ("11"): the reader must
# then be 95% sure of each digit and every piece 50% like its digit, as a letter read so becomes a number. On two
# development draws: 10 and 7 more of 300 touching numbers right, 1 more wrong in each, a W read as "21" and an H
# as "14"; at 90% and 30%, one more touching number in each but four more letters.
# The image's only mark, when it reads as a sure digit, is asked about the same way ("13" drawn overlapping reads
# as an 8): on two development draws 1 more touching number right and 1 fewer wrong in each, no digit split; of
# 100 two-digit pairs drawn in the canvas overlapping by a third of a digit, 57 read right instead of 49, 11
# wrong instead of 19.
NARROW_RUN_CONFIDENCE = 0.95
NARROW_RUN_PIECE_FLOOR = 0.5
# The image's only mark, read as one sure digit and not wider than a digit can be, is read as a run only when each
# digit is spelled this surely: letters such as M and R spell "14" and "12" 87-95% sure. On two development draws
# the lone touching numbers read so were spelled at least 97.5% sure; 2 of their 660 not-one-digit images (an M
# read as "14" twice) and 1 of 600 touching numbers read wrong were refused, and nothing read right was lost.
LONE_RUN_CONFIDENCE = 0.96
# The reader learnt from MNIST's digits, wider than most written in a row, so a run is also read 15% and 30%
# wider, and the spelling two of the three readings agree on is followed (the surest of them; none when all three
# differ). When the run's own width does not read so, a sure spelling does not excuse its pieces (SURE_SPELLING).
# On two development draws: 14 and 24 more of 300 touching numbers right, 1 more and 4 fewer wrong, of 330
# not-one-digit images 2 more and 3 fewer read as digits; 10% and 25% wider read 5 fewer right, 20% and 40% 7
# fewer. A mark too narrow to cut is read at its own width only: widened, a "%" read 96% sure as "96".
WIDENINGS = (1.15, 1.3)
# A run is not read as digits when its ink encloses more areas than those digits can, one more for each place two
# of them touch: a coil of loops spells "00" surely. Enclosed areas each digit can have as people write it (a
# looped 2, a closed 4), counted when at least HOLE_PIXELS working pixels. On two development draws: 2 of their 660
# not-one-digit images (coils read as "00") refused; of 600 touching numbers 3 read wrong refused, 1 read right lost.
DIGIT_HOLES = (1, 0, 1, 0, 1, 0, 1, 0, 2, 1)
HOLE_PIXELS = 4
# When the run's own width and both WIDENINGS spell the same digits, each UNANIMOUS_CONFIDENCE sure, the pieces
# only place the digits, whatever was asked of them: interlocked pairs ("70", "89", "94" 98-99.9% sure) leave
# the cut search no clean piece. On two development draws: 5 more of 600 touching numbers read right, nothing
# more read wrong; a "%" whose three readings spell "96" was 91% sure.
UNANIMOUS_CONFIDENCE = 0.95
# A run of LONG_RUN or more digits counts as unanimous when each digit of every reading is at least
# LONG_UNANIMOUS_CONFIDENCE sure, as sure as any run must be spelled (RUN_CONFIDENCE): a long run the reader spells
# alike three times over is rarely anything else, while a shape or a coil of loops spells two or three digits alike
# more easily. On three development draws: 9 more of 900 touching numbers read right, 1 more wrong, none of their
# 990 not-one-digit images or 4,500 single digits changed; at 0.6, 13 more right and 4 more wrong; at 0.5, 14 and 6,
# and a number of the not-one-digit set read wrong; from 3 digits at 0.65, two coils of loops read "000" and "660".
LONG_RUN = 4
LONG_UNANIMOUS_CONFIDENCE = 0.7


def widened(line: np.ndarray, factor: float, margin: int = LINE_MARGIN) -> np.ndarray:
    """A line for the reader (float32 [28, w], `margin` blank columns each side) with its writing `factor` times
    as wide, float32 [28, about (w - 2 * margin) * factor + 2 * margin]."""
    writing = line[:, margin : line.shape[1] - margin]
    stretched = resized(writing, line.shape[0], max(1, round(writing.shape[1] * factor)))
    return np.pad(stretched, ((0, 0), (margin, margin)))


def run_line(found, mask: np.ndarray) -> np.ndarray | None:
    """The line the reader is given for a run (working pixels `mask`, bool [h, w], of the image's `Analysis`):
    float32 [LINE_HEIGHT, w] in [0, 1], its ink RUN_HEIGHT rows tall (`digitnet.images.line_pixels`); None when
    the mask holds no ink at detail resolution."""
    return line_pixels(found, mask, RUN_HEIGHT, LINE_MARGIN, LINE_HEIGHT)


def agreed_spelling(reader, line: np.ndarray) -> tuple[list[LineDigit], bool]:
    """The spelling that two of the readings of `line` at its own width and WIDENINGS agree on (the surest of
    those readings, its digits' columns on `line`), and whether the reading at its own width is one of them;
    ([], False) when all differ. The widest reading is only made when the first two disagree."""
    def surest(*readings: list[LineDigit]) -> list[LineDigit]:
        return max(readings, key=lambda digits: min((d.confidence for d in digits), default=0.0))

    def on_own_width(digits: list[LineDigit], factor: float) -> list[LineDigit]:
        return [dataclasses.replace(d, columns=tuple(round(LINE_MARGIN + (c - LINE_MARGIN) / factor)
                                                     for c in d.columns)) for d in digits]

    own, wider = reader.read_lines([line, widened(line, WIDENINGS[0])])
    wider = on_own_width(wider, WIDENINGS[0])
    if spelling(own) == spelling(wider):
        return surest(own, wider), True
    widest = on_own_width(reader.read(widened(line, WIDENINGS[1])), WIDENINGS[1])
    if spelling(widest) == spelling(own):
        return surest(own, widest), True
    if spelling(widest) == spelling(wider):
        return surest(wider, widest), False
    return [], False


def unanimous(reader, line: np.ndarray, spelled: list[LineDigit], sure: float = UNANIMOUS_CONFIDENCE) -> bool:
    """Whether `line` read at its own width and at each of WIDENINGS spells the digits of `spelled`, every digit
    of every reading at least `sure`."""
    digits = [d.digit for d in spelled]
    readings = reader.read_lines([line, *(widened(line, factor) for factor in WIDENINGS)])
    return all([d.digit for d in reading] == digits and min(d.confidence for d in reading) >= sure
               for reading in readings)


def enclosed_areas(crop: np.ndarray) -> int:
    """Areas of background that ink (bool [h, w]) encloses, each at least HOLE_PIXELS pixels."""
    background, _ = ndimage.label(~np.pad(crop, 1))  # 4-connected background; label 1 is the outside
    return int((np.bincount(background.ravel())[2:] >= HOLE_PIXELS).sum())


def _straight_pieces(crop: np.ndarray, spelled: list[LineDigit], line_width: int) -> list[np.ndarray]:
    """The run (bool [h, w], cropped to its ink) cut straight down midway between the reader's digits (their
    columns on a line of `line_width` columns, LINE_MARGIN of them blank each side): one bool [h, w] per digit."""
    scale = crop.shape[1] / max(line_width - 2 * LINE_MARGIN, 1)
    cuts = [round(((a.columns[1] + b.columns[0]) / 2 - LINE_MARGIN) * scale)
            for a, b in zip(spelled, spelled[1:], strict=False)]
    columns = np.arange(crop.shape[1])[None, :]
    return [crop & (columns >= start) & (columns < end)
            for start, end in zip([0, *cuts], [*cuts, crop.shape[1]], strict=True)]


def _read_straight(crop: np.ndarray, spelled: list[LineDigit], line_width: int, read: Callable) -> list:
    """`_straight_pieces` read by `read`: one reading per digit, or [] when a piece holds no ink."""
    chain = read(_straight_pieces(crop, spelled, line_width))
    return chain if all(chain) else []


def read_run(classifier, found, mask: np.ndarray, read: Callable[[list[np.ndarray]], list],
             confidence: float = RUN_CONFIDENCE, piece_floor: float = RUN_PIECE_FLOOR, weak_piece: bool = True,
             widen: bool = True) -> tuple[list, list[LineDigit]]:
    """The digits of a run of touching digits, spelled by the line reader and placed by the cut search.

    The line reader (`digitnet.line_reader`) spells the run (when `widen`, as `agreed_spelling` does, else at its
    own width); the candidate cuts of `digitnet.touching` then give the pieces that read best as those digits,
    one piece per digit. Returns the pieces' readings (each with the spelled digit) when the reader spells two
    or more digits, each at least `confidence` sure, whose ink encloses no more areas than they can
    (DIGIT_HOLES), and such pieces exist, each at least `piece_floor` like its digit to the classifier (when
    `weak_piece`, all but one in a sure long run, see WEAK_PIECE_RUN, and none when every digit is SURE_SPELLING
    sure and the run's own width reads so, or every width spells the run alike: UNANIMOUS_CONFIDENCE, LONG_RUN);
    else no digits. The reader's spelling comes back either way, for the caller to weigh.

    Args:
        classifier: a `digitnet.model.SavedModelClassifier` (its `line_reader`, None when it has none).
        found: the image's `digitnet.images.Analysis`.
        mask: bool [h, w], the glyph in working pixels.
        read: classifies prepared pieces (a `digitnet.answers.DigitReading` for each).
    Returns:
        (digits, spelled): one DigitReading per digit, left to right, with the spelled digit and confidence, or []
        when the run is not read so; and the reader's spelling, followed or not ([] without a reader or spelling).
    """
    reader = getattr(classifier, "line_reader", None)
    line = run_line(found, mask) if reader is not None else None
    if line is None:
        spelled, own_width_agrees = [], True
    elif widen:
        spelled, own_width_agrees = agreed_spelling(reader, line)
    else:
        spelled, own_width_agrees = reader.read(line), True
    least_sure = min((s.confidence for s in spelled), default=0.0)
    if len(spelled) < 2 or least_sure < confidence:
        return [], spelled
    top, bottom, left, right = crop_box(mask)
    crop = mask[top:bottom, left:right]
    if enclosed_areas(crop) > sum(DIGIT_HOLES[s.digit] for s in spelled) + len(spelled) - 1:
        return [], spelled
    chain = spelled_chain(crop, bottom - top, read, [s.digit for s in spelled], found.stroke)
    if not chain and weak_piece and least_sure >= SURE_SPELLING and own_width_agrees:
        # no cut gives one piece per digit ("77" joined at the bar): cut where the reader sees one digit end. On
        # two development draws 6 more numbers read right ("34", "60", "77"), 2 more wrong (loops read as "00")
        chain = _read_straight(crop, spelled, line.shape[1], read)
    # a scribble can spell digits too: each piece must also be a little like its digit to the classifier
    likeness = [float(r.probabilities[s.digit]) * (1.0 - r.not_digit) for r, s in zip(chain, spelled, strict=False)]
    weak = sum(value < piece_floor for value in likeness)
    if not weak_piece:
        allowed = 0
    elif least_sure >= SURE_SPELLING and own_width_agrees:
        allowed = len(spelled)  # the pieces only place the digits
    elif len(chain) >= WEAK_PIECE_RUN and least_sure >= WEAK_PIECE_CONFIDENCE:
        allowed = 1
    else:
        allowed = 0
    # how sure each reading must be for unanimity: less for a long run where the usual bar applies (LONG_RUN)
    long_run = weak_piece and confidence <= RUN_CONFIDENCE and len(spelled) >= LONG_RUN
    everywhere = LONG_UNANIMOUS_CONFIDENCE if long_run else UNANIMOUS_CONFIDENCE
    if (not chain or weak > allowed) and unanimous(reader, line, spelled, everywhere):
        chain, weak = chain or _read_straight(crop, spelled, line.shape[1], read), 0
    if not chain or weak > allowed:
        return [], spelled
    # the reader's reading, with the piece's box and the 28x28 the classifier saw of it
    digits = [dataclasses.replace(piece, digit=s.digit, confidence=s.confidence, probabilities=s.probabilities,
                                  not_digit=0.0) for piece, s in zip(chain, spelled, strict=True)]
    return ([] if opposite_ones(digits) else digits), spelled
