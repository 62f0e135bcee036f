"""Draw strokes or font glyphs with a pen, giving ink coverage.

Everything here returns a *coverage crop*: float32 (h, w) in [0, 1] (1 = full ink) plus the
integer pixel position (x0, y0) of its top-left corner in the image.  Colour, paper and
camera come later (capture.py), so the same coverage can be any style and each digit of a
number can be rendered on its own (its bounding box is then exact).

Strokes are drawn with Pillow at 2-4x the final resolution and reduced (box filter), which is
how drawing apps anti-alias; pen textures (graphite grain, pressure) are applied at 1x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from . import fields
from .fonts import Font, render_mask
from .strokes import resample

PEN_KINDS = ("round", "pencil", "ballpoint", "fountain", "marker")


@dataclass(frozen=True)
class Pen:
    """How to put ink down.

    kind: one of PEN_KINDS.  width: line width in px (fountain pen: length of the nib edge).
    hairline: fountain pen's thinnest line in px.  nib_angle: fountain pen's nib edge angle,
    degrees anticlockwise from horizontal.  aliased: no anti-aliasing (some drawing apps).
    """

    kind: str
    width: float
    hairline: float = 1.0
    nib_angle: float = 40.0
    aliased: bool = False


def _crop_for(drawing: list[np.ndarray], margin: float) -> tuple[int, int, int, int]:
    allp = np.vstack(drawing)
    x0, y0 = np.floor(allp.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(allp.max(axis=0) + margin).astype(int)
    return int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1)


def _draw_round(d: ImageDraw.ImageDraw, pts: list, width: float) -> None:
    w = max(1, int(round(width)))
    r = width / 2
    if len(pts) > 1:
        d.line(pts, fill=255, width=w)
    # Pillow leaves slivers between the segments of a wide polyline and squares its ends, so
    # stamp a disc at every vertex (vertices are at most a sixth of the width apart).
    for x, y in pts:
        d.ellipse([x - r, y - r, x + r, y + r], fill=255)


def _draw_nib(d: ImageDraw.ImageDraw, pts: np.ndarray, nib: np.ndarray, hairline: float) -> None:
    # A broad nib sweeps a line segment along the path; the union of the parallelograms swept
    # over each small step is the calligraphic stroke, thick across the nib and hairline along it.
    for p0, p1 in zip(pts[:-1], pts[1:], strict=True):
        quad = [tuple(p0 - nib), tuple(p1 - nib), tuple(p1 + nib), tuple(p0 + nib)]
        d.polygon(quad, fill=255)
    _draw_round(d, [tuple(p) for p in pts], hairline)


def stroke_coverage(drawing: list[np.ndarray], pen: Pen, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Coverage crop of a drawing in image pixels (list of (N, 2) float arrays) drawn with pen.

    Returns (coverage float32 (h, w) in [0, 1], x0, y0).
    """
    reach = pen.width / 2 if pen.kind != "fountain" else pen.width / 2 + pen.hairline
    x0, y0, w, h = _crop_for(drawing, reach + 3)
    ss = 4 if pen.width < 8 else 2
    img = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(img)
    a = math.radians(pen.nib_angle)
    for stroke in drawing:
        step = 1.2 if pen.kind == "fountain" else max(1.2, pen.width / 6)
        pts = resample((stroke - [x0, y0]) * ss, step * ss)
        if pen.kind == "fountain":
            # The nib presses a little harder or softer along the stroke.
            scale = pen.width * ss / 2 * rng.uniform(0.85, 1.0)
            _draw_nib(d, pts, np.array([math.cos(a), -math.sin(a)]) * scale, pen.hairline * ss)
        else:
            _draw_round(d, [tuple(p) for p in pts], pen.width * ss)
    if pen.kind == "pencil":
        _pencil_breaks(d, drawing, x0, y0, ss, pen.width, rng)
    cov = np.asarray(img.reduce(ss), dtype=np.float32) / 255.0
    return texture(cov, pen, rng), x0, y0


def _pencil_breaks(d, drawing, x0, y0, ss, width, rng) -> None:
    """Erase 0-3 short gaps where the graphite skipped; never near stroke ends, never long."""
    lengths = [float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum()) if len(s) > 1 else 0.0 for s in drawing]
    for _ in range(rng.integers(0, 4)):
        i = int(rng.integers(0, len(drawing)))
        s = drawing[i]
        if lengths[i] < 20 * width or len(s) < 5:
            continue
        p = s[int(rng.uniform(0.2, 0.8) * (len(s) - 1))]
        r = rng.uniform(0.5, 1.1) * width * ss
        cx, cy = (p[0] - x0) * ss, (p[1] - y0) * ss
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=0)


