"""Build the user-like evaluation set: MNIST test digits re-drawn the way people send them.

Usage:
    python -m tools.make_user_images [--out build/user_images] [--per-kind 40] [--seed 0] [--data MNIST]

Writes `per-kind` images of every kind in `tools.mnist_redrawn.KINDS` (default 10 x 40 = 400) into the output
folder, with `labels.csv` beside them: file, label, kind, mnist_test_row, variant (the file format for
`odd_formats`, else empty). Labels cycle 0..9, so the classes are evenly represented (within every kind
too when per-kind is a multiple of 10); the MNIST test rows of each class are drawn at random (by `seed`)
and no row is used twice. Images
rendered with the same seed and arguments are byte-identical.

The point of the set: the model never saw these digits in training, and they are presented as people
present digits (photos, drawings, scans, odd formats), so the accuracy on them measures the image
preparation rather than the network.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from digitnet.errors import DigitnetError
from tools import mnist_redrawn

LABELS_FILE = "labels.csv"
COLUMNS = ("file", "label", "kind", "mnist_test_row", "variant")


def plan(labels: np.ndarray, per_kind: int, seed: int) -> list[dict]:
    """One entry per image to render: index, label, kind, variant, mnist_test_row.

    Labels cycle 0..9 over the running index (so every kind gets every class equally often when
    `per_kind` is a multiple of 10, and the whole set is balanced in any case); each class's test rows
    are shuffled by `seed` and handed out in that order, so no row is used twice.
    """
    rng = np.random.default_rng(seed)
    queues = {c: list(rng.permutation(np.flatnonzero(labels == c))) for c in range(10)}
    entries = []
    for kind in mnist_redrawn.KINDS:
        for i in range(per_kind):
            label = len(entries) % 10
            if not queues[label]:
                raise DigitnetError(
                    f"the MNIST test split has only {int(np.sum(labels == label))} digits of class {label}, "
                    f"too few for {per_kind} images per kind"
                )
            entries.append(
                {
                    "index": len(entries),
                    "label": label,
                    "kind": kind,
                    "variant": (mnist_redrawn.ODD_FORMATS[i % len(mnist_redrawn.ODD_FORMATS)]
                                if kind == "odd_formats" else ""),
                    "mnist_test_row": int(queues[label].pop(0)),
                }
            )
    return entries


def _render(job: tuple) -> str:
    """Render one planned image (a module-level function, so a process pool can pickle it)."""
    out, entry, digit, seed = job
    return mnist_redrawn.render_to_folder(
        out,
        entry["label"],
        entry["kind"],
        digit,
        [seed, entry["index"]],
        variant=entry["variant"] or None,
        index=entry["index"],
    )


def clear_previous(out: Path) -> None:
    """Remove the images listed by an earlier run's labels.csv, so a smaller run leaves no strays."""
    listing = out / LABELS_FILE
    if not listing.is_file():
        return
    with open(listing, newline="") as handle:
        for row in csv.DictReader(handle):
            name = Path(row.get("file") or "").name  # never follow a path out of the folder
            if name and (out / name).is_file():
                (out / name).unlink()


def make_user_images(
    out: str | Path = "build/user_images",
    per_kind: int = 40,
    seed: int = 0,
    data_dir: str | Path = "MNIST",
    jobs: int | None = None,
) -> list[dict]:
    """Render the set into `out` and write labels.csv; returns the rows of labels.csv."""
    test = mnist_redrawn.read_test_digits(data_dir)
    entries = plan(test.labels, per_kind, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clear_previous(out)
    work = [(out, entry, test.images[entry["mnist_test_row"]], seed) for entry in entries]
    jobs = jobs if jobs is not None else min(8, os.cpu_count() or 1)
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            names = list(pool.map(_render, work, chunksize=8))
    else:
        names = [_render(job) for job in work]
    rows = [
        {"file": name, **{key: entry[key] for key in COLUMNS[1:]}} for name, entry in zip(names, entries, strict=True)
    ]
    with open(out / LABELS_FILE, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/user_images", help="output folder (default: %(default)s)")
    parser.add_argument("--per-kind", type=int, default=40, help="images per kind (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="chooses the digits and renderings")
    parser.add_argument("--data", default="MNIST", help="folder with digit_xtest.csv and digit_ytest.csv")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: up to 8)")
    args = parser.parse_args(argv)
    if args.per_kind < 1:
        parser.error("--per-kind must be at least 1")
    start = time.perf_counter()
    try:
        rows = make_user_images(args.out, args.per_kind, args.seed, args.data, args.jobs)
    except DigitnetError as error:
        print(f"make_user_images: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {len(rows)} images ({len(mnist_redrawn.KINDS)} kinds x {args.per_kind}) and {LABELS_FILE} "
        f"to {args.out} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
