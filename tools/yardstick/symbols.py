"""Stroke templates of things that are not digits: letters, symbols and simple shapes.

Same spec format as templates.py (y down, height ~100).  Letters were chosen so that no
person would read them as a digit: no O, I, l, S, Z, B, G, g, q, b, T (0, 1, 5, 2, 8, 6, 9, 7).
Shapes avoid plain circles and vertical bars (0 and 1).  Wide symbols (=, +, arrows) are
normalised by their larger side ("max"), letters by height.
"""

from __future__ import annotations

import math

from .strokes import ellipse

C = "c"

LETTER_TEMPLATES: dict[str, list] = {
    "A": [[(0, 100), (30, 0, C), (60, 100)], [(13, 60), (48, 60)]],
    "E": [[(55, 0), (5, 0, C), (5, 100, C), (58, 100)], [(5, 50), (45, 50)]],
    "F": [[(58, 0), (5, 0, C), (5, 100)], [(5, 48), (45, 48)]],
    "H": [[(5, 0), (5, 100)], [(57, 0), (57, 100)], [(5, 50), (57, 50)]],
    "K": [[(5, 0), (5, 100)], [(55, 0), (8, 55, C), (58, 100)]],
    "M": [[(0, 100), (6, 0, C), (36, 65, C), (66, 0, C), (72, 100)]],
    "N": [[(5, 100), (5, 0, C), (58, 100, C), (58, 0)]],
    "R": [[(5, 100), (5, 0, C), (35, 0), (55, 12), (55, 36), (35, 50), (5, 50, C), (55, 100)]],
    "W": [[(0, 0), (18, 100, C), (40, 30, C), (62, 100, C), (80, 0)]],
    "X": [[(5, 0), (60, 100)], [(60, 0), (5, 100)]],
    "#": [[(28, 0), (18, 100)], [(58, 0), (48, 100)], [(0, 32), (76, 32)], [(0, 68), (74, 68)]],
    "?": [[(5, 22), (20, 3), (40, 0), (58, 12), (56, 35), (36, 52), (33, 74)], [(31, 93), (35, 99)]],
    "%": [[(62, 0), (4, 100)], ellipse(14, 16, 12, 15, -90, 280), ellipse(54, 84, 12, 15, -90, 280)],
    "&": [[(64, 100), (22, 42), (16, 18), (28, 2), (42, 10), (40, 30), (8, 64), (12, 92), (32, 100), (52, 86),
           (64, 64)]],
    "@": [ellipse(42, 52, 14, 17, 0, 365) + [(56, 50), (56, 66), (66, 72), (78, 62), (82, 44), (74, 20), (52, 5),
                                             (26, 8), (8, 30), (6, 64), (22, 88), (48, 97), (70, 90)]],
    "*": [[(36, 0), (36, 100)], [(0, 28), (72, 72)], [(0, 72), (72, 28)]],
    "+": [[(40, 0), (40, 80)], [(0, 40), (80, 40)]],
    "=": [[(0, 0), (80, 0)], [(0, 30), (80, 30)]],
}
LETTERS_BY_MAX = {"+", "=", "*", "#"}
FONT_LETTERS = "AEFHKMNRWX#?%&@*+="


def _star() -> list:
    pts = [(50 + 50 * math.cos(math.radians(-90 + 144 * k)), 50 + 50 * math.sin(math.radians(-90 + 144 * k)), C)
           for k in range(6)]
    return [pts]


def _arrow(angle: float) -> list:
    """An arrow pointing at `angle` degrees (0 = right); only sideways and diagonal, never straight up or down."""
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)

    def rot(x, y, corner=False):
        p = (50 + x * ca - y * sa, 50 + x * sa + y * ca)
        return p + (C,) if corner else p

    return [[rot(-50, 0), rot(50, 0)], [rot(22, -20), rot(50, 0, True), rot(22, 20)]]


def _hatch(n: int) -> list:
    """n vertical and n horizontal lines crossing: a grid like tic-tac-toe, denser."""
    step = 100 / (n + 1)
    return ([[(step * (k + 1), 0), (step * (k + 1) + 4, 100)] for k in range(n)]
            + [[(0, step * (k + 1)), (100, step * (k + 1) - 3)] for k in range(n)])


SHAPE_TEMPLATES: dict[str, list] = {
    "star": _star(),
    "triangle": [[(50, 0), (100, 86, C), (0, 86, C), (50, 0)]],
    "square": [[(0, 2), (98, 0, C), (100, 98, C), (2, 100, C), (0, 2)]],
    "heart": [[(50, 28, C), (38, 6), (16, 4), (2, 26), (14, 58), (50, 96, C), (86, 58), (98, 26), (84, 4), (62, 6),
               (50, 28)]],
    "arrow_right": _arrow(0),
    "arrow_left": _arrow(180),
    "arrow_diagonal": _arrow(-40),
    "cross_hatch": _hatch(4),
    "wave": [[(x, 50 + 22 * math.sin(x / 100 * 3 * 2 * math.pi)) for x in range(0, 101, 6)]],
    "house": [[(10, 100), (10, 45, C), (50, 5, C), (90, 45, C), (90, 100, C), (10, 100)], [(40, 100), (40, 70, C),
                                                                                          (60, 70, C), (60, 100)]],
}
