"""Write the sample images in MNIST/samples/: MNIST test digits re-drawn the way people send them, and a few
of other people's handwriting (a pencil 1 with flag and base, a crossed 7, an open 4 in fountain pen, a
letter that must be refused, a 4-digit number) drawn by the yardstick's renderers with a seed of their own.

Usage:
    python -m tools.make_samples [--data MNIST] [--out MNIST/samples]

Each file name carries the true label and the kind of rendering (see `tools.mnist_redrawn`), e.g.
``7-photo.jpg`` or ``3-odd_formats-animated_gif.gif``; the label is the text before the first '-' (a whole
number for a number, ``none`` for what is not a digit).
Every digit 0-9 appears, and every kind and odd format. The output is deterministic: the same MNIST
files give byte-identical images, so re-running changes nothing in git.

Which MNIST digits: only the *test* split (the model never trained on it). Within a class we rank the
digits by how typical they are: cosine similarity to their own class's mean image, minus the largest
similarity to another class's mean. The top of that ranking are clearly written, unambiguous digits, so a
sample that the model gets wrong points at the image preparation, not at an odd handwriting. The first
sample of a class uses its most typical digit, a second sample of the same class the next one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from digitnet.errors import DigitnetError
from tools import mnist_redrawn
from tools.yardstick import digits, negatives, numbers
from tools.yardstick.capture import encode
from tools.yardstick.make import child_rng

SEED = 20240607
# (label, kind, odd-format variant): every digit at least once, every kind and every odd format.
SAMPLES = (
    (7, "photo", None),
    (2, "phone_exif", None),
    (1, "drawing_transparent", None),
    (0, "white_on_black", None),
    (4, "coloured_pen", None),
    (9, "thick_marker", None),
    (5, "thin_pen", None),
    (6, "off_centre", None),
    (3, "scan_gray16", None),
    (8, "odd_formats", "palette_gif"),
    (3, "odd_formats", "animated_gif"),
    (0, "odd_formats", "bmp"),
    (6, "odd_formats", "webp"),
    (2, "odd_formats", "cmyk_jpeg"),
    (5, "odd_formats", "la_png"),
    (8, "photo", None),
    (4, "phone_exif", None),
    (9, "drawing_transparent", None),
)


# Handwriting that is not MNIST's, from the yardstick's renderers with a seed of their own (the yardstick's
# evaluation draw uses seed 0): (file name, yardstick section, what its plan must say). The first index
# whose plan matches is drawn.
HANDWRITING_SEED = 2026
HANDWRITING = (
    ("1-pencil_flag_and_base", "A", {"digit": 1, "style": "pencil", "template": "flagged_based_1"}),
    ("7-ballpoint_crossed", "A", {"digit": 7, "style": "ballpoint", "template": "crossed_7"}),
    ("4-fountain_pen", "A", {"digit": 4, "style": "fountain_pen", "template": "open_4"}),
    ("none-letter", "B", {"category": "letter", "style": "canvas_dark_on_light"}),
    ("number-ballpoint", "C", {"layout": "gap_straight", "style": "ballpoint", "n": 4, "font": False}),
)
_MAKERS = {"A": (digits.plan, digits.make), "B": (negatives.plan, negatives.make), "C": (numbers.plan, numbers.make)}


def make_handwriting_samples(out: Path) -> list[tuple[str, int, int]]:
    """Draw `HANDWRITING` into `out`. A number's file is named by its digits (``2026-number-ballpoint.jpg``).
    Returns (file name, bytes, yardstick index)."""
    written = []
    for name, section, wanted in HANDWRITING:
        plan, make = _MAKERS[section]
        index = next(i for i in range(10_000) if all(plan(i).get(key) == value for key, value in wanted.items()))
        rng = child_rng(HANDWRITING_SEED, section, index)
        picture = make(index, rng)
        if picture is None:  # a font the sample needs is missing: the sample is left out
            continue
        if section == "C":
            name = f"{picture.row['label']}-{name}"
        file_name = f"{name}.{'jpg' if picture.look.fmt == 'jpeg' else 'png'}"
        (out / file_name).write_bytes(encode(picture.image, picture.look, rng))
        written.append((file_name, (out / file_name).stat().st_size, index))
    return written


def typical_rows(images: np.ndarray, labels: np.ndarray, per_class: int) -> dict[int, list[int]]:
    """For each class, the rows of its `per_class` most typical digits, most typical first.

    Typical = cosine similarity to the class's mean image minus the best similarity to any other class's
    mean: high for a clearly written digit that could not be mistaken for another class.
    """
    pixels = images.astype(np.float32)
    pixels /= np.linalg.norm(pixels, axis=1, keepdims=True) + 1e-6
    means = np.stack([pixels[labels == c].mean(axis=0) for c in range(10)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    similarity = pixels @ means.T  # [n, 10]
    own = similarity[np.arange(len(labels)), labels]
    similarity[np.arange(len(labels)), labels] = -np.inf
    margin = own - similarity.max(axis=1)
    chosen = {}
    for c in range(10):
        rows = np.flatnonzero(labels == c)
        chosen[c] = [int(r) for r in rows[np.argsort(-margin[rows], kind="stable")[:per_class]]]
    return chosen


def remove_stale(out: Path, keep: set[str]) -> list[str]:
    """Delete earlier renderings in `out` (names that parse as label-kind with a known kind) not in `keep`,
    so the folder holds exactly this run's samples. Other files are left alone."""
    removed = []
    for path in sorted(out.iterdir()):
        try:
            _, kind = mnist_redrawn.parse_name(path.name)
        except ValueError:
            continue
        if path.is_file() and kind in mnist_redrawn.KINDS and path.name not in keep:
            path.unlink()
            removed.append(path.name)
    return removed


def make_samples(data_dir: str | Path = "MNIST", out: str | Path | None = None) -> list[tuple[str, int, int]]:
    """Render `SAMPLES` into `out` (default: <data_dir>/samples). Returns (file name, bytes, test row)."""
    test = mnist_redrawn.read_test_digits(data_dir)
    out = Path(out) if out is not None else Path(data_dir) / "samples"
    out.mkdir(parents=True, exist_ok=True)
    counts = {c: sum(1 for label, _, _ in SAMPLES if label == c) for c in range(10)}
    rows = typical_rows(test.images, test.labels, per_class=max(counts.values()))
    used = {c: 0 for c in range(10)}
    written = []
    for index, (label, kind, variant) in enumerate(SAMPLES):
        row = rows[label][used[label]]
        used[label] += 1
        name = mnist_redrawn.render_to_folder(out, label, kind, test.images[row], [SEED, index], variant=variant)
        written.append((name, (out / name).stat().st_size, row))
    remove_stale(out, {name for name, _, _ in written})
    return written + make_handwriting_samples(out)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="MNIST", help="folder with digit_xtest.csv and digit_ytest.csv")
    parser.add_argument("--out", default=None, help="output folder (default: <data>/samples)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        written = make_samples(args.data, args.out)
    except DigitnetError as error:
        print(f"make_samples: {error}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else Path(args.data) / "samples"
    for name, size, row in written:
        print(f"{out / name}  {size / 1024:6.1f} KB  (row {row})")
    total = sum(size for _, size, _ in written)
    print(f"wrote {len(written)} images, {total / 1024:.0f} KB in all, in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
