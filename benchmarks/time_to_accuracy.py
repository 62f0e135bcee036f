"""Section: how long our default training takes to reach 98.0 % and 98.5 % test accuracy.

The run is exactly `make run`'s: TrainConfig() defaults (learning-rate decay, dropout, early stopping on
the validation split, TensorBoard logging), through `digitnet.training.train`. An epoch callback
evaluates the test split after every epoch; the time that evaluation takes is subtracted from the clock,
so the figure is the training's own wall time: graph building, session set-up, the epochs and their
validation passes (CSV loading is excluded: the data is loaded before the clock starts).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from benchmarks import log
from benchmarks.context import Context, without_paths
from benchmarks.markdown import fmt, table
from benchmarks.stats import summarize
from digitnet.config import TrainConfig
from digitnet.data import MnistData
from digitnet.training import build_training_graph, predict, train, training_data

TARGETS = (0.980, 0.985)


def one_run(config: TrainConfig, data: MnistData) -> dict:
    """Train once with `config`: the per-epoch curve (seconds since the start, accuracies 0-1), when each
    target was first reached, the whole run's seconds and its outcome."""
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
    return {"curve": curve, "reached": reached, "total_seconds": total, "epochs_run": len(result.history),
            "best_epoch": result.best_epoch, "final_test_accuracy": result.test_accuracy,
            "stopped_early": result.stopped_early}


def measure(ctx: Context) -> dict:
    """Run the section (ctx.plan.accuracy_runs full default trainings) and return its results dict."""
    config = ctx.train_config("default")
    runs = []
    for index in range(ctx.plan.accuracy_runs):
        log(f"time to accuracy: run {index + 1}/{ctx.plan.accuracy_runs} (full default training)")
        runs.append(one_run(config, ctx.data))
    targets = {}
    for key in (f"{t:.3f}" for t in TARGETS):
        hits = [run["reached"][key] for run in runs if run["reached"][key] is not None]
        targets[key] = {"seconds": summarize([hit["seconds"] for hit in hits], "s"),
                        "epoch": summarize([hit["epoch"] for hit in hits], ""),
                        "reached_in": f"{len(hits)} of {len(runs)} runs"}
    return {
        "title": "Time to accuracy: the default training run",
        "settings": {"config": without_paths(config.to_dict()), "runs": len(runs)},
        "targets": targets,
        "total_seconds": summarize([run["total_seconds"] for run in runs], "s"),
        "epochs_run": summarize([run["epochs_run"] for run in runs], ""),
        "final_test_accuracy": summarize([run["final_test_accuracy"] for run in runs], ""),
        "runs": runs,
        "floors": [],
    }


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    config = section["settings"]["config"]
    return [
        f"TrainConfig() defaults: {config['architecture']} {config['hidden_units']}, batch {config['batch_size']}, "
        f"lr {config['learning_rate']} x {config['lr_decay']} per epoch, dropout {config['dropout']}, up to "
        f"{config['epochs']} epochs, early-stopping patience {config['patience']}; "
        f"{section['settings']['runs']} run(s) (each is a full training, so few). The clock starts before the "
        "graph is built and excludes CSV loading and the benchmark's own per-epoch test evaluation.",
        "",
        *table(["test accuracy reached", "wall time from start of training", "at epoch", "runs that reached it"],
               [[f"{float(key):.1%}", fmt(target["seconds"], 1), fmt(target["epoch"], 0, unit=False),
                 target["reached_in"]] for key, target in section["targets"].items()]),
        "",
        f"- Whole run: {fmt(section['total_seconds'], 1)}, {fmt(section['epochs_run'], 0, unit=False)} epochs, "
        f"final test accuracy (restored best-validation weights) {section['final_test_accuracy']['median']:.2%}.",
    ]
