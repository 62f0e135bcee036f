"""Centre lines of font glyphs, so that thin pens (pencil, ballpoint, fountain pen) can redraw them.

A filled handwriting glyph is ~10 % of its height thick; a pencil line on a photo is 2-4 px.
Filling the outline with graphite would look like a coloured-in outline, so instead the glyph
is thinned to its skeleton (Zhang-Suen), the skeleton is traced into polylines, short spurs
are pruned, and the polylines are smoothed and extended at free ends by the local half
width (thinning eats that much).  The result is a drawing (list of (N, 2) float arrays,
x right / y down, in glyph pixels) that pen.py draws like any template.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

_OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]  # clockwise from NW


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a bool (H, W) mask; returns a bool (H, W) one-pixel-wide skeleton."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [img[1 + dy:img.shape[0] - 1 + dy, 1 + dx:img.shape[1] - 1 + dx] for dy, dx in
                 [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]]  # P2..P9
            centre = img[1:-1, 1:-1]
            b = sum(p)
            seq = p + [p[0]]
            a = sum(((seq[i] == 0) & (seq[i + 1] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                c1, c2 = p[0] * p[2] * p[4], p[2] * p[4] * p[6]
            else:
                c1, c2 = p[0] * p[2] * p[6], p[0] * p[4] * p[6]
            remove = (centre == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if remove.any():
                centre[remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def _neighbours(pix: set, p: tuple) -> list:
    return [(p[0] + dy, p[1] + dx) for dy, dx in _OFFSETS if (p[0] + dy, p[1] + dx) in pix]


def _clean_staircases(pix: set) -> None:
    """Remove pixels that only make 4-connected steps, so that every line pixel has exactly two neighbours.

    A pixel goes if its neighbours stay one 8-connected group without it (it is a "simple
    point"), it is not an end, and it touches background 4-wise.  Done in place, in a fixed
    order so the result is deterministic.
    """
    for p in sorted(pix):
        nb = _neighbours(pix, p)
        if len(nb) < 2:
            continue
        if all((p[0] + dy, p[1] + dx) in pix for dy, dx in [(-1, 0), (1, 0), (0, -1), (0, 1)]):
            continue
        # Count 8-connected groups among the neighbours (without p).
        groups, seen = 0, set()
        for q in nb:
            if q in seen:
                continue
            groups += 1
            stack = [q]
            seen.add(q)
            while stack:
                r = stack.pop()
                for s in nb:
                    if s not in seen and max(abs(s[0] - r[0]), abs(s[1] - r[1])) == 1:
                        seen.add(s)
                        stack.append(s)
        if groups == 1:
            pix.discard(p)


def _trace(pix: set) -> list[list]:
    """Split a cleaned skeleton into pixel paths between end/junction pixels (plus closed loops)."""
    nbrs = {p: _neighbours(pix, p) for p in pix}
    nodes = {p for p in pix if len(nbrs[p]) != 2}
    used, paths = set(), []
    for n in sorted(nodes):
        if not nbrs[n]:
            paths.append([n, n])  # an isolated dot (the dot of "?")
        for q in nbrs[n]:
            if (n, q) in used:
                continue
            path, prev, cur = [n, q], n, q
            used.update({(n, q), (q, n)})
            while cur not in nodes:
                nxt = [r for r in nbrs[cur] if r != prev]
                if not nxt or (cur, nxt[0]) in used:
                    break
                used.update({(cur, nxt[0]), (nxt[0], cur)})
                path.append(nxt[0])
                prev, cur = cur, nxt[0]
            paths.append(path)
    on_path = {p for path in paths for p in path}
    for start in sorted(pix - on_path):  # loops without ends or junctions, like a clean 0
        if start in on_path:
            continue
        path, prev, cur = [start], None, start
        while True:
            nxt = [r for r in nbrs[cur] if r != prev and r not in on_path]
            on_path.add(cur)
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            path.append(cur)
        path.append(start)
        paths.append(path)
    return paths


def _merge(paths: list[list], degree_one: set) -> list[list]:
    """Join paths end to end wherever exactly two path ends meet (after pruning left such joints)."""
    paths = [list(p) for p in paths]
    while True:
        ends: dict = {}
        for i, path in enumerate(paths):
            if path[0] == path[-1] and len(path) > 2:
                continue
            for e in (0, -1):
                ends.setdefault(path[e], []).append((i, e))
        joint = next((k for k, v in sorted(ends.items()) if len(v) == 2 and v[0][0] != v[1][0]
                      and k not in degree_one), None)
        if joint is None:
            return paths
        (i, ei), (j, ej) = ends[joint]
        a = paths[i] if ei == -1 else paths[i][::-1]
        b = paths[j] if ej == 0 else paths[j][::-1]
        paths[i] = a + b[1:]
        del paths[j]


def glyph_drawing(mask: np.ndarray, smooth: float = 0.015) -> tuple[list[np.ndarray], float]:
    """Trace a glyph.  mask: bool (H, W), ink True.  Returns (drawing, stroke width in px).

    drawing is a list of float (N, 2) arrays of (x, y) in mask pixels; stroke width is the
    median full width of the glyph's strokes, used to keep the filled look consistent.
    """
    # Smooth rough outlines (marker-style fonts) first: every bump would become a spur.
    mask = ndimage.gaussian_filter(mask.astype(np.float32), 0.006 * mask.shape[0] + 0.5) > 0.5
    edt = ndimage.distance_transform_edt(mask)
    skel = thin(mask)
    width = float(2 * np.median(edt[skel])) if skel.any() else 1.0
    pix = set(zip(*[a.tolist() for a in np.nonzero(skel)], strict=True))
    _clean_staircases(pix)
    paths = _trace(pix)
    degree = {p: len(_neighbours(pix, p)) for p in pix}

    def junction_of(path: list):
        """The junction end of a branch with exactly one free end, else None."""
        free = [degree[path[0]] == 1, degree[path[-1]] == 1]
        return None if free[0] == free[1] else (path[-1] if free[0] else path[0])

    # Thinning leaves two kinds of artefacts: a short spur at a corner, and a two-pronged fork
    # at a blunt stroke end (two short branches from one junction whose tips are close).
    forks: dict = {}
    for path in paths:
        j = junction_of(path)
        if j is not None and len(path) < 1.3 * max(width, 2 * float(edt[j])):
            forks.setdefault(j, []).append(path)
    pruned = set()
    for j, branches in forks.items():
        reach = 1.5 * max(width, 2 * float(edt[j]))
        tips = [b[0] if b[-1] == j else b[-1] for b in branches]
        if len(branches) >= 2 and max(math.dist(a, b) for a in tips for b in tips) < reach:
            pruned.update(id(b) for b in branches)
    kept = [p for p in paths if id(p) not in pruned and not (junction_of(p) is not None and len(p) < 0.6 * width)]
    # Drop specks (two free ends, under 3 px) but keep dots (the dot of "?") and the 2-pixel
    # links between adjacent junction pixels, without which the drawing falls apart there.
    kept = [p for p in kept if not (degree[p[0]] == 1 and degree[p[-1]] == 1 and len(p) < 3)]
    kept = _merge(kept, {p for p, d in degree.items() if d == 1})
    ends_at: dict = {}
    for path in kept:
        for e in (path[0], path[-1]):
            ends_at[e] = ends_at.get(e, 0) + 1
    sigma = max(1.0, smooth * mask.shape[0])
    drawing = []
    for path in kept:
        xy = np.array([[c, r] for r, c in path], dtype=np.float64)
        closed = len(path) > 3 and path[0] == path[-1]
        if len(xy) > 4:
            xy = ndimage.gaussian_filter1d(xy, sigma, axis=0, mode="wrap" if closed else "nearest")
        for end in (0, -1):  # give back the half width that thinning took off free ends
            r, c = path[end]
            if not closed and ends_at[(r, c)] == 1 and len(xy) > 3:
                inner = xy[min(3, len(xy) - 1)] if end == 0 else xy[max(-4, -len(xy))]
                direction = xy[end] - inner
                direction /= max(np.linalg.norm(direction), 1e-6)
                extra = xy[end] + direction * 0.5 * float(edt[r, c])
                xy = np.vstack([extra, xy]) if end == 0 else np.vstack([xy, extra])
        drawing.append(xy)
    return drawing, width
