"""Where touching digits meet: cut paths through the thinnest ink, chosen by how surely the pieces read.

Neighbouring digits written quickly touch and even interlock (a 7's bar over the next digit), so one
connected glyph can hold several digits. As in the classic reading of handwritten numeral strings: cut
candidates are paths from the top of the glyph to its bottom that cross as little ink as they can ("drop
fall" paths found by dynamic programming, free to bend around a slanted stroke), started at the thinnest
columns and at regular steps; every piece between two candidate cuts (up to three cuts apart) is prepared
and classified in one batch; and the chain of pieces whose digits are together the surest wins, the
uncut glyph included, so a single digit is only cut when its pieces are clearly surer digits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from digitnet.images.fit import CANVAS_SIZE
from digitnet.images.signs import lean_and_straightness

INK_COST = 8.0  # crossing one ink pixel costs as much as this many steps through paper
SIDESTEP = 2.0  # a step sideways costs as much as this many steps straight down
CENTRE_PULL = 2.0  # ... and every row spent `reach` columns from the start as many more: a cut stays local
# Besides the thinnest columns, a cut is tried every STEP line heights, no two starting closer than SPACING,
# and a piece lies between cuts at most MAX_SPAN apart. Denser cuts (0.1, 0.06, 10) read 15.8% of the
# touching numbers of a development draw instead of 11.5%, but took 95 ms for a 6-digit photo, not 28.
STEP = 0.3
SPACING = 0.12
MAX_SPAN = 4
NOT_DIGIT_SCORE = 0.01  # a piece that is not a digit counts this much (a chain through it only if no other)
CUT_PRICE = 1.0  # every cut made multiplies a chain's score by this: a glyph is one digit unless shown otherwise
STROKES_CROSSED = 2.0  # ... and by exp(-ink crossed / (this many stroke widths)): digits touch, they seldom cross
WIDEST_DIGIT = 0.7  # a digit is seldom wider than the line is tall ...
TOO_WIDE = 5.0  # ... a piece wider than that counts exp(-this * excess width in line heights): likely two digits
# A piece that reads as a 0 may be as wide as this: written round, it is still one digit. (With 0.7 for it too,
# round 0s in numbers were cut into a "6" and a "7". On two development draws 1.0 read 4 more numbers with
# gaps right and split 2 fewer single 0s; the only other change was one wrong reading for another.)
WIDEST_ZERO = 1.0
# Neighbouring 1s that lean opposite ways by this much ("/" beside "\", in columns per row) are the strokes of a V,
# a W or a zigzag cut at its points, not digits (in the canvas a V read as "11" and a zigzag as "11111"). On three
# development draws no two neighbouring 1s of a number read right leaned more than 0.20 apart (54 pairs); the
# canvas's V, W and zigzag lean 0.74 to 1.0 apart.
OPPOSITE_LEAN = 0.5


def cut_paths(mask: np.ndarray, centres: list[float], reach: int) -> np.ndarray:
    """Top-to-bottom cuts, one around each centre: in every row, the column of the path within `reach`
    columns of its centre that crosses the least ink, moving at most one column per row. One pass of the
    dynamic programme over the rows serves every cut (a glyph has ten or twenty, and a pass per cut cost 2 ms
    of reading a 6-digit number); each cut is the same as if it were found alone.

    Args:
        mask: bool [h, w], the glyph.
        centres: the columns the cuts start around.
        reach: how many columns either side of its centre a cut may pass.
    Returns:
        float [len(centres), h]: each cut's column in every row (the pixel column left of which is the left
        piece).
    """
    height, width = mask.shape
    centre = np.asarray(centres, dtype=float)[:, None]
    columns = centre.astype(np.intp) + np.arange(-reach, reach + 1)[None, :]  # [cuts, window] of each cut
    pull = CENTRE_PULL * np.abs(columns - centre) / max(reach, 1)
    cost = INK_COST * mask[:, np.clip(columns, 0, width - 1)] + 1.0 + pull
    cost = np.where((columns >= 0) & (columns < width), cost, np.inf)  # [h, cuts, window]: the glyph only
    cuts, window = columns.shape
    moves = np.zeros((height, cuts, window), dtype=np.int8)
    # best of the three cells above: from the left (-1), straight (0), from the right (+1), the first of equals
    # in that order; a sideways step costs extra, so the cut leans with a slanted gap but does not creep along a
    # stroke's edge
    from_left, from_right = np.full((cuts, window), np.inf), np.full((cuts, window), np.inf)
    total = cost[0].copy()
    for row in range(1, height):
        np.add(total[:, :-1], SIDESTEP, out=from_left[:, 1:])
        np.add(total[:, 1:], SIDESTEP, out=from_right[:, :-1])
        straight = total < from_left
        best = np.where(straight, total, from_left)
        right = from_right < best
        moves[row] = np.where(right, 1, np.where(straight, 0, -1))
        total = cost[row] + np.where(right, from_right, best)
    paths = np.empty((cuts, height), dtype=float)
    position = np.argmin(total, axis=1)
    every = np.arange(cuts)
    for row in range(height - 1, -1, -1):
        paths[:, row] = columns[every, position]
        position = position + moves[row, every, position]
    return paths


def candidate_cuts(mask: np.ndarray, line_height: float) -> list[np.ndarray]:
    """Cut paths to try, left to right: at the thinnest columns and every STEP line heights."""
    height, width = mask.shape
    margin = max(2, int(0.12 * line_height))
    if width <= 2 * margin:
        return []
    profile = np.convolve(mask.sum(axis=0).astype(float), np.ones(3) / 3, mode="same")
    inner = np.arange(margin, width - margin)
    minima = [c for c in inner if profile[c] <= profile[max(c - 1, 0)] and profile[c] <= profile[min(c + 1, width - 1)]]
    steps = list(np.arange(margin, width - margin, max(2, int(STEP * line_height))))
    chosen: list[int] = []
    for column in sorted(minima, key=lambda c: profile[c]) + steps:
        if all(abs(column - c) >= max(2, int(SPACING * line_height)) for c in chosen):
            chosen.append(int(column))
    reach = max(2, int(0.2 * line_height))
    columns = np.arange(width)[None, :]
    paths: list[np.ndarray] = []
    partitions: set[bytes] = set()
    for path in cut_paths(mask, sorted(chosen), reach) if chosen else []:
        left = mask & (columns < path[:, None])
        partition = np.packbits(left).tobytes()
        # paths that split the ink alike are one cut, whatever paper they cross (most of the dense starts)
        if partition not in partitions and left.any() and (mask & ~left).any():
            partitions.add(partition)
            paths.append(path)
    return sorted(paths, key=np.mean)


def spelled_chain(mask: np.ndarray, line_height: float, read: Callable[[list[np.ndarray]], list],
                  digits: list[int], stroke: float = 2.0) -> list:
    """The pieces of a glyph that read best as `digits`, left to right (another reader's spelling of it).

    Like `best_chain`, over the same candidate pieces, but a chain must have exactly one piece per digit of
    `digits`, and a piece counts by the classifier's probability of the digit it must be.

    Returns:
        The readings of the chosen pieces, or [] when no chain of len(digits) pieces exists.
    """
    last, readings, fits = _candidate_pieces(mask, line_height, read, stroke, whole=False)
    best: dict[tuple[int, int], tuple[float, list]] = {(0, 0): (1.0, [])}
    for (i, j), reading in sorted(readings.items(), key=lambda item: item[0][1]):
        for k in range(len(digits)):
            if (i, k) not in best:
                continue
            score = best[(i, k)][0] * float(reading.probabilities[digits[k]]) * (1.0 - reading.not_digit) * fits[(i, j)]
            if (j, k + 1) not in best or score > best[(j, k + 1)][0]:
                best[(j, k + 1)] = (score, [*best[(i, k)][1], reading])
    return best.get((last, len(digits)), (0.0, []))[1]


def _between(mask: np.ndarray, left: np.ndarray | None, right: np.ndarray | None) -> np.ndarray:
    """The pixels of `mask` right of cut `left` and left of cut `right` (None: the glyph's own edge)."""
    columns = np.arange(mask.shape[1])[None, :]
    piece = mask.copy()
    if left is not None:
        piece &= columns >= left[:, None]
    if right is not None:
        piece &= columns < right[:, None]
    return piece


def _crossed(mask: np.ndarray, path: np.ndarray | None) -> int:
    """How many ink pixels a cut path runs through (0 for the glyph's own edge)."""
    if path is None:
        return 0
    columns = np.clip(path.astype(int), 0, mask.shape[1] - 1)
    return int(mask[np.arange(mask.shape[0]), columns].sum())


def _ink_width(piece: np.ndarray) -> int:
    """The width in pixels of a piece's ink (0 for none)."""
    columns = np.flatnonzero(piece.any(axis=0))
    return int(columns[-1] + 1 - columns[0]) if len(columns) else 0


def _width_fit(width: float, reading) -> float:
    """1 for a piece no wider than its digit can be, less the wider it is (`width` in line heights)."""
    widest = WIDEST_ZERO if reading.is_digit and reading.digit == 0 else WIDEST_DIGIT
    return float(np.exp(-TOO_WIDE * max(width - widest, 0.0)))


def _candidate_pieces(mask: np.ndarray, line_height: float, read: Callable[[list[np.ndarray]], list],
                      stroke: float, whole: bool) -> tuple[int, dict, dict]:
    """Every piece between two candidate cuts at most MAX_SPAN apart (and the glyph uncut if `whole`), read in
    one batch. Returns (index of the glyph's right edge, {(i, j): reading} of the pieces with ink, and
    {(i, j): the piece's fit}: how well its width suits its digit times the price of the cut on its left)."""
    cuts = [None, *candidate_cuts(mask, line_height), None]
    last = len(cuts) - 1
    spans = {(i, j) for i in range(last) for j in range(i + 1, min(len(cuts), i + MAX_SPAN + 1))}
    if whole:
        spans.add((0, last))
    spans = sorted(spans)
    pieces = [_between(mask, cuts[i], cuts[j]) for i, j in spans]
    keep = [k for k, piece in enumerate(pieces) if piece.any()]
    readings = {span: reading for span, reading in zip([spans[k] for k in keep], read([pieces[k] for k in keep]),
                                                       strict=True) if reading is not None}
    cut_price = [CUT_PRICE * np.exp(-_crossed(mask, path) / (STROKES_CROSSED * max(stroke, 1.0))) for path in cuts]
    widths = {span: _ink_width(piece) / max(line_height, 1.0) for span, piece in zip(spans, pieces, strict=True)}
    fits = {(i, j): _width_fit(widths[(i, j)], reading) * (cut_price[i] if i > 0 else 1.0)
            for (i, j), reading in readings.items()}
    return last, readings, fits


def best_chain(mask: np.ndarray, line_height: float, read: Callable[[list[np.ndarray]], list],
               stroke: float = 2.0) -> list:
    """The pieces of a glyph, read left to right, that together make the surest digits.

    Args:
        mask: bool [h, w], the glyph.
        line_height: the height of the line of writing in pixels (how wide a digit can be).
        read: reads a list of piece masks in one batch, giving for each a reading with `digit`, `score`
            and `is_digit` (or None for a piece without ink).
        stroke: the strokes' width in pixels.
    Returns:
        The readings of the chosen pieces (one: the glyph was left whole).
    """
    last, readings, fits = _candidate_pieces(mask, line_height, read, stroke, whole=True)
    best: dict[int, tuple[float, list]] = {0: (1.0, [])}
    for (i, j), reading in sorted(readings.items(), key=lambda item: item[0][1]):
        if i not in best:
            continue
        score = best[i][0] * (reading.score if reading.is_digit else NOT_DIGIT_SCORE * reading.score) * fits[(i, j)]
        if j not in best or score > best[j][0]:
            best[j] = (score, [*best[i][1], reading])
    return best.get(last, (0.0, []))[1]


def opposite_ones(readings: list) -> bool:
    """Whether two neighbouring readings (each with `digit` and `pixels`, float32 [784], the 28x28 the classifier
    saw) are 1s that lean opposite ways (OPPOSITE_LEAN)."""
    leans = [lean_and_straightness(item.pixels.reshape(CANVAS_SIZE, CANVAS_SIZE) > 0.3)[0] if item.digit == 1 else None
             for item in readings]
    pairs = zip(leans, leans[1:], strict=False)
    return any(a is not None and b is not None and abs(a - b) >= OPPOSITE_LEAN for a, b in pairs)
