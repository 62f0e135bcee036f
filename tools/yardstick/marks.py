"""One mark (a digit, a letter, a shape) as an ink coverage crop, from a template or a font.

Both sources end up as a float32 coverage crop (h, w) in [0, 1], trimmed to the ink plus a
small border, ready to be placed into a picture.  Brush-like looks (canvas, marker) fill
the font's outline (thickened to the brush width when the font is thinner); thin pens
(pencil, ballpoint, fountain pen) redraw the traced centre line of the glyph.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import strokes
from .capture import Look
from .fonts import REF_SIZE, Font, glyph
from .pen import glyph_coverage, stroke_coverage, trim

FILLED_PENS = ("round", "marker")


def drawing_coverage(drawing: list[np.ndarray], look: Look, size: float, rng: np.random.Generator,
                     by: str = "height") -> np.ndarray:
    """Coverage crop (h, w) of a drawing in spec units, scaled so its height (or larger side) is size px."""
    norm = strokes.normalize(drawing, by=by)
    margin = look.pen.width + 4
    cov, _, _ = stroke_coverage(strokes.place(norm, size, margin, margin), look.pen, rng)
    return trim(cov)[0]


def template_mark(specs: list, look: Look, size: float, rng: np.random.Generator, by: str = "height",
                  pose: np.ndarray | None = None, **shape) -> np.ndarray:
    """Coverage crop of a random instance of a template (list of specs); shape: strokes.instance options."""
    return drawing_coverage(strokes.instance(specs, rng, pose=pose, **shape), look, size, rng, by=by)


def font_pose(rng: np.random.Generator) -> np.ndarray:
    """A gentler pose for fonts: they already carry their own slant and proportions."""
    return strokes.random_pose(rng, slant=(-0.08, 0.2), aspect=(0.85, 1.15), rot=5.0)


def font_mark(font: Font, char: str, look: Look, size: float, rng: np.random.Generator, by: str = "height",
              pose: np.ndarray | None = None) -> tuple[np.ndarray, str] | None:
    """Coverage crop of a font glyph and how it was drawn ("glyph_filled"/"glyph_skeleton").

    None when the font has no such glyph.
    """
    g = glyph(font.name, char)
    if g is None:
        return None
    pose = font_pose(rng) if pose is None else pose
    if by == "max":  # wide symbols (=, +): size is the larger side, convert to a height
        allp = np.vstack(g.drawing)
        aspect = float(np.ptp(allp[:, 0]) / max(np.ptp(allp[:, 1]), 1e-6))
        size = size / max(1.0, aspect)
    if look.pen.kind in FILLED_PENS:
        extra = max(0.0, look.pen.width - g.width_frac * size)
        cov, _, _ = glyph_coverage(font, char, size, pose, extra, g.ink_height, REF_SIZE)
        # Round off the outline: thickening a rough font (Humor Sans) with the FreeType stroker
        # turns every bump into a lobe; a brush would have smoothed them.  Blur, then restore a
        # ~1 px anti-aliased edge.
        sigma = 0.12 * max(look.pen.width, g.width_frac * size)
        if sigma > 0.8:
            cov = np.clip((ndimage.gaussian_filter(cov, sigma) - 0.5) * 2.5 * sigma + 0.5, 0, 1)
        if look.pen.aliased:
            cov = (cov > 0.5).astype(np.float32)
        return trim(cov)[0], "glyph_filled"
    drawing = strokes.deform(list(g.drawing), rng, warp=1.2, pose=pose)
    return drawing_coverage(drawing, look, size, rng), "glyph_skeleton"


def paste(canvas: np.ndarray, cov: np.ndarray, x: int, y: int) -> None:
    """Max-combine a coverage crop into a full-image coverage canvas (H, W) at (x, y), clipping at edges."""
    h, w = cov.shape
    H, W = canvas.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    region = canvas[y0:y1, x0:x1]
    np.maximum(region, cov[y0 - y:y1 - y, x0 - x:x1 - x], out=region)
