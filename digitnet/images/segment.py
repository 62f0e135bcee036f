"""Split the ink of an image into the glyphs of one line of writing, left to right.

A digit can be more than one connected mark (a 5 whose bar was lifted, an open 4, a crossed 7, a pencil
stroke with gaps), and a number is several digits. The marks near the heaviest one form the line of
writing; marks that overlap horizontally are one glyph (a bar over its body, the pieces of a broken
stroke), and a small piece right beside a glyph joins it, while a mark written between digits that is no
digit (a point, a colon, a dash, a slash, a plus or a percent sign: `digitnet.images.signs`) stays apart.
Marks along the image's edge (the desk, a shadow) are left out, after any writing that touches them is taken
out of them; digits written above other digits (a second line) are refused. Digits that touch stay one
glyph here: telling where to cut them needs the classifier (`digitnet.reading`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import ndimage

from digitnet.errors import DigitnetError
from digitnet.images.ink import _near, stroke_width
from digitnet.images.signs import find_slashes, kept_apart, loose_mark, sign_of

OVERLAP = 0.45  # marks overlapping horizontally by this much of the narrower are one glyph
BESIDE = 1.6  # marks within this many line heights of the line (left or right) belong to it
ABOVE_BELOW = 0.4  # ... and within this many above or below it
SHADOW_CONTACT = 0.5  # a mark with this fraction of its length on the image's border lies along it
SHORTER = 0.65  # a mark less than this fraction of its neighbour's height, against it, is part of that digit
# A shadow along the edge that writing touches: its body is where a square this many stroke widths wide fits
# (2: wider than a stroke, even where strokes meet) ...
SHADOW_BODY = 2.0
# ... and what is left of its mark is writing if at least this much as tall as the tallest mark off the edge.
# On two development draws of the yardstick this read 3 more numbers whole (of 864) and refused 3 it had read
# wrong, and changed no single digit and no other image; with the rim taken out two stroke widths deep instead
# of one, digits lost their ends and those 3 numbers were refused again.
WRITING_HEIGHT = 0.5
# The line's marks form two lines of writing when they lie in two rows, the shorter at least this share of the
# taller, with a gap between them of at least SECOND_LINE_GAP of the shorter (typed lines at their usual
# spacing leave 0.3; a pencil 1 broken below its flag left 0.057), or of ROWS_GAP when both rows are at least
# as wide as tall, as digits side by side are (two numbers drawn in the canvas, its thick pen closing the gap,
# left 0.09), and both look like writing (`_like_writing`).
SECOND_LINE_HEIGHT = 0.5
SECOND_LINE_GAP = 0.1
ROWS_GAP = 0.05
WRITING_SHARE = 0.05  # ... where writing is three strokes tall, and this share of the image's shorter side
# An underline is no part of the writing it underlines: a mark at least UNDERLINE_FLATNESS times as wide as tall,
# at least half as wide as the tallest mark it lies under, at most UNDERLINE_HEIGHT of that mark's height, and
# below every mark it spans by a gap of UNDERLINE_GAP of their height or more. (A line drawn 30 px under a 7 180 to
# 230 px tall joined it, and the two read as a sure 1 with a base, in a photo and in the canvas, where the pen's
# width leaves a gap of 0.055 of the 7's height; a 1's base cut off by a pencil's skip is a pixel or two from its
# stem. On two development draws of the yardstick no reading changed.)
UNDERLINE_FLATNESS = 5.0
UNDERLINE_WRITING = 0.75  # ... and what it spans is writing, as tall as the line's tallest mark: not the plus of a ±
UNDERLINE_HEIGHT = 0.25
UNDERLINE_GAP = 0.04


@dataclass
class Glyph:
    """One glyph of the line: a digit, several touching digits, or a mark that is not a digit.

    Attributes:
        mask: bool [h, w] on the working copy, the glyph's pixels.
        box: (top, bottom, left, right) in working pixels, bottom/right exclusive.
        separator: what a mark that is no digit writes in a number (`digitnet.images.signs`): "." or ",",
            ":", "-", "/", "+" or "%"; "" for writing.
    """

    mask: np.ndarray
    box: tuple[int, int, int, int]
    separator: str = ""

    @property
    def height(self) -> int:
        return self.box[1] - self.box[0]

    @property
    def width(self) -> int:
        return self.box[3] - self.box[2]


def _one_digit(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two marks are parts of one digit: they overlap horizontally (a bar above its body, the
    pieces of a broken stroke), or a much shorter one stands right against the other (the two strokes of
    an open 4, the bar of a 7), which neighbouring digits of a number, about equally tall, do not."""
    overlap = min(a[3], b[3]) - max(a[2], b[2])
    if overlap >= OVERLAP * min(a[3] - a[2], b[3] - b[2]):
        return True
    shorter, taller = sorted((a[1] - a[0], b[1] - b[0]))
    return shorter < SHORTER * taller and overlap > -0.1 * taller


