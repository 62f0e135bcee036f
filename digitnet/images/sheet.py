"""The sheet of paper in a photo that also shows what it lies on: a desk, a table, a darker surround.

A phone photo often shows more than the page. Read as it is, the darker desk around the sheet is ink: one huge
mark that swallows the writing, or, being most of the picture, it makes the paper itself look like light ink on
a dark ground. When the picture holds one bright region (joined across the strokes written into its edge) that
is convex (a sheet seen at an angle stays a convex four-sided shape), mostly blank, far brighter than what lies
around it, and that surround reaches at least three of the picture's four edges, that region, with the paper in
shade that fades into it, is the sheet (`find_sheet`), and the surround is painted over with the sheet's own
nearest pixels (`paint_surround`) before the rest of the recipe looks for ink: there is then only paper and
writing. Anything else (paper filling the frame, a dark vignette in one corner, white writing on black) is left as
it is.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.morphology import convex_hull_image

from digitnet.images.ink import crop_box

# The sheet covers between these shares of the picture (a sticky note on a desk photographed from afar: 7%),
# and its box at least SHEET_SPAN of each side ...
SHEET_AREA = (0.06, 0.9)
SHEET_SPAN = 0.2
# ... is broad: a disc of this share of the picture's shorter side fits inside it (a bold white stroke on black
# is convex and bright too, but narrow) ...
SHEET_BREADTH = 0.1
# ... fills at least this share of its convex hull (a sheet's corners and edges are straight; a shadow's are not) ...
SHEET_CONVEX = 0.9
# ... is at least this share bright (blank paper with some writing, or much bold marker) ...
SHEET_BLANK = 0.6
# ... has something written on it: at least this share of it (a few pixels; a thin 1 on a sheet on a desk is 0.02%)
# INK_DEPTH grey levels darker than its median, its rim left out (a bold white bar of an "=" on a dark canvas is
# bright, convex and broad too, but has none). A faint pencil digit on a sheet photographed on a desk is 20-25
# levels darker at most, against a photo's noise of 2-3 (median absolute deviation): at 25 its sheet was not
# found and the sheet itself read as the mark. Development draws 5 and 13: at 10, 12 or 15 6 more of their 600
# desk photos had their sheet found (3 more read right: two pencil 6s, a pencil "23"; none worse), and none of
# their 5,459 other pictures, the 400 user-like images or the 23 samples did ...
WRITTEN_SHARE = 0.0001
INK_DEPTH = 15.0
# ... and what is dark inside it is thin, strokes: the broadest dark area in it is less than this share of the
# sheet's own breadth (the inside of a bold white 0 or 8 on a dark ground, filled in, is broad) ...
INK_BREADTH = 0.3
# ... and is brighter than its surround by this many grey levels (medians): paper on a wooden desk 110 apart,
# on a dark one 170, on light wood or grey laminate 30-60; a shadow over part of a page has no sharp edge
# (EDGE_STEP). Measured on development draws: with 60 and 0.12 of the picture, 257 of one draw's 300 desk photos
# had their sheet found, with 40 and 0.06 279, and still none of 5,583 other pictures (two draws' sections A-C
# and one's E, the user-like images, the samples).
SHEET_CONTRAST = 40.0
SURROUNDED_EDGES = 3  # of the picture's four edges, the surround covers most of at least this many
# A sheet's edge is sharp: across a few pixels of it (EDGE_PIXELS either side) the grey level falls by at least this
# share of the whole contrast. The dark corners of a vignette fade in over a large part of the picture.
EDGE_STEP = 0.5
EDGE_PIXELS = 3
# The largest bright piece is joined by what lies across strokes up to this share of the picture's longer side
# (twice 5 px of a 320 px copy), so that a digit written into the sheet's edge, which parts the bright paper, cuts no
# piece of the sheet off and stays on it (the 7 of a "763" was painted over with the desk, and "63" was read).
# Development draws of desk photos (600): 7 more answers right, as many wrong (numbers a digit short became digits
# cut by the picture's frame); twice that share 12 more right, 1 fewer wrong, but a second light-on-dark scribble
# of 8,013 other pictures passed for a sheet (at this share one does, still refused as brackets).
STROKE_GAP_SHARE = 0.016
# Part of a sheet can lie in shade, darker than the paper/desk threshold: the sheet is then taken to go on over
# paper whose grey level changes by less than this share of the sheet/desk contrast a pixel (shade fades; the
# sheet's edge is a step), up to its edge. Without it, writing in the shade was painted over with the desk: numbers
# lost their first digits ("433" read "33", "789303" "89303"). Development draws 5 and 13 (600 desk photos; 97
# sheets grew, no other picture's changed): 7 more answers right, 5 fewer wrong, none worse; 0.035, 0.05, 0.085 and
# 0.1 read 5, 5, 3 and 0 more right with 4, 2, 2 and 2 answers worse. Where the shade reaches the desk
# through a faint stretch of the sheet's edge, the sheet is kept as found (two marker digits in the shade of draw
# 13's sheets are still painted over, and called blank).
SHADING_STEP = 0.07
SHEET_RIM = 2  # pixels of the sheet's rim painted over too: there the paper blends into the desk
# The surround takes the colour of the nearest paper, found by a grey closing of this many pixels: strokes that run
# up to the sheet's edge are closed over (else they would streak across), the paper's shading is kept (a painted
# surround brighter than shaded paper beside it makes that paper look like ink).
PAPER_WINDOW = 9


def find_sheet(working: np.ndarray) -> np.ndarray | None:
    """bool [h, w]: the sheet of paper in a photo that shows a darker surround (see the module docstring); None
    for any other picture (the common case: the edges of the picture are paper, and it is over at once).

    Args:
        working: float32 [h, w, C], the working copy (grey levels 0-255, C = 1 or 3).
    """
    height, width = working.shape[:2]
    if min(height, width) < 16:
        return None
    # first the picture's edges against the paper/desk threshold of a sparse sample: a few hundred pixels
    threshold = float(threshold_otsu(working[::4, ::4].mean(axis=2)))
    if sum(float(np.mean(edge.mean(axis=1) <= threshold)) > 0.5 for edge in _edges(working)) < SURROUNDED_EDGES:
        return None
    gray = working.mean(axis=2)
    bright = gray > threshold
    labels, count = ndimage.label(bright)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    if sizes.max() < SHEET_AREA[0] * gray.size:  # bright strokes on a dark ground, not a sheet
        return None
    # the largest bright piece, with what joins it across strokes
    joined, _ = ndimage.label(_across_strokes(bright, max(1, round(STROKE_GAP_SHARE * max(height, width)))))
    sheet = _filled(joined == joined[labels == int(sizes.argmax())][0])
    surround = ~sheet
    top, bottom, left, right = crop_box(sheet)
    contrast = np.median(gray[sheet]) - np.median(gray[surround])
    if not (SHEET_AREA[0] <= sheet.mean() <= SHEET_AREA[1]
            and bottom - top >= SHEET_SPAN * height and right - left >= SHEET_SPAN * width
            and bright[sheet].mean() >= SHEET_BLANK and contrast >= SHEET_CONTRAST):
        return None
    if not _surrounds(surround):
        return None
    within = ndimage.binary_erosion(sheet, iterations=EDGE_PIXELS)
    inside = sheet & ~within
    outside = ndimage.binary_dilation(sheet, iterations=EDGE_PIXELS) & surround
    if np.median(gray[inside]) - np.median(gray[outside]) < EDGE_STEP * contrast:
        return None
    # Distances to the nearest pixel off the sheet, over its box and the ring of pixels round it (off the sheet,
    # where the picture has them): no pixel beyond that ring is nearer than one in it, so these are the distances
    # over the whole picture, in a part of the time
    around = np.s_[max(top - 1, 0) : bottom + 1, max(left - 1, 0) : right + 1]
    breadth = ndimage.distance_transform_edt(sheet[around]).max()
    if breadth < SHEET_BREADTH * min(height, width):
        return None
    if ndimage.distance_transform_edt((sheet & ~bright)[around]).max() >= INK_BREADTH * breadth:
        return None
    on_sheet = gray[within]  # not its rim, where it blends into the surround
    if not on_sheet.size or np.mean(on_sheet < np.median(on_sheet) - INK_DEPTH) < WRITTEN_SHARE:
        return None
    # the hull over the sheet's own box: the same pixels as over the whole picture (checked on 600 development desk
    # photos), in half the time (1.6 ms instead of 3.0 of a desk photo's 24)
    if sheet.sum() < SHEET_CONVEX * convex_hull_image(sheet[top:bottom, left:right]).sum():
        return None
    with_shade = _with_shaded_paper(gray, sheet, contrast)
    if with_shade.mean() <= SHEET_AREA[1] and _surrounds(~with_shade):
        return with_shade
    return sheet  # the shade found its way out to the desk through a faint stretch of the sheet's edge


def _with_shaded_paper(gray: np.ndarray, sheet: np.ndarray, contrast: float) -> np.ndarray:
    """bool [h, w]: `sheet` and the paper in shade beside it (SHADING_STEP): what is joined to it where the grey level
    changes by less than SHADING_STEP * `contrast` a pixel, its holes filled (`_filled`)."""
    smooth = ndimage.gaussian_filter(gray, 1.0)
    step = np.hypot(ndimage.sobel(smooth, axis=0), ndimage.sobel(smooth, axis=1)) / 8.0  # Sobel: 8x a ramp's slope
    labels, _ = ndimage.label((step < SHADING_STEP * contrast) | sheet)
    joined = np.unique(labels[sheet])
    return _filled(np.isin(labels, joined[joined > 0]))


def _filled(piece: np.ndarray) -> np.ndarray:
    """bool [h, w]: `piece` with its holes filled, a hole being also what it encloses against the picture's edge
    where the sheet runs out of the picture: writing at that edge (a 6 whose loop the frame cuts) is on the sheet,
    not a notch in it to paint over with the desk. Development draws of desk photos (600): 5 more answers right,
    as many wrong (an "&" cut by the frame read as an 8; a 2 cut by it, read as a 0 before, refused)."""
    framed = np.pad(piece, 1)
    for edge, border in ((piece[0], framed[0, 1:-1]), (piece[-1], framed[-1, 1:-1]), (piece[:, 0], framed[1:-1, 0]),
                         (piece[:, -1], framed[1:-1, -1])):
        touching = np.flatnonzero(edge)
        if touching.size:
            border[touching[0] : touching[-1] + 1] = True
    return ndimage.binary_fill_holes(framed)[1:-1, 1:-1]


def _across_strokes(bright: np.ndarray, radius: int) -> np.ndarray:
    """bool [h, w]: `bright` (the paper) closed over strokes up to 2 * `radius` pixels wide, so that writing that runs
    into the sheet's edge neither cuts a piece of the sheet off nor is left out of it (the picture's own edges are
    not taken for dark)."""
    padded = np.pad(bright, radius, mode="edge")
    disk = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    return ndimage.binary_closing(padded, structure=disk)[radius:-radius, radius:-radius]


def _surrounds(surround: np.ndarray) -> bool:
    """Whether `surround` (bool [h, w]) covers most of at least SURROUNDED_EDGES of the picture's four edges."""
    return sum(float(edge.mean()) > 0.5 for edge in _edges(surround)) >= SURROUNDED_EDGES


def _edges(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The picture's top and bottom rows and its left and right columns."""
    return picture[0], picture[-1], picture[:, 0], picture[:, -1]


def paper_within(sheet: np.ndarray, rim: int = SHEET_RIM) -> np.ndarray:
    """bool [h, w]: the sheet (bool [h, w]) less its rim of `rim` pixels, the paper `paint_surround` keeps."""
    return ndimage.binary_erosion(sheet, iterations=rim)


def paint_surround(working: np.ndarray, sheet: np.ndarray, rim: int = SHEET_RIM) -> np.ndarray:
    """float32 [h, w, C]: `working` with every pixel off the sheet (bool [h, w]), and its rim (`rim` pixels), given
    the paper's colour at the nearest pixel on the sheet (PAPER_WINDOW)."""
    inner = paper_within(sheet, rim)
    if not inner.any():
        return working
    # the paper's own colour, shading included, with the strokes closed over
    paper = ndimage.grey_closing(working, size=(PAPER_WINDOW, PAPER_WINDOW, 1))
    rows, columns = ndimage.distance_transform_edt(~inner, return_distances=False, return_indices=True)
    return np.where(inner[..., None], working, paper[rows, columns])
