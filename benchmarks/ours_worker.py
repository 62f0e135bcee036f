"""Worker: train the workload's network with digitnet's own training path and time each epoch.

The real code path of `digitnet.training.train`: `build_training_graph` (training set held in the graph,
batches gathered by index), `open_session` (all cores for each op, op determinism on) and `run_epoch`
(which also fetches each batch's loss and correct count, as training always does). Validation is not
run, so the timing is training only. With ``profile_steps`` in the spec, a few steps are traced after the
timed epochs (`benchmarks.step_profile`). Run by `benchmarks.training_speed` as
``python -m benchmarks.ours_worker SPEC.json OUT.json``.
"""

from __future__ import annotations

import numpy as np

from benchmarks.stats import Stopwatch
from benchmarks.step_profile import profile_step
from benchmarks.workers import load_arrays, throughput_result, time_epochs, worker_main
from digitnet.config import TrainConfig
from digitnet.data import Split
from digitnet.training import build_training_graph, evaluate_split, open_session, run_epoch


def measure(spec: dict) -> dict:
    """Build, train warm-up + timed epochs, evaluate on the test split; return the timings (seconds)."""
    arrays, network = load_arrays(spec["arrays"]), spec["network"]
    # The same 10-class work as the other two: no synthesised rows, a constant learning rate.
    # (digitnet's convolutions are 5x5, as the workload's kernel_size)
    conv = {"architecture": "cnn", "conv_filters": tuple(network["conv_filters"])} if network.get("conv_filters") \
        else {"architecture": "mlp"}
    config = TrainConfig(**conv, hidden_units=tuple(network["hidden_units"]), dropout=network["dropout"],
                         batch_size=network["batch_size"], learning_rate=network["learning_rate"],
                         lr_schedule="decay", lr_decay=network["lr_decay"], augment=network["augment"],
                         seed=spec["seed"], threads=spec.get("threads", 0), variants=False, negatives=0)
    train_split = Split(arrays["train_images"], arrays["train_labels"])
    with Stopwatch() as setup:
        model = build_training_graph(config, len(train_split))
        session = open_session(model, train_split, config.threads)
    rng = np.random.default_rng(spec["seed"])
    warmup, timed = time_epochs(spec, lambda: run_epoch(session, model, model.num_examples, config, rng))
    _, test_accuracy = evaluate_split(session, model, Split(arrays["test_images"], arrays["test_labels"]))
    extra = {}
    if spec.get("profile_steps"):  # after the timed epochs, so tracing never touches the throughput figures
        extra["profile"] = profile_step(session, model, config.batch_size, config.hidden_units, spec["profile_steps"],
                                        convolutional=config.architecture == "cnn")
    session.close()
    return throughput_result("ours", setup.seconds, warmup, timed, model.num_examples, test_accuracy, **extra)


if __name__ == "__main__":
    worker_main(measure)
