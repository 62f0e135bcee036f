"""Side-by-side measurements of digitnet (not tests): `python -m benchmarks.run`.

Modules, one job each (each imports only modules listed above it; tests/test_benchmarks.py checks that
the import graph has no cycles):

    stats            repetitions summarised (median, min-max, n), ratios, timers, floors judged
    markdown         the one markdown-table helper, number formats, the floors table
    flops            FLOP counts of the networks, matrix-product shapes of the MLP (the formula is there)
    machine          what the machine is, and its measured float32 matrix-multiply peak (with the BLAS
                     kernels its environment allows, and those OpenBLAS picks itself)
    workers          child processes: their environment, the training workload, the worker protocol
    step_profile     where one training step's time goes (a per-op trace) and the ceiling it implies
    ours_worker      worker: our TF1 graph trained with run_epoch
    keras_worker     worker: the same network with Keras 3 model.fit
    torch_worker     worker: the same network with a PyTorch eager loop
    image_set        the user-like image set: generated if absent, classified with both preparations
    context          the run's settings, and what sections share (data, model, images, peak), made on demand
    training_speed   section: the three workers interleaved, ratios, GFLOP/s
    time_to_accuracy section: the default train() until the test accuracy reaches 98.0 % / 98.5 %
    data_loading     section: our CSV reader against np.loadtxt
    inference        section: SavedModel load, single-image latency, batch throughput, the CLI
    user_images      section: accuracy on the user-like image set (also runnable alone)
    sections         the registry of sections: name -> module
    chart            results.png from the results dict
    report           results.md / results.json from the results dict (all floors in one table)
    model_table      the trained-model comparison (runnable alone; not part of the default run)
    run              the command line: runs the sections, writes results.md / results.json / results.png

Every module here is an entry point or serves one, so importing the package quiets TensorFlow's start-up
chatter (`digitnet.quiet.quiet_tensorflow`) before any module imports TensorFlow.
"""

from __future__ import annotations

import sys
from pathlib import Path

from digitnet.quiet import quiet_tensorflow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent

quiet_tensorflow()


def log(message: str) -> None:
    """Progress line on stderr (stdout stays free for whatever a caller pipes)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def display_path(path) -> str:
    """A path as results may show it: relative to the checkout, else only its last two parts (never a
    machine's absolute path)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(Path("<scratch>", *path.parts[-2:]))