def _box(slices: tuple[slice, slice]) -> tuple[int, int, int, int]:
    return slices[0].start, slices[0].stop, slices[1].start, slices[1].stop


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes)


def _stray(box: tuple[int, int, int, int], size: int, contact: int, shape: tuple[int, int]) -> bool:
    """Whether a mark is the desk, a shadow or the paper's edge rather than writing: it touches the image's
    border and is large (a shadow), or runs along most of a border (an edge), or lies along the border for
    half its length or more (`contact` pixels on the border: the soft edge of a shadow or a vignette), or
    fills a box that reaches two borders (a corner of the desk). Writing cropped tightly touches the border
    too, with a stroke's end, but is none of these."""
    top, bottom, left, right = box
    height, width = shape
    borders = (top == 0) + (left == 0) + (bottom == height) + (right == width)
    if not borders:
        return False
    fill = size / max(1, (bottom - top) * (right - left))
    along_edge = ((top == 0 or bottom == height) and right - left >= 0.7 * width and bottom - top <= 0.1 * height) \
        or ((left == 0 or right == width) and bottom - top >= 0.7 * height and right - left <= 0.1 * width)
    lies_along = contact >= SHADOW_CONTACT * max(bottom - top, right - left)
    return size > 0.15 * height * width or along_edge or lies_along or \
        (borders >= 2 and fill > 0.5 and size > 0.04 * height * width)


def _line_of_writing(labels: np.ndarray, sizes: np.ndarray, masses: np.ndarray, label: str,
                     refuse_second_line: bool = True) -> list[int]:
    """The components on the line of the heaviest one: specks and stray marks (desk, shadows) left out.

    Raises:
        DigitnetError: only specks of noise are ink; or (`refuse_second_line`) there is a second line of writing.
    """
    min_size = _min_size(labels.shape)
    candidates = np.flatnonzero(sizes[1:] >= min_size) + 1
    if candidates.size == 0:
        raise DigitnetError(f"{label}: no digit found: the image is blank (only specks of noise)")
    slices = ndimage.find_objects(labels)
    boxes = {int(i): _box(slices[i - 1]) for i in candidates}
    at_border = {i for i in boxes if _touches_border(boxes[i], labels.shape)}
    inner = [i for i in boxes if i not in at_border and sizes[i] >= 3 * min_size]
    # the line grows from its heaviest mark, but not from a long flat one (an underline under thin digits can be
    # heavier than each of them, and the line grown from it holds none of them)
    upright = [i for i in inner if _width(boxes[i]) < UNDERLINE_FLATNESS * _height(boxes[i])]
    main = max(upright or inner or boxes, key=lambda i: masses[i])
    parts = [i for i in boxes if i not in at_border and sizes[i] >= 0.02 * sizes[main]]
    # Writing cropped tightly touches the border too: a mark there joins when it sits on the line like a
    # digit (as tall, at the same height), and is not the desk, a shadow or the paper's edge.
    contact = _border_contact(labels, len(sizes))
    edge = [i for i in at_border if i != main and not _stray(boxes[i], int(sizes[i]), int(contact[i]), labels.shape)]
    line = {main}
    while True:
        top, bottom, left, right = _union([boxes[i] for i in line])
        height = bottom - top
        region = (top - ABOVE_BELOW * height, bottom + ABOVE_BELOW * height,
                  left - BESIDE * height, right + BESIDE * height)
        # Beside the line, a mark must sit on it; above or below, it must be over or under its ink (a bar).
        grown = line | {i for i in parts if _near(slices[i - 1], region) and
                        (_overlaps(boxes[i], left, right) or _level_with(boxes[i], top, bottom))}
        grown |= {i for i in edge if _near(slices[i - 1], region) and _on_line(boxes[i], top, bottom)}
        if grown == line:
            others = [boxes[i] for i in parts if i not in line]
            if refuse_second_line and _another_line([boxes[i] for i in line], others, labels, line):
                raise DigitnetError(f"{label}: more than one line of writing (digits are read one line at a time)")
            return sorted(line, key=lambda i: boxes[i][2])
        line = grown


