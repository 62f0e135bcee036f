"""Marks inside the loops of other marks: a drawing's features, or a frame round the writing.

A glyph's mask (bool [h, w]) is split into its separate (8-connected) parts, and each part's loops (the holes
that filling it closes) are found. Two things are read from which parts lie inside which loops:

- `marks_in_one_loop`: a face's eyes and mouth lie inside its circle, which the network, seeing the circle,
  reads as a sure 0. No digit has two separate marks inside one of its loops.
- `frame_of`: a digit or a number written in a box or a circle, the frame's loop holding everything else.

Parts that have loops of their own are never counted as marks: the ink mask of a bold marker stroke can be its
outline alone, and an outlined 8 is a ring holding the rings round its two loops.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# A frame's content is at least this share of its loop's height: a dot or a scribble inside a 0 is no content.
FRAME_CONTENT = 0.4


@dataclass
class Parts:
    """A mask's separate parts and their loops.

    Attributes:
        labels: int [h, w], 0 off the mask, else the part's number (1 to count).
        count: how many parts.
        loops: (part, loop number) -> bool [h, w], each loop of each part: the area filling it closes.
    """

    labels: np.ndarray
    count: int
    loops: dict[tuple[int, int], np.ndarray]

    @classmethod
    def of(cls, mask: np.ndarray) -> Parts:
        labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
        return cls.of_labels(labels, count)

    @classmethod
    def of_labels(cls, labels: np.ndarray, count: int) -> Parts:
        """From the mask's parts already labelled (int [h, w], `count` of them)."""
        loops = {}
        for index in range(1, count + 1):
            part = labels == index
            labelled, loop_count = ndimage.label(ndimage.binary_fill_holes(part) & ~part)
            loops.update({(index, loop): labelled == loop for loop in range(1, loop_count + 1)})
        return cls(labels, count, loops)

    @property
    def ringed(self) -> set[int]:
        """The parts with at least one loop."""
        return {index for index, _ in self.loops}

    def inside(self, loop: np.ndarray) -> set[int]:
        """The parts with pixels in `loop` (bool [h, w])."""
        return set(np.unique(self.labels[loop]).tolist()) - {0}


def marks_in_one_loop(mask: np.ndarray) -> int:
    """The most separate parts of `mask` (bool [h, w]) without a loop of their own that lie in one loop of
    another part, each counted in the smallest loop that holds it: 3 for a face's eyes and mouth in its circle,
    0 for a digit."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count < 2:
        return 0  # most glyphs: one part
    parts = Parts.of_labels(labels, count)
    ringed = parts.ringed
    holder: dict[int, tuple[int, tuple[int, int]]] = {}  # a part without loops -> (area, the smallest loop holding it)
    for key, loop in parts.loops.items():
        area = int(loop.sum())
        for index in parts.inside(loop) - ringed:
            if index not in holder or area < holder[index][0]:
                holder[index] = (area, key)
    return max(Counter(key for _, key in holder.values()).values(), default=0)


def frame_of(mask: np.ndarray, rings_alone: bool = False) -> np.ndarray | None:
    """The frame of writing in a box or a circle: the part of `mask` (bool [h, w]) one of whose loops holds
    every other part, at least one of them without a loop of its own (so that an outlined 0, 6 or 8, rings in
    a ring, is no frame; with `rings_alone`, also parts that all have loops: a 0 or an 8 in a box), together at
    least FRAME_CONTENT as tall as the loop. Returns the frame's pixels, bool [h, w], or None."""
    parts = Parts.of(mask)
    others = set(range(1, parts.count + 1))
    for (index, _), loop in parts.loops.items():
        content = others - {index}
        if not content or parts.inside(loop) != content or not (rings_alone or content - parts.ringed):
            continue
        rows = np.flatnonzero(np.isin(parts.labels, list(content)).any(axis=1))
        loop_rows = np.flatnonzero(loop.any(axis=1))
        if rows[-1] - rows[0] + 1 >= FRAME_CONTENT * (loop_rows[-1] - loop_rows[0] + 1):
            return parts.labels == index
    return None
