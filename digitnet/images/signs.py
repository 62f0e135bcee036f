"""What a mark that is no digit writes in a number: a point, a comma, a colon, a dash, a slash, a plus or a
percent sign.

Each is told by its shape and its place on the line of writing (`line_top` to `line_bottom`, in working
pixels), never by the classifier: a small round mark low on the line is a decimal point (or a comma), two
dots one above the other a colon (a time's "12:30"), a short, flat, straight mark halfway up a dash (or,
before the digits, a minus; a wavy one is a tilde, no sign), a small cross halfway up a plus ("+44"), a
straight stroke leaning far more than the digits beside it a slash (a date's "3/4/26"), and two small marks at
opposite corners of such a stroke a percent sign ("50%"). Brackets round a number (`bracket_ends`) and small marks
high on the line (`high_marks`: a degree sign, a quotation mark, an exponent) are told too, so that the number is
refused rather than read with them as digits. Boxes are (top, bottom, left, right), bottom/right exclusive.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digitnet.images.ink import stroke_width

Box = tuple[int, int, int, int]

# A point is no longer than this share of the line's height either way (a typed full stop is a quarter of the
# digits' height, and more once anti-aliased); a comma, at least COMMA_ASPECT times as tall as wide, may be as
# tall as COMMA_HEIGHT, its tail below the digits making the line taller too (a typed "1,234").
POINT_SIZE = 0.3
COMMA_HEIGHT = 0.45
COMMA_ASPECT = 1.5
DOT_FLATNESS = 1.5  # a small low mark at most this many times as wide as tall is a dot, never part of a digit
# A dash is at least this many times as wide as tall, thinner than a third of the line and wider than a fifth,
# with its middle in the line's middle band: a 5's or a 7's lifted bar is at the top, a 1's cut-off base at the
# bottom, and the bar of a 4 crosses its stem, so each of those still joins its digit.
DASH_FLATNESS = 1.6
# ... and straight: the ink centres of its columns stray from a straight line by less than this share of its
# length. A typed tilde strays 0.05-0.17 ("~8" read "-8" in all seven fonts tried), typed dashes and minus signs
# at most 0.04. A tilde is then writing, which no digit reads as.
DASH_WAVE = 0.06
# A slash leans at least this much (columns per row) both by itself and more than the number's other glyphs
# do (their median), and is a straight stroke (its ink's long axis at least SLASH_STRAIGHTNESS times its short
# one). On three development draws of the yardstick, no 1 in a number of 2-8 digits (471 of them) leaned more
# than 0.30 beyond the other digits (99% within 0.21); a slash drawn at 25 degrees from upright leans 0.47.
SLASH_LEAN = 0.4
SLASH_STRAIGHTNESS = 4.0
# A plus is a cross no taller or wider than this share of the line, with nearly all of its ink (PLUS_INK) on
# one row and one column of strokes that cross in its middle half: a 4, a crossed 7 or a letter t has ink off
# those strokes or crosses off centre.
PLUS_SIZE = 0.95
PLUS_INK = 0.9
# A cross's two strokes fill at most this share of its box (strokes a third of its side wide: 0.56); a dot fills
# more, and was read as a plus when it stood alone halfway up (a colon whose lower dot joined the digit before:
# an italic "12:30" read "12+30"). Beside a digit, such a dot still stays apart as a plus would (`loose_mark`):
# a colon's upper dot, until its lower one joins it.
PLUS_FILL = 0.6
# A percent sign is at least this share of the line's height; its slash runs within half a stroke's width of one
# straight line in this share of its rows, and its two small marks are each at most PERCENT_CIRCLE as tall ...
PERCENT_HEIGHT = 0.6
PERCENT_SLASH = 0.85
PERCENT_CIRCLE = 0.7
# ... and each a loop, its hole at least this share of its ink (the canvas pen, 16 px of 280, all but fills a small
# loop), or a blot apart from the slash.
PERCENT_HOLE = 0.03
# A loop less than this share of the line's height stays apart from a digit it does not overlap: a percent sign's
# loop, typed close to the digit before it, is not a part of that digit (in some fonts it is 0.63 of the line).
LOOP_SIZE = 0.7
# A number's first or last mark is a bracket, not a 1, when it is at least BRACKET_HEIGHT times as tall as the
# digits between (or as the other digit), reaches past them above and below, is at most half as wide as tall,
# and bows away from them by at least BRACKET_BOW of its height ("(" before them, ")" after). Typed brackets were
# 1.19-1.30 times as tall as the digit they held and bowed 0.14-0.20; on two development draws of the yardstick,
# of the 2,090 first and last digits of the numbers read, six were as tall, as narrow and reached past the others
# (four 1s, a 4, a 7): none bowed the bracket's way.
BRACKET_HEIGHT = 1.15
BRACKET_BOW = 0.07
# A mark at most HIGH_MARK_HEIGHT as tall as the line's tallest mark, lying wholly in the upper half of it, is no
# digit of the number but a degree sign, a quotation mark or an exponent: typed "25°" read "250" and "5'10"" read
# "511011". Typed, those marks were 0.41 of the digits' height or less; in the numbers of two development draws of
# the yardstick that were read no mark was so short and so high.
HIGH_MARK_HEIGHT = 0.55
SIGN_NAMES = {".": "a point", ",": "a comma", ":": "a colon", "-": "a dash", "/": "a slash", "+": "a plus sign",
              "%": "a percent sign"}  # what a refusal calls them


def sign_of(box: Box, parts: list[Box], part_masks: list[np.ndarray], line_top: int, line_bottom: int) -> str:
    """What a glyph writes if it is a sign (`digitnet.images.segment.Glyph.separator`), else "".

    Args:
        box: the glyph's box.
        parts: the boxes of its connected marks.
        part_masks: bool [box height, box width] each, the marks' pixels within the glyph's box.
        line_top, line_bottom: the line of writing's rows.
    """
    line_height = max(1, line_bottom - line_top)
    one_above_the_other = len(parts) == 2 and min(parts[0][1], parts[1][1]) <= max(parts[0][0], parts[1][0])
    if one_above_the_other and all(_dot_sized(part, line_height) for part in parts):
        return ":"
    if _point_like(box, line_top, line_bottom):
        return "," if box[1] - box[0] >= COMMA_ASPECT * (box[3] - box[2]) else "."
    mask = np.logical_or.reduce(part_masks)
    if _dash_like(box, line_top, line_bottom):
        return "" if _wavy(mask) else "-"  # a tilde is no sign the number can keep
    if _percent_like(mask, parts, part_masks, line_height):
        return "%"
    return "+" if _plus_like(box, mask, line_top, line_bottom) and mask.sum() <= PLUS_FILL * mask.size else ""


def loose_mark(box: Box, line_top: int, line_bottom: int, mask: np.ndarray | None = None) -> str:
    """How a mark stays apart from its neighbours (see `kept_apart`): "." for a mark round and small enough for a
    dot or a comma, "-" for a dash, and given `mask` (bool [h, w], its pixels in its box) "+" for a plus and "o"
    for a small loop (a percent sign's, beside a digit); else ""."""
    if _point_like(box, line_top, line_bottom, dot=True):
        return "."
    if _dash_like(box, line_top, line_bottom):
        return "-"
    if mask is None:
        return ""
    if box[1] - box[0] < LOOP_SIZE * (line_bottom - line_top) and _has_hole(mask):
        return "o"
    return "+" if _plus_like(box, mask, line_top, line_bottom) else ""


def kept_apart(a: Box, b: Box, loose_a: str, loose_b: str) -> bool:
    """Whether two marks that would be one digit by their places stay apart: a dot or a small loop unless they
    overlap horizontally (a percent sign's loop typed close to the digit before it), a dash or a plus unless
    they overlap by at least half its width."""
    overlap = min(a[3], b[3]) - max(a[2], b[2])
    if "." in (loose_a, loose_b) or "o" in (loose_a, loose_b):
        return overlap <= 0
    dashes = [box[3] - box[2] for box, loose in ((a, loose_a), (b, loose_b)) if loose in "-+" and loose]
    return bool(dashes) and overlap < 0.5 * min(dashes)


def _has_hole(mask: np.ndarray) -> bool:
    """Whether a mark (bool [h, w]) is a loop: the paper it encloses is at least PERCENT_HOLE of its ink."""
    return ndimage.binary_fill_holes(mask).sum() >= (1 + PERCENT_HOLE) * mask.sum()


def _small(box: Box, line_height: int) -> bool:
    """Whether a mark is shorter than POINT_SIZE of the line's height either way, as a point is."""
    return max(box[1] - box[0], box[3] - box[2]) < POINT_SIZE * line_height


def _dot_sized(box: Box, line_height: int) -> bool:
    """Whether a mark is as small and round as a dot, wherever it is on the line."""
    height, width = box[1] - box[0], box[3] - box[2]
    return _small(box, line_height) and width <= DOT_FLATNESS * height and height <= DOT_FLATNESS * width


def _point_like(box: Box, line_top: int, line_bottom: int, dot: bool = False) -> bool:
    """Whether a mark is a point or comma: small against the line's height (a comma's tail may make it taller, up
    to COMMA_HEIGHT), and low on the line; with `dot`, also no flatter than DOT_FLATNESS (not a dash)."""
    line_height = max(1, line_bottom - line_top)
    height, width = box[1] - box[0], box[3] - box[2]
    comma = width < POINT_SIZE * line_height and COMMA_ASPECT * width <= height < COMMA_HEIGHT * line_height
    round_enough = not dot or width <= DOT_FLATNESS * height
    return (_small(box, line_height) or comma) and round_enough and box[0] >= line_top + 0.55 * line_height


def _dash_like(box: Box, line_top: int, line_bottom: int) -> bool:
    """Whether a mark is a dash: short, thin and flat (DASH_FLATNESS), halfway up."""
    line_height = max(1, line_bottom - line_top)
    height, width, middle = box[1] - box[0], box[3] - box[2], (box[0] + box[1]) / 2
    return (width >= DASH_FLATNESS * height and height < 0.35 * line_height and 0.2 * line_height < width
            < line_height and line_top + 0.3 * line_height <= middle <= line_top + 0.7 * line_height)


def _wavy(mask: np.ndarray) -> bool:
    """Whether a flat mark (bool [h, w], cropped to its ink) is no straight stroke: its columns' ink centres stray
    from the straight line fitted through them by DASH_WAVE of its width or more, as a tilde's do."""
    columns = np.flatnonzero(mask.any(axis=0))
    if len(columns) < 3:
        return False
    ink = mask[:, columns]
    centres = (ink * np.arange(mask.shape[0])[:, None]).sum(axis=0) / ink.sum(axis=0)
    straight = np.polyval(np.polyfit(columns, centres, 1), columns)
    return float(np.abs(centres - straight).max()) >= DASH_WAVE * mask.shape[1]


def _plus_like(box: Box, mask: np.ndarray, line_top: int, line_bottom: int) -> bool:
    """Whether a glyph (its box, and bool [h, w] its pixels in that box) is a plus: a small cross halfway up."""
    line_height = max(1, line_bottom - line_top)
    height, width, middle = box[1] - box[0], box[3] - box[2], (box[0] + box[1]) / 2
    if not (max(height, width) <= PLUS_SIZE * line_height and 0.6 * height <= width <= 1.6 * height
            and line_top + 0.25 * line_height <= middle <= line_top + 0.75 * line_height):
        return False
    # the bar is the row with the most ink and the stem the column: they cross in the middle half, and each spans
    # most of the box (most digits have no such row and column, and are not looked at further; a 4 is) ...
    row_ink, column_ink = mask.sum(axis=1), mask.sum(axis=0)
    if not (row_ink.max() >= 0.6 * width and column_ink.max() >= 0.6 * height):
        return False
    row = round(np.flatnonzero(row_ink >= 0.8 * row_ink.max()).mean())  # the middle of the bar's rows
    column = round(np.flatnonzero(column_ink >= 0.8 * column_ink.max()).mean())
    if not (0.25 * height <= row < 0.75 * height and 0.25 * width <= column < 0.75 * width):
        return False
    # ... each a stroke wide; nearly all the ink is on them, and at each end (a quarter of the box) on the one arm
    # that reaches there: a 4's open top, a 6's or a 9's loop, a thick marker digit's blob have ink across
    reach = round(stroke_width(mask) / 2) + 1
    bar, stem = np.zeros_like(mask), np.zeros_like(mask)
    bar[max(row - reach, 0) : row + reach + 1] = True
    stem[:, max(column - reach, 0) : column + reach + 1] = True
    tall, wide = max(1, height // 4), max(1, width // 4)
    ends = ((mask[:tall], stem[:tall]), (mask[-tall:], stem[-tall:]), (mask[:, :wide], bar[:, :wide]),
            (mask[:, -wide:], bar[:, -wide:]))
    arms = all(end.any() and (end & band).sum() >= PLUS_INK * end.sum() for end, band in ends)
    return bool(arms and (mask & (bar | stem)).sum() >= PLUS_INK * mask.sum())


def _percent_like(mask: np.ndarray, parts: list[Box], part_masks: list[np.ndarray], line_height: int) -> bool:
    """Whether a glyph (bool [h, w], its pixels in its box; its marks' boxes and pixels as for `sign_of`) is a
    percent sign: a straight stroke leaning right from its bottom to its top (a slash) with a small loop left of
    it above the middle and another right of it below (a 2 has such a straight stroke too, but an open hook and
    a base). The marks may touch the slash: it is found as the straight line along the most ink and taken out.
    Only marks apart from the slash (three marks or more) may be blots instead of loops (a thick pen fills small
    loops; a bold 2's hook and base are blots too, but joined to it)."""
    height, width = mask.shape
    if height < PERCENT_HEIGHT * line_height or not 0.5 * height <= width <= 2.0 * height:
        return False
    # two loops, or three marks or more, the tallest a slash by itself: most digits have neither, and are not
    # looked at further (an 8 is)
    apart = len(parts) >= 3
    if apart:
        lean, straightness = lean_and_straightness(part_masks[int(np.argmax([box[1] - box[0] for box in parts]))])
        if lean < SLASH_LEAN or straightness < SLASH_STRAIGHTNESS:
            return False
    elif ndimage.label(ndimage.binary_fill_holes(mask) & ~mask)[1] < 2:
        return False
    reach = round(stroke_width(mask) / 2) + 1  # a stroke's half width, and a pixel
    rows = np.arange(height)
    # every line from a point on the bottom row to one on the top row leaning at least SLASH_LEAN: [lines, rows]
    bottoms, tops = np.meshgrid(np.linspace(0, 0.6 * width, 16), np.linspace(0.4 * width, width - 1, 16))
    steep = (tops - bottoms).ravel() >= SLASH_LEAN * height
    if not steep.any():
        return False
    up = (height - 1 - rows) / max(height - 1, 1)  # 0 on the bottom row, 1 on the top
    columns = bottoms.ravel()[steep, None] + (tops - bottoms).ravel()[steep, None] * up
    near = np.zeros(columns.shape, dtype=int)  # [lines, rows]: ink pixels within `reach` of each line
    for offset in range(-reach, reach + 1):
        near += mask[rows, np.clip(np.round(columns + offset).astype(int), 0, width - 1)]
    best = int(near.sum(axis=1).argmax())  # the line along the most ink: the slash's middle
    if (near[best] > 0).mean() < PERCENT_SLASH:
        return False
    line = columns[best]
    left_of_line = np.arange(width)[None, :] < (line[:, None] - reach - 1)
    rest = mask & (np.abs(np.arange(width)[None, :] - line[:, None]) > reach + 1)
    parts, count = ndimage.label(rest, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(parts.ravel(), minlength=count + 1)[1:]
    big = [k + 1 for k in range(count) if sizes[k] >= 0.05 * mask.sum()]
    if len(big) != 2:
        return False
    upper, lower = sorted(big, key=lambda k: np.nonzero(parts == k)[0].mean())
    return _round_mark(parts == upper, left_of_line, height, True, apart) and \
        _round_mark(parts == lower, ~left_of_line, height, False, apart)


def _round_mark(part: np.ndarray, side: np.ndarray, height: int, above: bool, blot: bool) -> bool:
    """Whether one of a percent sign's marks (bool, in the glyph's box) is where it belongs (mostly on `side` of
    the slash, above or below the middle) and is one: small, round, and a loop (it has a hole) or, if `blot`, a
    blot (it fills most of its box)."""
    rows, columns = np.nonzero(part)
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    tall, wide = bottom - top, right - left
    placed = (rows.mean() < 0.45 * height) if above else (rows.mean() > 0.55 * height)
    placed = placed and (part & side).sum() >= 0.7 * part.sum()
    shaped = tall <= PERCENT_CIRCLE * height and 0.5 * tall <= wide <= 2.0 * tall
    box = part[top:bottom, left:right]
    return bool(placed and shaped and (_has_hole(box) or (blot and box.sum() >= 0.6 * box.size)))


def find_slashes(masks: list[np.ndarray], signs: list[str]) -> list[str]:
    """The glyphs' signs (`signs`, "" for writing), with each straight stroke between two glyphs of writing that
    leans far more than they do (SLASH_LEAN) made a slash: "3/4/26" is a date, not "314126". Needs three glyphs
    of writing or more (`masks`: bool, each glyph's pixels)."""
    writing = [index for index, sign in enumerate(signs) if not sign]
    signs = list(signs)
    if len(writing) < 3:
        return signs
    shapes = {index: lean_and_straightness(masks[index]) for index in writing}
    for index in writing[1:-1]:
        lean, straightness = shapes[index]
        others = float(np.median([shapes[other][0] for other in writing if other != index]))
        if straightness >= SLASH_STRAIGHTNESS and lean >= SLASH_LEAN and lean - others >= SLASH_LEAN:
            signs[index] = "/"
    return signs


def lean_and_straightness(mask: np.ndarray) -> tuple[float, float]:
    """(How far a mark's ink leans right, in columns per row up; its long axis over its short one) from the
    ink's second moments: a straight stroke leans by the tangent of its angle from upright."""
    rows, columns = np.nonzero(mask)
    rows, columns = rows - rows.mean(), columns - columns.mean()
    covariance = np.cov(np.stack([columns, rows]), bias=True)
    short, long = np.linalg.eigvalsh(covariance)
    return float(-covariance[0, 1] / max(covariance[1, 1], 1e-9)), float(np.sqrt(long / max(short, 1e-9)))


def bracket_ends(masks: list[np.ndarray], boxes: list[Box]) -> list[int]:
    """Which ends of a number's marks (two or more, left to right: bool [h, w] masks on the working copy and their
    boxes) are brackets round it (see BRACKET_HEIGHT): a sublist of [0, len - 1]."""
    found = []
    for end, opening in ((0, True), (len(boxes) - 1, False)):
        between = boxes[1:-1] if len(boxes) >= 3 else [boxes[1 - end]]
        top, bottom, left, right = boxes[end]
        height = bottom - top
        if (right - left > height / 2 or height < BRACKET_HEIGHT * max(b[1] - b[0] for b in between)
                or top >= min(b[0] for b in between) or bottom <= max(b[1] for b in between)):
            continue
        bow = _bow(masks[end][top:bottom, left:right])
        if (bow if opening else -bow) >= BRACKET_BOW:
            found.append(end)
    return found


def _bow(crop: np.ndarray) -> float:
    """How far a stroke's middle lies left of its ends (right: negative), in its heights: the middle row of a
    parabola fitted through its rows' ink centres (bool [h, w], cropped to the ink)."""
    counts = crop.sum(axis=1)
    rows = np.flatnonzero(counts)
    if len(rows) < 5:
        return 0.0
    centres = (crop[rows] @ np.arange(crop.shape[1])) / counts[rows]
    span = float(rows[-1] - rows[0])
    curvature = np.polyfit((rows - rows.mean()) / span, centres, 2)[0]
    return float(curvature / 4 / span)


def high_marks(boxes: list[Box]) -> list[int]:
    """Which of a line's marks (their boxes) are small marks high on it, no digits (see HIGH_MARK_HEIGHT)."""
    top, bottom = max(boxes, key=lambda box: box[1] - box[0])[:2]
    return [i for i, box in enumerate(boxes)
            if box[1] - box[0] <= HIGH_MARK_HEIGHT * (bottom - top) and box[1] <= (top + bottom) / 2]


def signs_in_number(digit_centres: list[float], marks: list[tuple[float, str]]) -> dict[int, str]:
    """Which signs are part of a number, by the index of the digit after each.

    A sign counts when its centre lies between two neighbouring digits' centres; before the first digit only a
    dash (a minus) or a plus; after the last only a percent sign. Any other sign there is no part of the number
    (a full stop, an underline's stub).

    Args:
        digit_centres: the digits' horizontal centres, left to right.
        marks: (horizontal centre, sign) of each sign, in the same pixels.
    """
    signs: dict[int, str] = {}
    for centre, sign in marks:
        index = int(np.searchsorted(digit_centres, centre))
        inside = 0 < index < len(digit_centres)
        if inside or (index == 0 and sign in "-+") or (index == len(digit_centres) and sign == "%"):
            signs.setdefault(index, sign)
    return signs


def named(signs: list[str]) -> str:
    """The signs in words, each once, in the order given: "a point", "a dash and a slash"."""
    names = list(dict.fromkeys(SIGN_NAMES[sign] for sign in signs))
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
