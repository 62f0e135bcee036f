"""Train several named configurations and compare them: test accuracy, user-image accuracy, time.

Not part of `make bench` (it trains every model in full: about 20 minutes on a fast machine, much longer
on a small one). Run it alone:

    python -m benchmarks.model_table [--configs default,mlp-augmented,cnn] [--data MNIST]
                                     [--images build/user_images] [--export-dir build/model_table]

Each model is trained with `digitnet.training.run_training` (validation, early stopping), exported as
``<export-dir>/<name>/<N>`` and classified on the user-like image set (benchmarks.user_images). Writes
benchmarks/models.md and puts the same rows under "models" in benchmarks/results.json (and re-renders
results.md and results.png around them). Each model is trained once: a full training is the repetition.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.common import BENCH_DIR, PROJECT_ROOT, Stopwatch, display_path, floor, log, mark, now_iso, without_paths

# The configurations, as overrides of TrainConfig()'s defaults. Edit freely: names are what --configs takes.
MODEL_CONFIGS: dict[str, dict] = {
    # What `make run` trains: the best accuracy found that trains in under 90 s here.
    "default": {},
    # The classic recipe for comparison: a 512-256 MLP with dropout and no augmentation.
    "mlp-classic": {"hidden_units": (512, 256), "batch_size": 128, "learning_rate": 1e-3, "lr_decay": 0.9,
                    "dropout": 0.2, "augment": "none", "patience": 5},
    # The stronger MLP: more epochs, stronger distortions, dropout on top (target >= 99.2% in <= 5 min).
    "mlp-long": {"augment": "standard", "dropout": 0.2, "lr_decay": 0.95, "epochs": 80, "patience": 15},
    # Two 5x5 convolution blocks (32 and 64 channels) and a 256-unit head (target >= 99.5% in <= 10 min).
    "cnn": {"architecture": "cnn", "conv_filters": (32, 64), "hidden_units": (256,), "batch_size": 128,
            "learning_rate": 1e-3, "lr_decay": 0.85, "dropout": 0.3, "augment": "standard", "epochs": 20,
            "patience": 6},
    # The same with half the channels: less time, a little less accurate.
    "cnn-small": {"architecture": "cnn", "conv_filters": (16, 32), "hidden_units": (256,), "batch_size": 128,
                  "learning_rate": 1e-3, "lr_decay": 0.93, "dropout": 0.3, "augment": "standard", "epochs": 45,
                  "patience": 10},
}


def train_one(name: str, overrides: dict, data, args: argparse.Namespace) -> dict:
    """Train, export and evaluate one configuration; returns its table row."""
    from benchmarks.user_images import evaluate_model
    from digitnet.config import TrainConfig
    from digitnet.training import export_result, run_training

    base = args.export_dir / name
    config = TrainConfig(data_dir=str(args.data), export_dir=str(base), log_dir=str(base / "logs"),
                         validation_size=args.validation_size, **overrides)
    if args.max_epochs:
        config = config.replace(epochs=min(config.epochs, args.max_epochs))
    log(f"model table: training {name} ({overrides or 'TrainConfig() defaults'})")
    with Stopwatch() as watch:
        result = run_training(config, progress=not args.quiet, data=data)
    export_dir = export_result(result, data)
    user = evaluate_model(export_dir, args.images)
    return {
        "name": name,
        "overrides": {key: list(v) if isinstance(v, tuple) else v for key, v in overrides.items()},
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
    from benchmarks.user_images import FLOOR_ANY_MODEL, FLOOR_BEST_MODEL, FLOOR_DEFAULT_MODEL

    floors = [floor("models", f"user-image accuracy, {row['name']}", row["user_image_accuracy"], FLOOR_ANY_MODEL)
              for row in rows]
    floors += [floor("models", "user-image accuracy, default model", row["user_image_accuracy"], FLOOR_DEFAULT_MODEL)
               for row in rows if row["name"] == "default"]
    if rows:
        best = max(rows, key=lambda row: row["user_image_accuracy"])
        floors.append(floor("models", f"user-image accuracy, best model ({best['name']})",
                            best["user_image_accuracy"], FLOOR_BEST_MODEL))
    return floors


def to_markdown(models: dict) -> list[str]:
    """The table (used for models.md and for the section in results.md)."""
    capped = f" **Smoke run: epochs capped at {models['max_epochs']}.**" if models.get("max_epochs") else ""
    lines = [
        f"Trained {models['date']}; each configuration trained once (a full run with early stopping),{capped} "
        f"user-image accuracy on {models['rows'][0]['user_images'] if models['rows'] else 0} images with "
        "digitnet's preparation (naive preparation in brackets).",
        "",
        "| name | settings (changes from TrainConfig()) | test accuracy | user images | training wall time "
        "| epochs run (best) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in models["rows"]:
        changes = ", ".join(f"{k}={v}" for k, v in row["overrides"].items()) or "defaults"
        lines.append(
            f"| {row['name']} | {changes} | {row['test_accuracy']:.2%} | {row['user_image_accuracy']:.1%} "
            f"({row['user_image_naive_accuracy']:.1%}) | {row['wall_seconds']:.0f} s | "
            f"{row['epochs_run']} ({row['best_epoch']}) |"
        )
    lines += ["", "| floor | measured | target | result |", "| --- | --- | --- | --- |"]
    for item in models["floors"]:
        lines.append(f"| {item['what']} | {item['value']:.1%} | {item['comparison']} {item['threshold']:.0%} | "
                     f"{mark(item['passed'])} |")
    return lines


def save(models: dict, out_dir: Path) -> list[Path]:
    """Write models.md; put the rows into results.json and re-render results.md/png if it exists."""
    from benchmarks.machine import describe_machine
    from benchmarks.report import load_results, render, write_outputs

    out_dir.mkdir(parents=True, exist_ok=True)
    machine = describe_machine()
    header = (f"# Trained models\n\nMachine: {machine['cpu']['model']}, {machine['cpu']['logical_cpus']} CPUs, "
              f"{machine['memory_gib']} GiB; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()))
    written = [out_dir / "models.md"]
    written[0].write_text(header + "\n\n" + "\n".join(to_markdown(models)) + "\n")
    results = load_results(out_dir / "results.json")
    if results.get("machine"):
        results["models"] = {**models, "machine": machine}
        written += list(write_outputs(results, out_dir).values())
    else:  # no benchmark run yet: a minimal results.json that `benchmarks.run` will keep the models of
        import json

        results = {"schema": 1, "date": models["date"], "command": "python -m benchmarks.model_table",
                   "machine": machine, "sections": {}, "models": {**models, "machine": machine}}
        (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        (out_dir / "results.md").write_text(render(results, None))
        written += [out_dir / "results.json", out_dir / "results.md"]
    return written


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model_table", description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(MODEL_CONFIGS),
                        help=f"comma-separated names from: {','.join(MODEL_CONFIGS)} (default: all)")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "MNIST", help="folder with the four CSVs")
    parser.add_argument("--images", type=Path, default=PROJECT_ROOT / "build" / "user_images",
                        help="user-like image set (generated if absent)")
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
    from benchmarks.user_images import ensure_images
    from digitnet.data import load_mnist
    from digitnet.errors import DigitnetError

    try:
        data = load_mnist(args.data, args.validation_size)
        ensure_images(args.images, args.data)
        rows = [train_one(name, MODEL_CONFIGS[name], data, args) for name in args.names]
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    models = {"date": now_iso(), "rows": rows, "floors": table_floors(rows), "max_epochs": args.max_epochs}
    print("\n".join(to_markdown(models)))
    for path in save(models, args.out):
        print(f"wrote {display_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
