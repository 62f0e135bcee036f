"""Which SavedModel the inference and user-image sections measure.

In order: the folder given with ``--model``; else the latest ``SavedModel/<N>`` of the checkout; else
the model of this run's time-to-accuracy training (TrainConfig() defaults), exported into the run's
scratch folder; else a model trained here with TrainConfig() defaults. The results say which.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import PROJECT_ROOT, Context, log


def _export_default_run(ctx: Context) -> Path:
    """Export the time-to-accuracy run's model, or train one with the defaults first."""
    from benchmarks.time_to_accuracy import default_config
    from digitnet.training import build_training_graph, export_result, train

    if "default_run" not in ctx.cache:
        log("no model given and none in SavedModel/: training one with TrainConfig() defaults")
        data, config = ctx.data(), default_config(ctx)
        rows = len(data.train)
        model = build_training_graph(config, rows, steps_per_epoch=-(-rows // config.batch_size))
        ctx.cache["default_run"] = (train(model, data, config, progress=False), data)
    result, data = ctx.cache["default_run"]
    return export_result(result, data, ctx.work_dir / "SavedModel")


def resolve_model(ctx: Context) -> tuple[Path, str]:
    """(version folder, how it was chosen); remembered for the rest of the run."""
    if "model" in ctx.cache:
        return ctx.cache["model"]
    from digitnet.export import version_numbers
    from digitnet.model import resolve_model_dir

    if ctx.model is not None:
        chosen = (resolve_model_dir(ctx.model), "given with --model")
    elif not ctx.tiny and version_numbers(PROJECT_ROOT / "SavedModel"):
        chosen = (resolve_model_dir(PROJECT_ROOT / "SavedModel"), "latest SavedModel/<N> of the checkout")
    else:
        chosen = (_export_default_run(ctx), "trained by this run with TrainConfig() defaults")
    ctx.cache["model"] = chosen
    return chosen


def describe_model(path: Path) -> dict:
    """What the model's JSON record says about it (parameters, test accuracy), for the results."""
    from digitnet.export import read_record

    record = read_record(path)
    parameters = record.get("parameters", {})
    keys = ("architecture", "hidden_units", "conv_filters", "epochs", "augment", "dropout", "lr_decay")
    return {
        "parameters": {key: parameters[key] for key in keys if key in parameters},
        "test_accuracy": record.get("test_accuracy"),
        "epochs_run": record.get("epochs_run"),
    }
