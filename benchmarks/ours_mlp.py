"""Worker: train the default MLP with digitnet's own training path and time each epoch.

The real code path of `digitnet.training.train`: `build_training_graph` (training set held in the graph,
batches gathered by index), `open_session` (all cores for each op, op determinism on) and `run_epoch`
(which also fetches each batch's loss and correct count, as training always does). Validation is not
run, so the timing is training only. Run by `benchmarks.training_speed` as
``python -m benchmarks.ours_mlp SPEC.json OUT.json``.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import throughput_result, worker_main
from benchmarks.step_profile import numpy_matmul_ms, trace_steps, training_matmul_shapes
from benchmarks.workload import load_arrays


def measure(spec: dict) -> dict:
    """Build, train warm-up + timed epochs, evaluate on the test split; return the timings."""
    from digitnet.config import TrainConfig
    from digitnet.data import Split
    from digitnet.training import build_training_graph, evaluate_split, open_session, run_epoch

    arrays = load_arrays(spec["arrays"])
    network = spec["network"]
    config = TrainConfig(
        hidden_units=tuple(network["hidden_units"]), dropout=network["dropout"],
        batch_size=network["batch_size"], learning_rate=network["learning_rate"],
        lr_decay=network["lr_decay"], augment=network["augment"], seed=spec["seed"], threads=spec.get("threads", 0),
    )
    train_split = Split(arrays["train_images"], arrays["train_labels"])
    rows = len(train_split)
    started = time.perf_counter()
    model = build_training_graph(config, rows, steps_per_epoch=-(-rows // config.batch_size))
    session = open_session(model, train_split, config)
    setup_seconds = time.perf_counter() - started
    rng = np.random.default_rng(spec["seed"])
    warmup, timed = [], []
    for epoch in range(spec["warmup_epochs"] + spec["timed_epochs"]):
        epoch_started = time.perf_counter()
        run_epoch(session, model, rows, config, rng)
        (warmup if epoch < spec["warmup_epochs"] else timed).append(time.perf_counter() - epoch_started)
    _, test_accuracy = evaluate_split(session, model, Split(arrays["test_images"], arrays["test_labels"]))
    extra = {}
    if spec.get("profile_steps"):
        # After the timed epochs, so tracing never touches the throughput figures.
        extra["profile"] = trace_steps(session, model, config.batch_size, rows, steps=spec["profile_steps"],
                                       skip=min(5, spec["profile_steps"]))
        shapes = training_matmul_shapes(config.hidden_units, config.batch_size)
        extra["profile"]["numpy_matmul_ms"] = numpy_matmul_ms(shapes)
        extra["profile"]["matmul_shapes"] = [list(shape) for shape in shapes]
    session.close()
    return throughput_result("ours", setup_seconds, warmup, timed, rows, test_accuracy, **extra)


if __name__ == "__main__":
    worker_main(measure)
