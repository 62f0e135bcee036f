"""Train the named configurations (`context.MODEL_CONFIGS`) and compare them: test accuracy, user-image
accuracy, training time.

Not part of `make bench` (it trains every model in full: about 20 minutes on a fast machine, much longer
on a small one). Run it alone:

    python -m benchmarks.model_table [--configs default,mlp,cnn-large] [--data MNIST]
                                     [--images build/user_images] [--export-dir build/model_table]

Each model is trained with `digitnet.training.run_training` (validation, early stopping), exported as
``<export-dir>/<name>/<N>`` and classified on the user-like image set (`benchmarks.user_images`). Writes
benchmarks/models.md and puts the same rows under "models" in benchmarks/results.json (and re-renders
results.md and results.png around them). Each model is trained once: a full training is the repetition.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import BENCH_DIR, PROJECT_ROOT, display_path, log
from benchmarks.context import MODEL_CONFIGS, Context, Plan, without_paths
from benchmarks.image_set import DEFAULT_IMAGES
from benchmarks.machine import describe_machine
from benchmarks.markdown import floors_table
from benchmarks.report import load_results, models_lines, write_outputs
from benchmarks.stats import Stopwatch, floor, now_iso
from benchmarks.user_images import FLOOR_ANY_MODEL, FLOOR_BEST_MODEL, FLOOR_DEFAULT_MODEL, evaluate_model
from digitnet.errors import DigitnetError
from digitnet.export import export_result
from digitnet.training import run_training


def train_one(name: str, ctx: Context, progress: bool) -> dict:
    """Train, export and evaluate one configuration; returns its table row (accuracies 0-1, seconds)."""
    config = ctx.train_config(name)
    log(f"model table: training {name} ({MODEL_CONFIGS[name] or 'TrainConfig() defaults'})")
    with Stopwatch() as watch:
        result = run_training(config, progress=progress, data=ctx.data)
    export_dir = export_result(result, ctx.data)
    user = evaluate_model(export_dir, ctx.user_images)
    return {
        "name": name,
        "overrides": {key: list(v) if isinstance(v, tuple) else v for key, v in MODEL_CONFIGS[name].items()},
        "settings": without_paths(config.to_dict()),
        "test_accuracy": result.test_accuracy,
        "validation_accuracy": result.validation_accuracy,
        "user_image_accuracy": user["overall"]["prepared_accuracy"],
        "user_image_naive_accuracy": user["overall"]["naive_accuracy"],
        "user_image_refused": user["overall"]["prepared_refused"],
        "user_images": user["images"],
        "user_image_kinds": {kind: tally["prepared_accuracy"] for kind, tally in user["kinds"].items()},
        "wall_seconds": watch.seconds,
        "training_loop_seconds": result.train_seconds,
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "export_dir": display_path(export_dir),
    }


def table_floors(rows: list[dict]) -> list[dict]:
    """User-image floors: every model >= 90 %, the default >= 92 %, the best >= 95 %."""
    floors = [floor("models", f"user-image accuracy, {row['name']}", row["user_image_accuracy"], FLOOR_ANY_MODEL)
              for row in rows]
    floors += [floor("models", "user-image accuracy, default model", row["user_image_accuracy"], FLOOR_DEFAULT_MODEL)
               for row in rows if row["name"] == "default"]
    if rows:
        best = max(rows, key=lambda row: row["user_image_accuracy"])
        floors.append(floor("models", f"user-image accuracy, best model ({best['name']})",
                            best["user_image_accuracy"], FLOOR_BEST_MODEL))
    return floors


def save(models: dict, out_dir: Path) -> list[Path]:
    """Write models.md; put the rows under "models" in results.json and re-render results.md (and .png)."""
    machine = describe_machine()
    header = (f"# Trained models\n\nMachine: {machine['cpu']['model']}, {machine['cpu']['logical_cpus']} CPUs, "
              f"{machine['memory_gib']} GiB; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "models.md").write_text("\n".join([header, "", *models_lines(models), "",
                                                 *floors_table(models["floors"])]) + "\n")
    # No benchmark run yet: a minimal results.json whose models `benchmarks.run` will keep.
    results = load_results(out_dir / "results.json") or {
        "schema": 1, "date": models["date"], "command": "python -m benchmarks.model_table", "machine": machine,
        "sections": {}}
    results["models"] = {**models, "machine": machine}
    return [out_dir / "models.md", *(path for path in write_outputs(results, out_dir).values() if path.exists())]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model_table", description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(MODEL_CONFIGS),
                        help=f"comma-separated names from: {','.join(MODEL_CONFIGS)} (default: all)")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "MNIST", help="folder with the four CSVs")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="user-like image set (generated if absent)")
    parser.add_argument("--export-dir", type=Path, default=PROJECT_ROOT / "build" / "model_table",
                        help="exports go to <export-dir>/<name>/<N>")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where models.md and results.json are")
    parser.add_argument("--max-epochs", type=int, help="cap every configuration's epochs (smoke runs only)")
    parser.add_argument("--validation-size", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    args.names = [name.strip() for name in args.configs.split(",") if name.strip()]
    unknown = [name for name in args.names if name not in MODEL_CONFIGS]
    if unknown or not args.names:
        parser.error(f"unknown configuration(s) {','.join(unknown)}; choose from {','.join(MODEL_CONFIGS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Train the chosen configurations and write the table; 1 with a one-line message on bad input."""
    args = parse_args(argv)
    ctx = Context(data_dir=args.data, work_dir=args.export_dir, plan=Plan(), validation_size=args.validation_size,
                  max_epochs=args.max_epochs, given_images=args.images)
    try:  # the data and the image set first: a problem with them should not wait for a long training
        log(f"model table: {len(ctx.data.train):,} training rows, user-like images in {display_path(ctx.user_images)}")
        rows = [train_one(name, ctx, progress=not args.quiet) for name in args.names]
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    models = {"date": now_iso(), "rows": rows, "floors": table_floors(rows), "max_epochs": args.max_epochs}
    print("\n".join([*models_lines(models), "", *floors_table(models["floors"])]))
    for path in save(models, args.out):
        print(f"wrote {display_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
