"""Stroke geometry shared by every renderer: splines, random pose, jitter, normalisation.

Conventions used throughout the yardstick:

* a *stroke* is a float64 array of shape (N, 2) of (x, y) points, y pointing down as in images;
* a *drawing* is a list of strokes (one per pen-down);
* a *spec* is how templates are written by hand: a list of control points ``(x, y)`` or
  ``(x, y, "c")`` where ``"c"`` marks a sharp corner.  Between corners the pen follows a
  centripetal Catmull-Rom spline through the control points, so round parts stay round and
  corners (the top of a 7, the point of a 4) stay sharp.
"""

from __future__ import annotations

import math

import numpy as np

CORNER = "c"


def ellipse(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, step: float = 30.0) -> list:
    """Control points on an ellipse arc from angle a0 to a1 (degrees, 0 = right, 90 = down).

    Returns a list of (x, y) tuples, about one every ``step`` degrees; Catmull-Rom through them
    is visually an ellipse.
    """
    n = max(2, int(abs(a1 - a0) / step) + 1)
    angles = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def _catmull_rom(pts: np.ndarray, density: float) -> np.ndarray:
    """Centripetal Catmull-Rom spline through pts (K, 2); returns (M, 2) with ~density points per unit."""
    if len(pts) == 2:
        n = max(2, int(np.linalg.norm(pts[1] - pts[0]) * density))
        t = np.linspace(0.0, 1.0, n)[:, None]
        return pts[0] * (1 - t) + pts[1] * t
    # Reflect the end points so that the curve starts and ends at the first/last control point.
    ext = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        # Centripetal parameterisation (alpha = 0.5) avoids the cusps and loops that uniform
        # Catmull-Rom makes when control points are unevenly spaced.
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-6) ** 0.5
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** 0.5
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** 0.5
        n = max(2, int(np.linalg.norm(p2 - p1) * density))
        t = np.linspace(t1, t2, n, endpoint=(i == len(ext) - 3))[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    return np.vstack(out)


def spec_points(spec: list) -> tuple[np.ndarray, np.ndarray]:
    """Split a spec into a float (K, 2) array of points and a bool (K,) array of corner flags."""
    pts = np.array([[p[0], p[1]] for p in spec], dtype=np.float64)
    corners = np.array([len(p) > 2 and p[2] == CORNER for p in spec], dtype=bool)
    return pts, corners


def evaluate(pts: np.ndarray, corners: np.ndarray, density: float = 0.6) -> np.ndarray:
    """Dense stroke (M, 2) through control points pts (K, 2), smooth except at corners."""
    if len(pts) == 1:
        return pts.copy()
    cuts = [0] + [i for i in range(1, len(pts) - 1) if corners[i]] + [len(pts) - 1]
    runs = [_catmull_rom(pts[a:b + 1], density) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return np.vstack(runs)


def resample(stroke: np.ndarray, step: float) -> np.ndarray:
    """Points (M, 2) spaced ``step`` apart along the stroke's arc length (keeps both ends)."""
    if len(stroke) < 2:
        return stroke.copy()
    seg = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= step:
        return stroke[[0, -1]].copy()
    t = np.linspace(0.0, s[-1], int(math.ceil(s[-1] / step)) + 1)
    return np.column_stack([np.interp(t, s, stroke[:, 0]), np.interp(t, s, stroke[:, 1])])


def random_pose(rng: np.random.Generator, slant=(-0.12, 0.38), aspect=(0.8, 1.2), rot=6.0) -> np.ndarray:
    """A 2x2 float matrix: width scaling, then slant (shear), then a small rotation.

    Slant is the tangent of the lean: positive leans the top to the right, as most
    right-handed writers do, so the range is skewed towards positive values.
    """
    k = rng.uniform(*slant)
    sx = rng.uniform(*aspect)
    a = math.radians(rng.uniform(-rot, rot))
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    shear = np.array([[1.0, -k], [0.0, 1.0]])  # y points down: x' = x - k*y moves the top right
    return rotation @ shear @ np.diag([sx, 1.0])


def warp_field(rng: np.random.Generator, amount: float):
    """A smooth random displacement function f(points (N, 2)) -> (N, 2), in spec units (~0-100).

    Sum of three low-frequency sinusoids per axis: it bends whole strokes a little, the way a
    hand wobbles, without the zig-zag that independent point noise would give.
    """
    waves = [(rng.normal(0, 0.035, 2), rng.uniform(0, 2 * math.pi), rng.normal(0, amount / 2, 2)) for _ in range(3)]

    def apply(p: np.ndarray) -> np.ndarray:
        d = np.zeros_like(p)
        for freq, phase, amp in waves:
            d += np.sin(p @ freq + phase)[:, None] * amp
        return p + d

    return apply


def instance(specs: list, rng: np.random.Generator, jitter: float = 1.8, warp: float = 2.0,
             overshoot: float = 0.3, pose: np.ndarray | None = None) -> list[np.ndarray]:
    """One hand-drawn instance of a template (list of specs) as a drawing of dense strokes.

    jitter: std of independent control-point noise, in spec units (height ~100).
    warp: amplitude of the smooth displacement field, in spec units.
    overshoot: probability that a stroke end runs on a little past its control point.
    pose: 2x2 matrix from random_pose (drawn here when None).
    Returns strokes in spec units after pose; use normalize() to bring them to height 1.
    """
    field = warp_field(rng, warp)
    pose = random_pose(rng) if pose is None else pose
    drawing = []
    for spec in specs:
        pts, corners = spec_points(spec)
        # Closely spaced control points (ellipses) get less independent noise, or round parts turn bumpy.
        spacing = np.linalg.norm(np.diff(pts, axis=0), axis=1).mean() if len(pts) > 1 else 30.0
        pts = pts + rng.normal(0.0, jitter * float(np.clip(spacing / 30.0, 0.25, 1.0)), pts.shape)
        stroke = evaluate(field(pts), corners)
        if len(stroke) >= 3 and rng.random() < overshoot:
            # Run the pen on along the end tangent for 2-6 % of the height: a common, harmless overshoot.
            end = rng.integers(0, 2)
            a, b = (stroke[-1], stroke[-3]) if end else (stroke[0], stroke[2])
            direction = (a - b) / max(np.linalg.norm(a - b), 1e-6)
            extra = a + direction * rng.uniform(2.0, 6.0)
            stroke = np.vstack([stroke, extra]) if end else np.vstack([extra, stroke])
        drawing.append(stroke @ pose.T)
    return drawing


def deform(drawing: list[np.ndarray], rng: np.random.Generator, warp: float = 1.5,
           pose: np.ndarray | None = None) -> list[np.ndarray]:
    """Bend and pose an already dense drawing (e.g. a traced font glyph normalised to height 1).

    Same smooth warp and pose as instance(), without control-point jitter; returns strokes in
    spec units (height ~100) after pose, like instance().
    """
    field = warp_field(rng, warp)
    pose = random_pose(rng) if pose is None else pose
    return [field(np.asarray(s) * 100.0) @ pose.T for s in drawing]


def bbox(drawing: list[np.ndarray]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of all points of a drawing."""
    allp = np.vstack(drawing)
    return float(allp[:, 0].min()), float(allp[:, 1].min()), float(allp[:, 0].max()), float(allp[:, 1].max())


def normalize(drawing: list[np.ndarray], by: str = "height") -> list[np.ndarray]:
    """Shift a drawing to start at (0, 0) and scale it so its height (or larger side, by="max") is 1."""
    x0, y0, x1, y1 = bbox(drawing)
    size = (y1 - y0) if by == "height" else max(x1 - x0, y1 - y0)
    size = max(size, 1e-6)
    return [(s - [x0, y0]) / size for s in drawing]


def place(drawing: list[np.ndarray], size_px: float, x: float, y: float) -> list[np.ndarray]:
    """Scale a normalised drawing by size_px and move its origin to pixel (x, y)."""
    return [s * size_px + [x, y] for s in drawing]
