"""Section: how long each model's training takes to reach 98.5 %, 99.0 % and 99.2 % MNIST test accuracy.

Every named configuration (`context.MODEL_CONFIGS`: the default that `make run` trains, and the model
table's others) is trained in full, ``ctx.plan.accuracy_runs`` times with different seeds, through
`digitnet.training.train` exactly as `make run` trains (the synthesised rows included). An epoch callback
evaluates the test split after every epoch; the time that evaluation takes is subtracted from the clock,
so a figure is the training's own wall time: making the synthesised rows, graph building, session set-up,
the epochs and their validation passes (CSV loading is excluded: the data is loaded before the clock
starts). The epochs alone (what the training prints as "N epochs in S s") are reported beside it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks import log
from benchmarks.context import MODEL_CONFIGS, Context, without_paths
from benchmarks.markdown import fmt, table
from benchmarks.stats import floor, summarize
from digitnet.config import TrainConfig
from digitnet.data import MnistData
from digitnet.training import build_training_graph, predict, train, training_data

TARGETS = (0.985, 0.990, 0.992)
SEEDS = (42, 1, 2, 3, 4)  # the first `accuracy_runs` of these; 42 is TrainConfig()'s own
FLOOR_ACCURACY = 0.992  # the default reaches this MNIST test accuracy ...
FLOOR_SECONDS = 30.0  # ... within this many seconds of training (median over the seeds)


def one_run(config: TrainConfig, data: MnistData) -> dict:
    """Train once with `config`: the per-epoch curve (seconds since the start, accuracies 0-1), when each
    target was first reached, the whole run's seconds, the epochs' own seconds and the outcome."""
    curve: list[dict] = []
    clock = {"start": time.perf_counter(), "excluded": 0.0}

    def after_epoch(session, record) -> None:
        paused = time.perf_counter()
        probabilities, _ = predict(session, model, data.test)
        test_accuracy = float(np.mean(np.argmax(probabilities, axis=1) == data.test.labels))
        curve.append({"epoch": record.epoch, "seconds": paused - clock["start"] - clock["excluded"],
                      "test_accuracy": test_accuracy, "validation_accuracy": record.validation_accuracy})
        clock["excluded"] += time.perf_counter() - paused

    data = training_data(config, data)  # as make run trains: MNIST rows plus the synthesised ones
    model = build_training_graph(config, len(data.train))
    result = train(model, data, config, progress=False, run_dir=Path(config.log_dir) / f"run{time.time_ns()}",
                   epoch_callback=after_epoch)
    total = time.perf_counter() - clock["start"] - clock["excluded"]
    reached = {}
    for target in TARGETS:
        first = next((point for point in curve if point["test_accuracy"] >= target), None)
        reached[f"{target:.3f}"] = None if first is None else {"seconds": first["seconds"], "epoch": first["epoch"]}
    return {"seed": config.seed, "curve": curve, "reached": reached, "total_seconds": total,
            "epoch_seconds": result.train_seconds, "epochs_run": len(result.history), "best_epoch": result.best_epoch,
            "final_test_accuracy": result.test_accuracy, "stopped_early": result.stopped_early}


def summarize_model(name: str, config: TrainConfig, runs: list[dict]) -> dict:
    """One model's figures over its runs: per target the seconds and epoch (median, min-max), and totals."""
    targets = {}
    for key in (f"{t:.3f}" for t in TARGETS):
        hits = [run["reached"][key] for run in runs if run["reached"][key] is not None]
        targets[key] = {"seconds": summarize([hit["seconds"] for hit in hits], "s"),
                        "epoch": summarize([hit["epoch"] for hit in hits], ""),
                        "reached_in": f"{len(hits)} of {len(runs)} runs"}
    return {
        "name": name, "config": without_paths(config.to_dict()), "runs": runs, "targets": targets,
        "total_seconds": summarize([run["total_seconds"] for run in runs], "s"),
        "epoch_seconds": summarize([run["epoch_seconds"] for run in runs], "s"),
        "epochs_run": summarize([run["epochs_run"] for run in runs], ""),
        "final_test_accuracy": summarize([run["final_test_accuracy"] for run in runs], ""),
    }