def _another_line(line: list[tuple[int, int, int, int]], others: list[tuple[int, int, int, int]], labels: np.ndarray,
                  line_labels: set[int]) -> bool:
    """Whether there is a second line of writing above or below the line (its marks' boxes `line`, their
    `line_labels` in `labels`): a mark left out of it (`others`) about as tall, over or under it; or the line's
    own marks in two rows with a gap between (digits above digits). Each must look like writing
    (`_like_writing`). Reading one line and not the other would be a guess; squeezing both into one digit, a
    wrong answer. A lifted bar, a dot, a pencil stroke's gap, an equals sign are none of these: too flat, too
    small, too narrow a gap."""
    top, bottom, left, right = _union(line)
    height = bottom - top
    rows: list[list[tuple[int, int, int, int]]] = []  # the line's marks in rows, top to bottom
    for box in sorted(line):
        if rows and box[0] < _union(rows[-1])[1]:  # it starts above the row's bottom: in that row
            rows[-1].append(box)
        else:
            rows.append([box])
    pairs = [(upper, lower) for upper, lower in pairwise(rows) if _apart(_union(upper), _union(lower), height)]
    pairs += [(line, [box]) for box in others if max(top - box[1], box[0] - bottom) <= 1.5 * height and
              _overlaps(box, left - height, right + height) and 0.5 * height <= box[1] - box[0] <= 2 * height]
    if not pairs:
        return False
    stroke = stroke_width(np.isin(labels, list(line_labels)))
    least = max(3 * stroke, WRITING_SHARE * min(labels.shape))
    return any(_like_writing(upper, stroke, least) and _like_writing(lower, stroke, least) for upper, lower in pairs)


def _apart(upper: tuple[int, int, int, int], lower: tuple[int, int, int, int], height: int) -> bool:
    """Whether two rows of marks (their boxes, one above the other, in marks `height` tall in all) are about as tall,
    each a quarter of the whole (not two fragments of a long pencil stroke: those are narrow, so rows both at least
    as wide as tall need not be, as in a number photographed on its side), with a gap between (see ROWS_GAP)."""
    shorter, taller = sorted((upper[1] - upper[0], lower[1] - lower[0]))
    wide = all(row[3] - row[2] >= row[1] - row[0] for row in (upper, lower))
    gap = lower[0] - upper[1]
    return shorter >= max(SECOND_LINE_HEIGHT * taller, 0 if wide else 0.25 * height) and \
        gap >= (ROWS_GAP if wide else SECOND_LINE_GAP) * shorter


def _height(box: tuple[int, int, int, int]) -> int:
    return box[1] - box[0]


def _width(box: tuple[int, int, int, int]) -> int:
    return box[3] - box[2]


