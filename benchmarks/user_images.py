"""Section 5: accuracy on the user-like image set, digitnet's preparation against the naive one.

The set (scripts/make_user_images.py: MNIST *test* digits re-drawn as photos, drawings, scans and odd
file formats, with labels.csv) is classified twice by the same model: once after
``digitnet.images.prepare_image`` (MNIST's recipe), once after ``naive_resize_and_invert`` (the classic
notebooks' squash-and-invert, kept as the baseline). An image that preparation refuses counts as wrong.

Also runnable alone:

    python -m benchmarks.user_images [--model DIR] [--images build/user_images] [--data MNIST] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.common import (
    BENCH_DIR,
    PROJECT_ROOT,
    Stopwatch,
    display_path,
    floor,
    log,
    mark,
    without_paths,
    worker_env,
)

FLOOR_ANY_MODEL = 0.90
FLOOR_DEFAULT_MODEL = 0.92
FLOOR_BEST_MODEL = 0.95
DEFAULT_IMAGES = PROJECT_ROOT / "build" / "user_images"
# Parameters that decide what a trained model is; a model whose record matches TrainConfig() on all of
# them is "the default model".
MODEL_DEFINING = ("architecture", "hidden_units", "conv_filters", "epochs", "batch_size", "learning_rate",
                  "lr_decay", "dropout", "augment", "patience", "seed", "limit", "validation_size")


def ensure_images(images_dir: Path, data_dir: Path, per_kind: int | None = None) -> Path:
    """Generate the set with scripts/make_user_images.py if `images_dir` has no labels.csv; return the folder."""
    if not (images_dir / "labels.csv").exists():
        command = [sys.executable, str(PROJECT_ROOT / "scripts" / "make_user_images.py"),
                   "--out", str(images_dir), "--data", str(data_dir)]
        if per_kind is not None:
            command += ["--per-kind", str(per_kind)]
        log(f"user images: generating the set in {display_path(images_dir)}")
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=worker_env(), capture_output=True, text=True)
        if completed.returncode != 0:
            from digitnet.errors import DigitnetError

            reason = (completed.stderr.strip().splitlines() or ["no message"])[-1]
            raise DigitnetError(f"{display_path(images_dir)}: could not generate the user-like images ({reason})")
    return images_dir


def ensure_context_images(ctx) -> Path:
    """The run's image set: --images, else build/user_images; tiny runs make 1 per kind in scratch."""
    if ctx.tiny and ctx.images_dir is None:
        return ensure_images(ctx.work_dir / "user_images", ctx.data_dir, per_kind=1)
    return ensure_images(ctx.images_dir or DEFAULT_IMAGES, ctx.data_dir)