def texture(cov: np.ndarray, pen: Pen, rng: np.random.Generator) -> np.ndarray:
    """Apply the pen's ink texture to a coverage crop (float32 (h, w)) and return it."""
    shape = cov.shape
    if pen.kind == "round":
        return (cov > 0.5).astype(np.float32) if pen.aliased else cov
    pressure = fields.smooth_noise(shape, max(8.0, 0.3 * max(shape)), rng)
    if pen.kind == "pencil":
        # Graphite sticks to the tops of the paper's grain: speckled, never solid.
        grain = ndimage.gaussian_filter(fields.fine_noise(shape, rng), 0.6)
        grain = np.clip(0.8 + 0.5 * grain, 0.2, 1.0)
        return np.clip(cov * grain * (0.85 + 0.3 * pressure), 0, 1)
    if pen.kind == "ballpoint":
        # Ball pens lay a fairly even line, slightly lighter where the ball starves.
        speck = np.clip(0.93 + 0.15 * fields.fine_noise(shape, rng), 0.6, 1.0)
        return np.clip(cov * speck * (0.9 + 0.15 * pressure), 0, 1)
    if pen.kind == "fountain":
        return np.clip(cov * (0.9 + 0.12 * pressure), 0, 1)
    # Marker: broad and even, a little streaky and darker where the felt tip pooled ink.
    return np.clip(cov * (0.9 + 0.1 * pressure), 0, 1)


def glyph_coverage(font: Font, char: str, height: float, pose: np.ndarray, extra_width: float,
                   ink_height_ref: int, ref_size: int) -> tuple[np.ndarray, int, int]:
    """Coverage crop of a filled font glyph, about ``height`` px tall after the pose.

    pose: 2x2 matrix acting on (x, y) (slant, width, rotation).  extra_width: px of outline
    added around the glyph (thickening for brush styles).  ink_height_ref / ref_size: the
    glyph's ink height at the reference font size, to choose the font size.
    Returns (coverage float32 (h, w), 0, 0): the crop is positioned by the caller.
    """
    # First the size that gives the wanted height if the pose did not change it, then let the
    # affine map absorb the remaining scale so the result is exactly `height` tall.
    size = max(8, int(round(height * ref_size / ink_height_ref)))
    src = render_mask(font, char, size, stroke=int(round(max(0.0, extra_width) / 2)))
    sh, sw = src.shape
    corners = np.array([[0, 0], [sw, 0], [0, sh], [sw, sh]], dtype=np.float64) @ pose.T
    k = height / max(corners[:, 1].max() - corners[:, 1].min(), 1e-6)
    m = k * pose
    lo = corners.min(axis=0) * k
    out_w = int(math.ceil((corners[:, 0].max() - corners[:, 0].min()) * k)) + 4
    out_h = int(math.ceil(height)) + 4
    inv = np.linalg.inv(m)  # output (x, y) -> source (x, y)
    # scipy works in (row, col) = (y, x): swap axes of the matrix and offset.
    inv_rc = inv[::-1, ::-1]
    offset = inv_rc @ (np.array([lo[1], lo[0]]) - 2.0)
    cov = ndimage.affine_transform(src.astype(np.float32) / 255.0, inv_rc, offset=offset,
                                   output_shape=(out_h, out_w), order=1, mode="constant", cval=0.0)
    return np.clip(cov, 0, 1), 0, 0


def ink_box(cov: np.ndarray, x0: int, y0: int, threshold: float = 0.2) -> list[int] | None:
    """[x0, y0, x1, y1] (x1, y1 exclusive) of the pixels with coverage > threshold, in image pixels."""
    rows = np.nonzero((cov > threshold).any(axis=1))[0]
    cols = np.nonzero((cov > threshold).any(axis=0))[0]
    if len(rows) == 0:
        return None
    return [int(x0 + cols[0]), int(y0 + rows[0]), int(x0 + cols[-1] + 1), int(y0 + rows[-1] + 1)]


def trim(cov: np.ndarray, margin: int = 2) -> tuple[np.ndarray, int, int]:
    """Crop a coverage array to its ink plus margin; returns (crop, dx, dy) of the crop's corner."""
    rows = np.nonzero(cov.max(axis=1) > 0.02)[0]
    cols = np.nonzero(cov.max(axis=0) > 0.02)[0]
    if len(rows) == 0:
        return cov, 0, 0
    r0, c0 = max(0, rows[0] - margin), max(0, cols[0] - margin)
    return cov[r0:rows[-1] + margin + 1, c0:cols[-1] + margin + 1], int(c0), int(r0)
