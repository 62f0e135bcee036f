"""Hand-designed pen-stroke templates of the ways people write each digit.

Every template is a list of specs (one per pen-down), written in a box about 60 wide and
100 tall with y pointing down; see strokes.py for the spec format (points, "c" = corner).
They were drawn on graph paper from how people actually write (including the European
1 and crossed 7) and checked on contact sheets: each must read as its digit instantly even
after the random pose and jitter that strokes.instance() adds.

DIGIT_TEMPLATES maps a digit (int) to a dict {template name: list of specs}.
"""

from __future__ import annotations

from .strokes import ellipse

C = "c"

DIGIT_TEMPLATES: dict[int, dict[str, list]] = {
    0: {
        # A closed oval with a small overlap where the pen comes back to the top.
        "oval_0": [ellipse(30, 50, 28, 50, -80, -80 - 372)],
        # The pen stops a little before it reaches the start: a gap at the top right.
        "open_0": [ellipse(30, 50, 27, 50, -110, -110 - 335)],
        # Narrow, slightly pointed at the top, as written fast.
        "narrow_0": [[(30, 1), (16, 12), (10, 45), (15, 85), (28, 100), (42, 88), (46, 50), (42, 14), (31, 0),
                      (26, 4)]],
    },
    1: {
        "stroke_1": [[(30, 0), (29, 55), (28, 100)]],
        "flag_1": [[(17, 18), (31, 0, C), (30, 50), (29, 100)]],
        # European 1: flag and a base.
        "flagged_based_1": [[(15, 19), (30, 0, C), (30, 50), (29, 100)], [(12, 100), (46, 100)]],
    },
    2: {
        "plain_2": [[(6, 26), (16, 6), (34, 0), (52, 9), (56, 28), (46, 52), (24, 77), (4, 100, C), (60, 98)]],
        # A small loop where the diagonal meets the base.
        "loop_2": [[(6, 26), (16, 6), (34, 0), (52, 9), (56, 28), (46, 52), (28, 72), (16, 86), (8, 98),
                    (16, 103), (26, 96), (22, 84), (12, 86), (12, 96), (30, 100), (60, 96)]],
        # A curved neck and a soft, rounded turn into the base ("swan" 2).
        "swan_2": [[(4, 20), (18, 3), (36, 0), (52, 12), (50, 36), (32, 62), (10, 88), (8, 98), (22, 96),
                    (42, 97), (62, 100)]],
    },
    3: {
        "round_3": [[(6, 16), (22, 2), (40, 1), (54, 12), (52, 30), (38, 44), (26, 47, C), (44, 50), (58, 64),
                     (58, 84), (42, 99), (20, 99), (4, 86)]],
        # Flat top like a Z, then one round bowl.
        "flat_3": [[(6, 2), (58, 2, C), (26, 40, C), (46, 43), (60, 60), (58, 84), (40, 99), (18, 98), (4, 86)]],
        # Two bowls meeting in a pointed middle the pen retraces.
        "cusp_3": [[(8, 12), (26, 0), (46, 4), (52, 20), (44, 36), (22, 48, C), (46, 54), (60, 72), (52, 93),
                    (30, 101), (8, 92)]],
    },
    4: {
        # Open top: the down stroke and the stem never meet.
        "open_4": [[(30, 0), (6, 64, C), (62, 64)], [(46, 24), (46, 100)]],
        # Closed triangle, one stroke: up the stem, down the diagonal, across.
        "closed_4": [[(44, 100), (44, 0, C), (2, 66, C), (62, 66)]],
        # Two parallel uprights: an L and a long stem crossing the bar.
        "square_4": [[(8, 0), (6, 56, C), (60, 56)], [(44, 6), (44, 100)]],
    },
    5: {
        # Body first, top bar added after lifting the pen (often not touching).
        "lifted_5": [[(14, 2), (10, 44, C), (28, 38), (48, 42), (58, 60), (54, 84), (36, 99), (16, 98), (2, 88)],
                     [(16, 2), (56, 0)]],
        "one_stroke_5": [[(56, 2), (16, 2, C), (12, 44, C), (30, 38), (50, 44), (58, 64), (52, 86), (32, 99),
                          (12, 96), (2, 86)]],
        # Round-bellied 5 with a short flag.
        "round_5": [[(12, 0), (10, 42, C), (36, 36), (56, 52), (56, 80), (38, 98), (14, 98), (2, 86)],
                    [(12, 0), (48, 1)]],
    },
    6: {
        "loop_6": [[(50, 4), (34, 0), (16, 16), (6, 46), (6, 76), (20, 97), (40, 99), (54, 84), (54, 66), (40, 54),
                    (22, 56), (8, 70)]],
        # Straight diagonal stem into a round loop.
        "straight_6": [[(46, 0), (12, 58)] + ellipse(30, 76, 22, 23, 185, 185 + 355)],
        "curl_6": [[(54, 10), (40, 0), (22, 8), (10, 34), (6, 64), (14, 90), (32, 100), (50, 90), (54, 70),
                    (42, 56), (24, 58), (10, 74)]],
    },
    7: {
        "plain_7": [[(4, 2), (60, 2, C), (24, 100)]],
        "crossed_7": [[(4, 2), (60, 2, C), (24, 100)], [(22, 50), (56, 49)]],
        # Curved (hooked) stem.
        "hooked_7": [[(4, 6), (60, 0, C), (44, 36), (34, 68), (32, 100)]],
        # A small down-tick at the start of the bar.
        "serif_7": [[(6, 16), (4, 2, C), (60, 3, C), (26, 100)]],
    },
    8: {
        # Two loops drawn separately ("snowman").
        "snowman_8": [ellipse(30, 24, 19, 24, -90, -90 + 365), ellipse(30, 73, 25, 27, -90, -90 + 365)],
        # One continuous figure-eight stroke: S down, then back up.
        "s_8": [[(50, 14), (30, 0), (10, 12), (14, 32), (34, 48), (54, 66), (50, 90), (30, 100), (10, 90),
                 (8, 68), (28, 48), (48, 32), (50, 14), (40, 4)]],
        # Top loop drawn, then the bottom loop hangs from the crossing.
        "stack_8": [[(44, 6), (28, 0), (12, 10), (14, 30), (30, 44), (48, 30), (48, 10), (34, 0)],
                    ellipse(30, 72, 24, 28, -90, -90 + 365)],
    },
    9: {
        "straight_9": [ellipse(30, 26, 22, 24, -5, -5 - 372) + [(52, 24), (52, 100)]],
        "curved_9": [ellipse(30, 26, 22, 24, -5, -5 - 372) + [(52, 24), (52, 60), (46, 88), (30, 100), (12, 94)]],
        # Stem leaning out diagonally.
        "diag_9": [ellipse(30, 27, 22, 25, -5, -5 - 365) + [(52, 26), (38, 100)]],
    },
}
