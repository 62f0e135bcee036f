"""An evaluation image set (images in a folder, with a labels.csv naming each "file" and its "label"):
generated if absent, classified, tallied.

The user-like set (`python -m tools.make_user_images`: MNIST *test* digits re-drawn as photos, drawings,
scans and odd file formats) has the columns file, label, kind, mnist_test_row, variant. `score_set`
classifies every image once per preparation: ``prepared`` is ``digitnet.images.prepare_image`` (MNIST's
recipe), ``naive`` is ``naive_resize_and_invert`` (the classic notebooks' squash-and-invert, the baseline).
An image a preparation refuses counts as wrong. `SetScore.tally` and `SetScore.by` give accuracy and
refusals overall or per value of any labels.csv column (kind here; a capture style or source elsewhere).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import PROJECT_ROOT, display_path, log
from benchmarks.stats import Stopwatch
from benchmarks.workers import child_env
from digitnet.errors import DigitnetError
from digitnet.images import naive_resize_and_invert, prepare_image

DEFAULT_IMAGES = PROJECT_ROOT / "build" / "user_images"
PREPARATIONS = {"prepared": lambda path: prepare_image(path).pixels, "naive": naive_resize_and_invert}


def ensure_images(images_dir: Path, data_dir: Path, per_kind: int | None = None) -> Path:
    """Generate the user-like set with tools.make_user_images if `images_dir` has no labels.csv; return the folder."""
    if not (images_dir / "labels.csv").exists():
        command = [sys.executable, "-m", "tools.make_user_images", "--out", str(images_dir), "--data", str(data_dir)]
        if per_kind is not None:
            command += ["--per-kind", str(per_kind)]
        log(f"user images: generating the set in {display_path(images_dir)}")
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True)
        if completed.returncode != 0:
            reason = (completed.stderr.strip().splitlines() or ["no message"])[-1]
            raise DigitnetError(f"{display_path(images_dir)}: could not generate the user-like images ({reason})")
    return images_dir


def read_labels(images_dir: Path) -> list[dict]:
    """The rows of the set's labels.csv (for the user-like set: file, label, kind, mnist_test_row, variant)."""
    with open(images_dir / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class SetScore:
    """One model's outcome on every image of a set, per preparation (boolean arrays over the labels.csv rows)."""

    rows: list[dict]
    correct: dict[str, np.ndarray]
    refused: dict[str, np.ndarray]
    seconds: dict[str, float]  # wall seconds each preparation took for the whole set

    def tally(self, mask: np.ndarray | None = None) -> dict:
        """Images, and per preparation the accuracy (0-1; refused = wrong) and the refused count, of `mask`'s rows."""
        mask = np.ones(len(self.rows), bool) if mask is None else mask
        counts = {"images": int(mask.sum())}
        for name in self.correct:
            counts[f"{name}_accuracy"] = float(self.correct[name][mask].mean())
            counts[f"{name}_refused"] = int(self.refused[name][mask].sum())
        return counts

    def by(self, column: str) -> dict[str, dict]:
        """`tally` per distinct value of a labels.csv column, sorted by value."""
        values = np.array([row[column] for row in self.rows])
        return {value: self.tally(values == value) for value in sorted(set(values))}


def score_set(classifier, images_dir: Path) -> SetScore:
    """Prepare every image of the set each way and classify it with `classifier` (a SavedModelClassifier)."""
    rows = read_labels(images_dir)
    labels = np.array([int(row["label"]) for row in rows])
    correct, refused, seconds = {}, {}, {}
    for name, prepare in PREPARATIONS.items():
        pixels = np.zeros((len(rows), 784), np.float32)
        accepted = np.zeros(len(rows), bool)
        with Stopwatch() as watch:
            for index, row in enumerate(rows):
                try:
                    pixels[index] = prepare(images_dir / row["file"])
                    accepted[index] = True
                except DigitnetError:
                    pass
        _, classes = classifier.predict(pixels)
        correct[name], refused[name], seconds[name] = (classes == labels) & accepted, ~accepted, watch.seconds
    return SetScore(rows, correct, refused, seconds)