def _underline(index: int, boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether mark `index` of the line's marks (their `boxes`) underlines those it lies under (UNDERLINE_FLATNESS)."""
    top, bottom, left, right = boxes[index]
    spanned = [b for k, b in enumerate(boxes) if k != index and min(b[3], right) > max(b[2], left)]
    if not spanned or right - left < UNDERLINE_FLATNESS * (bottom - top):
        return False
    tallest = max(_height(b) for b in spanned)
    return (tallest >= UNDERLINE_WRITING * max(_height(b) for b in boxes)
            and right - left >= 0.5 * tallest and bottom - top <= UNDERLINE_HEIGHT * tallest
            and all(top - b[1] >= UNDERLINE_GAP * _height(b) for b in spanned))


def _like_writing(boxes: list[tuple[int, int, int, int]], stroke: float, least: float) -> bool:
    """Whether a row of marks looks like writing: one is at least half as tall as it is wide and `least` pixels
    tall, and together they are 2.5 strokes wide (a 1's broken stroke is narrower, a bar or a dot flatter, and a
    cluster of specks in a noisy photo smaller)."""
    return any(b[1] - b[0] >= max(0.5 * (b[3] - b[2]), least) for b in boxes) and \
        _union(boxes)[3] - _union(boxes)[2] >= 2.5 * stroke


def _touches_border(box: tuple[int, int, int, int], shape: tuple[int, int]) -> bool:
    return box[0] == 0 or box[2] == 0 or box[1] == shape[0] or box[3] == shape[1]


def _overlaps(box: tuple[int, int, int, int], left: int, right: int) -> bool:
    return box[2] < right and box[3] > left


def _level_with(box: tuple[int, int, int, int], top: int, bottom: int) -> bool:
    """Whether at least half of a mark's height is within the line's (top to bottom)."""
    return min(box[1], bottom) - max(box[0], top) >= 0.5 * (box[1] - box[0])


def _on_line(box: tuple[int, int, int, int], top: int, bottom: int) -> bool:
    """Whether a mark is about as tall as the line (top to bottom) and mostly within it."""
    height = box[1] - box[0]
    overlap = min(box[1], bottom) - max(box[0], top)
    return height >= 0.6 * (bottom - top) and overlap >= 0.7 * height


def find_glyphs(ink_pixels: np.ndarray, smoothed_ink: np.ndarray, label: str = "<image>") -> list[Glyph]:
    """The glyphs of the line of writing, left to right.

    Args:
        ink_pixels: bool [h, w], every ink pixel of the working copy.
        smoothed_ink: float32 [h, w], the smoothed ink map (weighs the marks).

    Raises:
        DigitnetError: only specks of noise are ink, or there is a second line of writing.
    """
    labels, line = _line_marks(ink_pixels, smoothed_ink, label)
    slices = ndimage.find_objects(labels)
    boxes = [_box(slices[i - 1]) for i in line]
    kept = [k for k in range(len(boxes)) if not _underline(k, boxes)] or list(range(len(boxes)))
    line, boxes = [line[k] for k in kept], [boxes[k] for k in kept]
    groups = [[i] for i in line]
    # Marks that overlap horizontally are one glyph: a bar above its body, the pieces of a broken stroke. A dot
    # beside a digit ("1.5" drawn close) is not a part of it unless they overlap, nor a dash ("12-05") or a plus
    # ("+4") unless they overlap by half its width (the bar of a 4 or a crossed 7 crosses the stem); a flat mark
    # low (a 1's base, cut off by a pencil's gap) still is.
    line_top, line_bottom = _union(boxes)[:2]
    loose = [loose_mark(box, line_top, line_bottom, _part(labels, i, box)) for i, box in zip(line, boxes, strict=True)]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                if _one_digit(boxes[a], boxes[b]) and not kept_apart(boxes[a], boxes[b], loose[a], loose[b]):
                    groups[a] += groups.pop(b)
                    boxes[a] = _union([boxes[a], boxes.pop(b)])
                    loose[a] = loose_mark(boxes[a], line_top, line_bottom)
                    loose.pop(b)
                    merged = True
                    break
            if merged:
                break
    line_height = max(1, line_bottom - line_top)
    glyphs = [Glyph(np.isin(labels, group), box, sign_of(box, [_box(slices[i - 1]) for i in group],
                                                         [_part(labels, i, box) for i in group], line_top, line_bottom))
              for group, box in sorted(zip(groups, boxes, strict=True), key=lambda pair: pair[1][2])]
    glyphs = _attach_fragments(glyphs, line_height)
    signs = find_slashes([glyph.mask for glyph in glyphs], [glyph.separator for glyph in glyphs])
    return [Glyph(glyph.mask, glyph.box, sign) for glyph, sign in zip(glyphs, signs, strict=True)]


def _line_marks(ink_pixels: np.ndarray, smoothed_ink: np.ndarray, label: str,
                quick_look: bool = False) -> tuple[np.ndarray, list[int]]:
    """(int [h, w] the ink's connected marks, labelled; the labels of those on the line of writing, left to right).

    Args:
        quick_look: a first look at low resolution, for the writing's stroke width only: writing that touches a
            shadow along the edge is not taken out of the shadow's mark (`_free_writing_from_shadows`), and a
            second line of writing is not refused (at that resolution a digit's parts can look like one).
    """
    labels, count = ndimage.label(ink_pixels, structure=np.ones((3, 3), dtype=bool))
    ink_labels = labels[ink_pixels]
    sizes = np.bincount(ink_labels, minlength=count + 1)
    freed = None if quick_look else _free_writing_from_shadows(ink_pixels, labels, sizes)
    if freed is not None:
        ink_pixels = freed
        labels, count = ndimage.label(ink_pixels, structure=np.ones((3, 3), dtype=bool))
        ink_labels = labels[ink_pixels]
        sizes = np.bincount(ink_labels, minlength=count + 1)
    masses = np.bincount(ink_labels, weights=smoothed_ink[ink_pixels], minlength=count + 1)
    return labels, _line_of_writing(labels, sizes, masses, label, refuse_second_line=not quick_look)


def _part(labels: np.ndarray, index: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """bool [box height, box width]: the pixels of mark `index` (of `labels`) within `box`."""
    return labels[box[0] : box[1], box[2] : box[3]] == index


def _free_writing_from_shadows(ink_pixels: np.ndarray, labels: np.ndarray, sizes: np.ndarray) -> np.ndarray | None:
    """bool [h, w]: `ink_pixels` less the bodies of shadows that writing touches; None when there is none.

    The paper's closing cannot follow a shadow that is narrower than its window along the image's edge,
    so the shadow counts as ink, and a digit written up to its edge becomes part of the shadow's mark and
    would be left out with it ("938524" read as "938"). A shadow is broad where strokes are thin: what a
    square of `SHADOW_BODY` stroke widths fits inside (the image's border continuing it) is its body,
    taken out with a stroke's width around it. Of what is left, only pieces as tall as writing stay: the
    shadow's ragged rim goes too.
    """
    contact = _border_contact(labels, len(sizes))
    marks = sizes >= _min_size(labels.shape)
    marks[0] = False
    if not (marks & (contact > 0)).any():  # the common case: no mark at the border, no shadow
        return None
    slices = ndimage.find_objects(labels)
    inner = np.flatnonzero(marks & (contact == 0))
    shadows = [i for i in np.flatnonzero(marks & (contact > 0))
               if _stray(_box(slices[i - 1]), int(sizes[i]), int(contact[i]), labels.shape)]
    if not shadows or not inner.size:
        return None
    stroke = max(stroke_width(np.isin(labels, inner)), 1.0)
    tallest = max(slices[i - 1][0].stop - slices[i - 1][0].start for i in inner)
    square = np.ones((int(SHADOW_BODY * stroke) + 3,) * 2, dtype=bool)
    freed = ink_pixels.copy()
    for i in shadows:
        top, bottom, left, right = _box(slices[i - 1])
        mark = labels[top:bottom, left:right] == i
        pad = square.shape[0]
        height, width = labels.shape
        pads = ((pad * (top == 0), pad * (bottom == height)), (pad * (left == 0), pad * (right == width)))
        body = ndimage.binary_opening(np.pad(mark, pads, constant_values=True), structure=square)
        body = ndimage.binary_dilation(body, iterations=round(stroke))
        body = body[pads[0][0] : body.shape[0] - pads[0][1], pads[1][0] : body.shape[1] - pads[1][1]]
        if not body.any():
            continue
        pieces, count = ndimage.label(mark & ~body, structure=np.ones((3, 3), dtype=bool))
        writing = np.zeros(count + 1, dtype=bool)
        writing[1:] = [piece[0].stop - piece[0].start >= WRITING_HEIGHT * tallest
                       for piece in ndimage.find_objects(pieces)]
        freed[top:bottom, left:right] &= ~(mark & ~writing[pieces])
    return freed


def _min_size(shape: tuple[int, int]) -> int:
    """The fewest pixels a mark has to be more than a speck."""
    return max(3, int(2e-4 * shape[0] * shape[1]))


def _border_contact(labels: np.ndarray, count: int) -> np.ndarray:
    """int [count]: how many pixels of each mark lie on the image's border."""
    return np.bincount(np.r_[labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]], minlength=count)


def _attach_fragments(glyphs: list[Glyph], line_height: int) -> list[Glyph]:
    """A small piece (no separator) right beside a glyph is part of it: a pencil stroke's gap, a flick."""
    result: list[Glyph] = []
    for glyph in glyphs:
        fragment = not glyph.separator and glyph.height < 0.4 * line_height and glyph.width < 0.4 * line_height
        if fragment and result and not result[-1].separator and glyph.box[2] - result[-1].box[3] < 0.15 * line_height:
            previous = result.pop()
            glyph = Glyph(previous.mask | glyph.mask, _union([previous.box, glyph.box]))
        elif result and not glyph.separator and result[-1].height < 0.4 * line_height and not result[-1].separator and \
                glyph.box[2] - result[-1].box[3] < 0.15 * line_height:
            previous = result.pop()
            glyph = Glyph(previous.mask | glyph.mask, _union([previous.box, glyph.box]))
        result.append(glyph)
    return result


def digit_mask(ink_pixels: np.ndarray, smoothed_ink: np.ndarray, label: str = "<image>",
               quick_look: bool = False) -> np.ndarray:
    """bool [h, w]: all the glyphs of the line of writing as one mask (one digit, when there is one): its marks,
    without telling glyphs and signs apart. `quick_look`: see `_line_marks`.

    Raises:
        DigitnetError: only specks of noise are ink, or (unless `quick_look`) there is a second line of writing.
    """
    labels, line = _line_marks(ink_pixels, smoothed_ink, label, quick_look)
    return np.isin(labels, line)
