"""Driver: plan the sections, render images (in a small process pool), write labels.csv.

Sections and default counts:
  A  digits/         1500 single digits (kind "digit")
  B  not_one_digit/   330 pictures that are not one digit: letters, symbols, shapes, scribbles,
                          textures, smudges, blank paper (kind "not_digit") and 2-4 digit numbers
                          (kind "number", source "number")
  C  numbers/         600 numbers of 2-8 digits in four layouts (kind "number")
  D  on_desk/         300 phone photos of A, C and B's photo-style pictures lying on a desk (`desk`)
  E  ruled_turned/    300 photos of A, C and B's photo-style pictures on ruled or squared paper whose lines are
                          turned a few degrees, as in a photo taken by hand (`ruled`)

Each image is drawn from numpy.random.default_rng(SeedSequence(seed, spawn_key=(section, i))),
so it depends only on (seed, section, i); files are written with fixed encoder settings and
no metadata, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from . import desk, digits, negatives, numbers, ruled
from .capture import encode
from .fonts import APT_LINE, installed_fonts, missing_packages

SECTIONS = {"A": ("digits", 1500), "B": ("not_one_digit", 330), "C": ("numbers", 600), "D": ("on_desk", 300),
            "E": ("ruled_turned", 300)}
TINY_COUNTS = {"A": 12, "B": 11, "C": 8, "D": 3, "E": 3}
MAKERS = {"A": digits.make, "B": negatives.make, "C": numbers.make}
ON_OTHERS = {"D": desk.make, "E": ruled.make}  # made from the other sections' pictures
COLUMNS = ["file", "kind", "label", "style", "source", "variant", "digits", "boxes", "renderer", "section", "index",
           "width", "height", "format", "polarity", "transparent"]


def child_rng(seed: int, section: str, index: int) -> np.random.Generator:
    """The random stream of one image: depends only on (seed, section, index)."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(ord(section), index)))


def counts_for(scale: float = 1.0) -> dict[str, int]:
    """Images per section: the defaults times scale, rounded up."""
    return {s: int(math.ceil(n * scale)) for s, (_, n) in SECTIONS.items()}


def _render_one(job: tuple[str, int, int, str]) -> dict | None:
    section, index, seed, out_dir = job
    rng = child_rng(seed, section, index)
    if section in ON_OTHERS:  # another section's picture, drawn from its own stream, on a desk or ruled paper
        pic = ON_OTHERS[section](index, rng, lambda other, j: MAKERS[other](j, child_rng(seed, other, j)))
    else:
        pic = MAKERS[section](index, rng)
    if pic is None:
        return None
    data = encode(pic.image, pic.look, rng)
    ext = "jpg" if pic.look.fmt == "jpeg" else "png"
    rel = f"{SECTIONS[section][0]}/{index:05d}.{ext}"
    with open(os.path.join(out_dir, rel), "wb") as fh:
        fh.write(data)
    row = {"file": rel, "section": section, "index": index, "width": pic.image.width,
           "height": pic.image.height, "format": pic.look.fmt, **pic.row}
    return row


def generate(out_dir: str | os.PathLike, seed: int = 0, scale: float = 1.0, counts: dict[str, int] | None = None,
             workers: int | None = None, quiet: bool = False) -> pd.DataFrame:
    """Write the yardstick images and labels.csv into out_dir; returns the labels as a DataFrame.

    scale multiplies the default counts (ignored when counts, {section: n}, is given).
    workers: processes (default: 2, or 1 for fewer than 100 images).  Images whose font is not
    installed are skipped (a note is printed), so the row count can be below the plan.
    """
    out = Path(out_dir)
    counts = counts_for(scale) if counts is None else counts
    for sub, _ in SECTIONS.values():
        (out / sub).mkdir(parents=True, exist_ok=True)
    if not quiet and missing_packages():
        note = "no handwriting fonts installed" if not installed_fonts() else "some handwriting fonts missing"
        print(f"yardstick: {note}: images that need them are skipped ({', '.join(missing_packages())}).\n"
              f"  To include them: {APT_LINE}", file=sys.stderr)
    jobs = [(s, i, int(seed), str(out)) for s in SECTIONS for i in range(counts.get(s, 0))]
    workers = workers or (1 if len(jobs) < 100 else min(2, os.cpu_count() or 1))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(_render_one, jobs, chunksize=8))
    else:
        rows = [_render_one(j) for j in jobs]
    table = pd.DataFrame([r for r in rows if r is not None], columns=COLUMNS)
    table.to_csv(out / "labels.csv", index=False)
    if not quiet:
        skipped = sum(r is None for r in rows)
        print(f"yardstick: wrote {len(table)} images to {out}" + (f" ({skipped} skipped)" if skipped else ""),
              file=sys.stderr)
    return table


def read_labels(out_dir: str | os.PathLike) -> pd.DataFrame:
    """labels.csv of a generated yardstick, with label kept as text ("007" stays "007") and boxes parsed."""
    table = pd.read_csv(Path(out_dir) / "labels.csv", dtype={"label": str, "file": str},
                        keep_default_na=False)
    table["boxes"] = table["boxes"].map(lambda s: json.loads(s) if s else [])
    return table