def image_rows(images_dir: Path) -> list[dict]:
    """The rows of labels.csv (file, label, kind, mnist_test_row, variant)."""
    with open(images_dir / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def prepare_all(paths: list[Path], prepare) -> tuple[np.ndarray, np.ndarray]:
    """Run `prepare` (path -> float32 [784]) on every path; returns (pixels [n, 784], accepted mask [n])."""
    from digitnet.errors import DigitnetError

    pixels = np.zeros((len(paths), 784), np.float32)
    accepted = np.zeros(len(paths), bool)
    for index, path in enumerate(paths):
        try:
            pixels[index] = prepare(path)
            accepted[index] = True
        except DigitnetError:
            pass
    return pixels, accepted


def classify_set(classifier, images_dir: Path) -> dict:
    """Accuracy per kind and overall with both preparations; refused images count as wrong."""
    from digitnet.images import naive_resize_and_invert, prepare_image

    rows = image_rows(images_dir)
    paths = [images_dir / row["file"] for row in rows]
    labels = np.array([int(row["label"]) for row in rows])
    kinds = [row["kind"] for row in rows]
    outcome = {}
    for name, prepare in (("prepared", lambda p: prepare_image(p).pixels), ("naive", naive_resize_and_invert)):
        with Stopwatch() as watch:
            pixels, accepted = prepare_all(paths, prepare)
        _, classes = classifier.predict(pixels)
        outcome[name] = {"correct": (classes == labels) & accepted, "refused": ~accepted, "seconds": watch.seconds}
    per_kind = defaultdict(lambda: np.zeros(len(rows), bool))
    for index, kind in enumerate(kinds):
        per_kind[kind][index] = True
    return {
        "images": len(rows),
        "kinds": {kind: _tally(outcome, mask) for kind, mask in per_kind.items()},
        "overall": _tally(outcome, np.ones(len(rows), bool)),
        "preparation_seconds": {name: result["seconds"] for name, result in outcome.items()},
    }


def _tally(outcome: dict, mask: np.ndarray) -> dict:
    count = int(mask.sum())
    return {
        "images": count,
        "prepared_accuracy": float(outcome["prepared"]["correct"][mask].mean()),
        "prepared_refused": int(outcome["prepared"]["refused"][mask].sum()),
        "naive_accuracy": float(outcome["naive"]["correct"][mask].mean()),
    }


def is_default_model(parameters: dict) -> bool:
    """True when the model's recorded parameters equal TrainConfig()'s on everything that shapes a model."""
    from digitnet.config import TrainConfig

    defaults = TrainConfig().to_dict()
    return bool(parameters) and all(parameters.get(key) == defaults[key] for key in MODEL_DEFINING)


def evaluate_model(model_dir: Path, images_dir: Path) -> dict:
    """Load the model and classify the set; the result names the model and carries its floors."""
    from digitnet.export import read_record
    from digitnet.model import SavedModelClassifier

    with SavedModelClassifier(model_dir) as classifier:
        result = classify_set(classifier, images_dir)
    parameters = read_record(model_dir).get("parameters", {})
    default = is_default_model(parameters)
    overall = result["overall"]
    floors = [floor("user_images", "accuracy with digitnet's preparation (any model)",
                    overall["prepared_accuracy"], FLOOR_ANY_MODEL)]
    if default:
        floors.append(floor("user_images", "accuracy with digitnet's preparation (default model)",
                            overall["prepared_accuracy"], FLOOR_DEFAULT_MODEL))
    return {
        "title": "User-like images: digitnet's preparation against the naive one",
        "model": {"path": display_path(model_dir), "default_config": default,
                  "parameters": without_paths(parameters)},
        "images_dir": display_path(images_dir),
        **result,
        "floors": floors,
    }


def measure(ctx) -> dict:
    """Section 5 within `benchmarks.run`: the run's model on the run's image set."""
    from benchmarks.model_source import resolve_model

    model_dir, chosen = resolve_model(ctx)
    log("user images: classifying with both preparations")
    section = evaluate_model(model_dir, ensure_context_images(ctx))
    section["model"]["chosen"] = chosen
    return section


def to_markdown(section: dict) -> list[str]:
    """The per-kind table (also what the standalone run writes)."""
    model = section["model"]
    lines = [
        f"{section['images']} images in `{section['images_dir']}` (MNIST test digits the model never trained on, "
        f"re-drawn as users send them); model `{model['path']}`"
        f"{' (TrainConfig() defaults)' if model.get('default_config') else ''}. One pass over the set (accuracy "
        "is deterministic); a refused image counts as wrong.",
        "",
        "| kind | images | digitnet prepare_image | refused | naive resize-and-invert |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, tally in [*sorted(section["kinds"].items()), ("**overall**", section["overall"])]:
        lines.append(f"| {kind} | {tally['images']} | {tally['prepared_accuracy']:.1%} | {tally['prepared_refused']} "
                     f"| {tally['naive_accuracy']:.1%} |")
    return lines


def standalone_markdown(section: dict) -> str:
    """A complete small markdown file: the table and the floors."""
    lines = ["# User-like images", "", *to_markdown(section), "", "| floor | value | target | result |",
             "| --- | --- | --- | --- |"]
    for item in section["floors"]:
        lines.append(f"| {item['what']} | {item['value']:.1%} | {item['comparison']} {item['threshold']:.0%} | "
                     f"{mark(item['passed'])} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.user_images``: evaluate one model, print and write the table."""
    parser = argparse.ArgumentParser(description="Accuracy of a SavedModel on the user-like image set.")
    parser.add_argument("--model", type=Path, help="SavedModel folder (default: latest SavedModel/<N>)")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="image set (generated if absent)")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "MNIST", help="MNIST folder (to generate the set)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "user_images.md", help="markdown file to write")
    args = parser.parse_args(argv)
    from digitnet.errors import DigitnetError
    from digitnet.model import resolve_model_dir

    try:
        model_dir = resolve_model_dir(args.model, PROJECT_ROOT / "SavedModel")
        section = evaluate_model(model_dir, ensure_images(args.images, args.data))
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = standalone_markdown(section)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {display_path(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
