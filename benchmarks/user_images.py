"""Section: accuracy on the user-like image set, digitnet's preparation against the naive one.

The set (`python -m tools.make_user_images`: MNIST *test* digits re-drawn as photos, drawings, scans and
odd file formats) is classified twice by the same model, after ``prepare_image`` and after the naive
resize-and-invert (`benchmarks.image_set`); a refused image counts as wrong. Reported per kind and overall.
The model is ``ctx.model`` (--model, the latest SavedModel/<N>, or one trained by the run). Also runnable
alone, writing a small markdown file:

    python -m benchmarks.user_images [--model DIR] [--images build/user_images] [--data MNIST] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import BENCH_DIR, PROJECT_ROOT, display_path, log
from benchmarks.context import CHECKOUT_MODELS, Context, without_paths
from benchmarks.image_set import DEFAULT_IMAGES, ensure_images, score_set
from benchmarks.markdown import floors_table, table
from benchmarks.stats import floor
from digitnet.config import TrainConfig
from digitnet.errors import DigitnetError
from digitnet.export import read_record
from digitnet.model import SavedModelClassifier
from digitnet.versions import resolve_model_dir

FLOOR_ANY_MODEL = 0.90
FLOOR_DEFAULT_MODEL = 0.92
FLOOR_BEST_MODEL = 0.95
# Parameters that decide what a trained model is; a model whose record matches TrainConfig() on all of
# them is "the default model".
MODEL_DEFINING = ("architecture", "hidden_units", "conv_filters", "epochs", "batch_size", "learning_rate",
                  "lr_decay", "dropout", "augment", "variants", "negatives", "patience", "seed", "limit",
                  "validation_size")


def is_default_model(parameters: dict) -> bool:
    """True when the model's recorded parameters equal TrainConfig()'s on everything that shapes a model."""
    defaults = TrainConfig().to_dict()
    return bool(parameters) and all(parameters.get(key) == defaults[key] for key in MODEL_DEFINING)


def evaluate_model(model_dir: Path, images_dir: Path) -> dict:
    """Classify the set with the model; the section dict: which model, accuracy per kind and overall, floors."""
    with SavedModelClassifier(model_dir) as classifier:
        score = score_set(classifier, images_dir)
    parameters = read_record(model_dir).get("parameters", {})
    default, overall = is_default_model(parameters), score.tally()
    floors = [floor("user_images", "accuracy with digitnet's preparation (any model)", overall["prepared_accuracy"],
                    FLOOR_ANY_MODEL)]
    if default:
        floors.append(floor("user_images", "accuracy with digitnet's preparation (default model)",
                            overall["prepared_accuracy"], FLOOR_DEFAULT_MODEL))
    return {
        "title": "User-like images: digitnet's preparation against the naive one",
        "model": {"path": display_path(model_dir), "default_config": default, "parameters": without_paths(parameters)},
        "images_dir": display_path(images_dir),
        "images": overall["images"],
        "kinds": score.by("kind"),
        "overall": overall,
        "preparation_seconds": score.seconds,
        "floors": floors,
    }


def measure(ctx: Context) -> dict:
    """Run the section: the run's model on the run's image set."""
    log("user images: classifying with both preparations")
    section = evaluate_model(ctx.model.path, ctx.user_images)
    section["model"]["chosen"] = ctx.model.chosen
    return section


def to_markdown(section: dict) -> list[str]:
    """The per-kind table (also what the standalone run writes)."""
    model = section["model"]
    return [
        f"{section['images']} images in `{section['images_dir']}` (MNIST test digits the model never trained on, "
        f"re-drawn as users send them); model `{model['path']}`"
        f"{' (TrainConfig() defaults)' if model.get('default_config') else ''}. One pass over the set (accuracy "
        "is deterministic); a refused image counts as wrong.",
        "",
        *table(["kind", "images", "digitnet prepare_image", "refused", "naive resize-and-invert"], [
            [kind, tally["images"], f"{tally['prepared_accuracy']:.1%}", tally["prepared_refused"],
             f"{tally['naive_accuracy']:.1%}"]
            for kind, tally in [*sorted(section["kinds"].items()), ("**overall**", section["overall"])]]),
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.user_images``: evaluate one model, print and write the table and its floors."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.user_images",
                                     description="Accuracy of a SavedModel on the user-like image set.")
    parser.add_argument("--model", type=Path, help="SavedModel folder (default: latest SavedModel/<N>)")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="image set (generated if absent)")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "MNIST", help="MNIST folder (to generate the set)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "user_images.md", help="markdown file to write")
    args = parser.parse_args(argv)
    try:
        section = evaluate_model(resolve_model_dir(args.model, CHECKOUT_MODELS), ensure_images(args.images, args.data))
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = "\n".join(["# User-like images", "", *to_markdown(section), "", *floors_table(section["floors"])]) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {display_path(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
