"""A finished picture and the helpers that lay one mark out in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .capture import Look, choose_look, compose, image_size
from .marks import paste
from .pen import ink_box


@dataclass
class Picture:
    """An image ready to encode, its look and its labels.csv fields (without the file name)."""

    image: Image.Image
    look: Look
    row: dict = field(default_factory=dict)


def row_fields(kind: str, label: str, look: Look, source: str, variant: str, boxes: list,
               renderer: str = "procedural") -> dict:
    """The labels.csv columns every maker fills in (see make.COLUMNS).

    renderer says what drew the marks: "template:<names>", "font:<name>" or "procedural".
    """
    return {"kind": kind, "label": label, "style": look.style, "source": source, "variant": variant,
            "renderer": renderer,
            "digits": len(label) if kind != "not_digit" else 0, "boxes": json.dumps(boxes),
            "polarity": look.polarity, "transparent": look.transparent}


def single(style: str, rng: np.random.Generator, render: Callable[[Look, float], np.ndarray | None],
           frac: tuple[float, float] = (0.25, 0.8),
           pen_scale: float = 1.0) -> tuple[np.ndarray, Look, list[int]] | None:
    """Lay out one mark: choose size and look, render it, place it off-centre.

    render(look, size_px) returns a coverage crop (or None to give up).  The mark's size is a
    fraction frac of the image height, shrunk if the crop would not fit.  Brush widths follow
    size * pen_scale (below 1 for marks measured by their larger side, which are wider than
    tall, so that their strokes are not heavier than a digit's).  Returns
    (coverage float32 (H, W), look, ink box [x0, y0, x1, y1]) or None.
    """
    w, h = image_size(style, rng)
    size = rng.uniform(*frac) * h
    look = choose_look(style, rng, size * pen_scale)
    cov = render(look, size)
    for _ in range(3):
        if cov is None or (cov.shape[1] <= 0.94 * w and cov.shape[0] <= 0.96 * h):
            break
        size *= min(0.94 * w / cov.shape[1], 0.96 * h / cov.shape[0]) * 0.97
        cov = render(look, size)
    if cov is None or cov.shape[1] > w or cov.shape[0] > h:
        return None
    # Uniform over all positions that keep the mark inside: people rarely centre their digit.
    x = int(rng.integers(0, w - cov.shape[1] + 1))
    y = int(rng.integers(0, h - cov.shape[0] + 1))
    canvas = np.zeros((h, w), np.float32)
    paste(canvas, cov, x, y)
    box = ink_box(canvas, 0, 0)
    return canvas, look, box


def finish(canvas: np.ndarray, look: Look, rng: np.random.Generator, row: dict,
           background: np.ndarray | None = None) -> Picture:
    """Compose coverage into the final image for the look and wrap it with its row."""
    return Picture(compose(canvas, look, rng, background), look, row)