def measure(ctx: Context) -> dict:
    """Train every model `ctx.plan.accuracy_runs` times (the tests' smoke run: the default, once)."""
    names = ["default"] if ctx.tiny else list(MODEL_CONFIGS)
    seeds = SEEDS[: ctx.plan.accuracy_runs]
    models = []
    for name in names:
        runs = []
        for seed in seeds:
            config = ctx.train_config(name).replace(seed=seed)
            log(f"time to accuracy: {name}, seed {seed} (full training)")
            runs.append(one_run(config, ctx.data))
        models.append(summarize_model(name, ctx.train_config(name), runs))
    return {
        "title": "Time to accuracy: every model, several seeds",
        "settings": {"seeds": list(seeds), "targets": list(TARGETS)},
        "models": models,
        "floors": section_floors(models[0]),
    }


def section_floors(default: dict) -> list[dict]:
    """The default model's floors, from its `summarize_model` dict: final accuracy, time to FLOOR_ACCURACY and
    the whole run's time (medians over its runs)."""
    seeds = len(default["runs"])
    # A run that never reaches the target counts as infinitely slow, so the median is honest about misses.
    reach = [run["reached"][f"{FLOOR_ACCURACY:.3f}"] for run in default["runs"]]
    seconds = float(np.median([hit["seconds"] if hit else np.inf for hit in reach])) if reach else None
    whole = default["total_seconds"]["median"]
    accuracy = default["final_test_accuracy"]["median"]
    return [
        floor("time_to_accuracy", f"default: final MNIST test accuracy (median of {seeds} seeds)", accuracy,
              FLOOR_ACCURACY),
        floor("time_to_accuracy", f"default: seconds of training to {FLOOR_ACCURACY:.1%} test accuracy (median of "
              f"{seeds} seeds)", None if seconds is None or np.isinf(seconds) else seconds, FLOOR_SECONDS, False,
              unit="s"),
        floor("time_to_accuracy", f"default: the whole training run, seconds (median of {seeds} seeds)", whole,
              FLOOR_SECONDS, False, unit="s"),
    ]


def _described(config: dict) -> str:
    """A model's shape and recipe in a few words."""
    shape = (f"cnn {config['conv_filters']} + {config['hidden_units']}" if config["architecture"] == "cnn"
             else f"mlp {config['hidden_units']}")
    schedule = (f"cosine, warm-up {config['warmup_epochs']}" if config["lr_schedule"] == "cosine"
                else f"x {config['lr_decay']} per epoch")
    stopping = f", patience {config['patience']}" if config["patience"] else ""
    return (f"{shape}, batch {config['batch_size']}, lr {config['learning_rate']} ({schedule}), up to "
            f"{config['epochs']} epochs{stopping}, augment {config['augment']}")


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    seeds = section["settings"]["seeds"]
    lines = [
        f"Each model trained in full with seeds {', '.join(map(str, seeds))}, exactly as `make run` trains "
        "(synthesised rows included). The clock starts before the synthesised rows are made and the graph is "
        "built; it excludes CSV loading and the benchmark's own per-epoch test evaluation. Figures: median "
        "(min–max, n) over the seeds.",
        "",
    ]
    rows = []
    for model in section["models"]:
        cells = [f"{model['name']}: {_described(model['config'])}"]
        for key in (f"{t:.3f}" for t in section["settings"]["targets"]):
            target = model["targets"][key]
            cells.append(f"{fmt(target['seconds'], 1)} ({target['reached_in']})" if target["seconds"]["n"]
                         else f"not reached ({target['reached_in']})")
        accuracy = model["final_test_accuracy"]
        cells += [fmt(model["total_seconds"], 1), fmt(model["epoch_seconds"], 1),
                  f"{accuracy['median']:.2%} ({accuracy['min']:.2%}–{accuracy['max']:.2%})"]
        rows.append(cells)
    headers = ["model", *(f"to {t:.1%}" for t in section["settings"]["targets"]), "whole training",
               "epochs alone", "final test accuracy"]
    lines += table(headers, rows)
    lines += ["", "The chart's last panel plots every run's test accuracy against its wall time."]
    return lines
