"""Where one training step's time goes: a per-op trace of our step, the matmul-only bound it implies, and
the lines results.md shows for it.

Measured inside the `ours_worker` worker after its timed epochs (`profile_step`):

- `trace_steps` runs a few ordinary training steps with TensorFlow's full trace (RunMetadata step stats)
  and adds up each op's own run time, grouped into matrix products and convolutions (including the
  forward ones that oneDNN fuses with the bias add and ReLU, and the convolutions' two gradients), the
  optimizer update (ApplyAdam), the in-graph batch gather and scaling, and everything else (pooling, ReLU
  and bias gradients, the loss).
- For an MLP, `numpy_matmul_ms` times the very same matrix shapes with numpy's BLAS, the best rate this
  machine reaches for them, so "matrix products at numpy's rate" is a measured lower bound on a float32 step.

`bounds` turns those into the ceiling on ours/Keras: even with every other op free, a step cannot be faster
than its matrix products and convolutions.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

import numpy as np

from benchmarks.flops import training_matmul_shapes
from benchmarks.markdown import table
from digitnet._tf import tf1

CATEGORIES = ("matrix products and convolutions", "optimizer (ApplyAdam)", "batch gather and scaling", "other ops")


def categorize(node_name: str, op_type: str) -> str:
    """The CATEGORIES entry of one traced op."""
    if "MatMul" in op_type or "Conv2D" in op_type:  # Conv2D, its fused forms and Conv2DBackprop{Input,Filter}
        return CATEGORIES[0]
    if "Adam" in op_type:
        return CATEGORIES[1]
    return CATEGORIES[2] if node_name.startswith("training_data/") else CATEGORIES[3]


def _op_type(node_stats) -> str:
    """The op's type from its trace label ``"name = Type(inputs)"``."""
    label = node_stats.timeline_label or ""
    return label.split(" = ", 1)[-1].split("(", 1)[0] if " = " in label else ""


def trace_steps(session, model, batch_size: int, rows: int, steps: int = 20, skip: int = 5,
                seed: int = 0) -> dict:
    """Trace `steps` training steps (the first `skip` not counted) and sum op time per category.

    Args:
        session, model: an open training session and its TrainingGraph (training data already loaded).
        batch_size: rows per step; rows: training rows in the graph (batches are drawn from them).

    Returns:
        {"traced_steps": n, "ms_per_step": {category: median ms of that category's op time per step},
         "op_ms_per_step": median sum of all op times per step (ops run one at a time here, so this is
         close to the step's busy time), "top_ops": [[op name, type, median ms], ...] (the ten largest)}.
        Tracing itself adds a little time to each op, so the sums read slightly high.
    """
    rng = np.random.default_rng(seed)
    options = tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE)
    fetches = [model.train_op, model.loss, model.correct]
    per_category: dict[str, list[float]] = defaultdict(list)
    per_op: dict[tuple[str, str], list[float]] = defaultdict(list)
    totals: list[float] = []
    for step in range(skip + steps):
        indices = rng.choice(rows, size=min(batch_size, rows), replace=False).astype(np.int32)
        metadata = tf1.RunMetadata()
        session.run(fetches, {model.data["batch_indices"]: indices, model.dropout_rate: 0.0},
                    options=options, run_metadata=metadata)
        if step < skip:
            continue
        step_category: dict[str, float] = defaultdict(float)
        step_op: dict[tuple[str, str], float] = defaultdict(float)
        for device in metadata.step_stats.dev_stats:
            for node in device.node_stats:
                milliseconds = (node.op_end_rel_micros - node.op_start_rel_micros) / 1000
                op_type = _op_type(node)
                step_category[categorize(node.node_name, op_type)] += milliseconds
                step_op[(node.node_name, op_type)] += milliseconds
        for category in CATEGORIES:
            per_category[category].append(step_category[category])
        for key, value in step_op.items():
            per_op[key].append(value)
        totals.append(sum(step_category.values()))
    top = sorted(((name, op_type, statistics.median(values)) for (name, op_type), values in per_op.items()),
                 key=lambda item: -item[2])[:10]
    # What Grappler made of the matrix products and convolutions: "_MklNativeFusedMatMul" (or FusedConv2D) is
    # one fused with its bias add (and ReLU); a plain "_MklMatMul" runs alone (the backward products, which
    # have nothing to fuse).
    matmul_kinds = defaultdict(int)
    for _, op_type in per_op:
        if categorize("", op_type) == CATEGORIES[0]:
            matmul_kinds[op_type] += 1
    return {
        "traced_steps": steps,
        "ms_per_step": {category: statistics.median(per_category[category]) for category in CATEGORIES},
        "op_ms_per_step": statistics.median(totals),
        "top_ops": [list(item) for item in top],
        "matmul_op_types": dict(sorted(matmul_kinds.items())),
    }


def numpy_matmul_ms(shapes, repeats: int = 30, rounds: int = 5) -> float:
    """Milliseconds for numpy (BLAS, all cores) to do all `shapes` once: the best of `rounds` rounds,
    each the mean over `repeats` passes, on random float32 operands."""
    rng = np.random.default_rng(0)
    operands = [(rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)) for m, k, n in shapes]
    for left, right in operands:  # warm BLAS's threads and caches
        left @ right
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeats):
            for left, right in operands:
                left @ right
        best = min(best, (time.perf_counter() - started) / repeats)
    return best * 1000


def bounds(step_ms: float, profile: dict, other_examples_per_second: float | None, batch_size: int) -> dict:
    """The ceilings on ours/other that the matrix products (and convolutions) alone impose.

    Args:
        step_ms: our measured (untraced) wall time per training step.
        profile: from `profile_step` (the traced ms per step, and for an MLP "numpy_matmul_ms" for the same
            products).
        other_examples_per_second: the other framework's median throughput (Keras), or None.

    Returns:
        {"step_ms", "other_step_ms", "ceiling_traced_matmuls", "ceiling_numpy_matmuls"}: our and the
        other framework's time per step, and ours/other if our step took only its traced matrix products,
        or only the same products at numpy's rate (None where the other framework was not measured, or for a
        CNN, the numpy one).
    """
    other_ms = batch_size / other_examples_per_second * 1000 if other_examples_per_second else None

    def ceiling(matmul_ms: float) -> float | None:
        return other_ms / matmul_ms if other_ms and matmul_ms else None

    return {"step_ms": step_ms, "other_step_ms": other_ms,
            "ceiling_traced_matmuls": ceiling(profile["ms_per_step"][CATEGORIES[0]]),
            "ceiling_numpy_matmuls": ceiling(profile.get("numpy_matmul_ms"))}


def profile_step(session, model, batch_size: int, hidden_units, steps: int, convolutional: bool = False) -> dict:
    """`trace_steps` on an open training session, plus, for an MLP, the same matrix products timed with numpy
    (ms per step; None for a CNN, whose convolutions numpy does not do)."""
    profile = trace_steps(session, model, batch_size, model.num_examples, steps=steps, skip=min(5, steps))
    if convolutional:
        return {**profile, "numpy_matmul_ms": None, "matmul_shapes": []}
    shapes = training_matmul_shapes(hidden_units, batch_size)
    return {**profile, "numpy_matmul_ms": numpy_matmul_ms(shapes), "matmul_shapes": [list(s) for s in shapes]}


def profile_markdown(profile: dict, batch_size: int) -> list[str]:
    """'Where our step's time goes': the traced op time per category and the matmul-only ceiling."""
    per_step, limits = profile["ms_per_step"], profile.get("bounds") or {}
    total = profile["op_ms_per_step"] or 1.0
    lines = [
        f"**Where our step's time goes** (batch {batch_size}; {profile['traced_steps']} steps traced with "
        "TensorFlow's full trace after the timed epochs of the last repetition; medians of each op's own run "
        "time per step; tracing adds a little to each):",
        "",
        *table(["ops", "ms per step", "share"],
               [[category, f"{per_step[category]:.2f}", f"{per_step[category] / total:.0%}"] for category in CATEGORIES]
               + [["all ops", f"{profile['op_ms_per_step']:.2f}"]]),
        "",
    ]
    kinds = profile.get("matmul_op_types")
    if kinds:
        fused = sum(count for op_type, count in kinds.items() if "Fused" in op_type)
        lines.append(f"- Matrix-product and convolution ops in the optimised graph: "
                     f"{', '.join(f'{count} {op_type}' for op_type, count in kinds.items())}; {fused} of them carry "
                     "their layer's bias add (and ReLU) fused in, so no separate BiasAdd or Relu runs forward.")
    if limits.get("other_step_ms"):
        lines.append(f"- Untraced wall time per step: {limits['step_ms']:.2f} ms ours, "
                     f"{limits['other_step_ms']:.2f} ms Keras.")
    if profile.get("numpy_matmul_ms") is not None:
        lines.append(f"- The same {len(profile['matmul_shapes'])} matrix products with numpy's BLAS (best rate this "
                     f"machine reaches for these shapes): {profile['numpy_matmul_ms']:.2f} ms per step.")
    if limits.get("ceiling_traced_matmuls"):
        numpy_rate = (f", {limits['ceiling_numpy_matmuls']:.2f}x if the products also ran at numpy's rate"
                      if limits.get("ceiling_numpy_matmuls") else "")
        lines.append(
            f"- Ceiling on ours/Keras at this batch size: {limits['ceiling_traced_matmuls']:.2f}x if every op "
            f"but the matrix products and convolutions took no time{numpy_rate}. A float32 step cannot be faster "
            "than those, so they, not feeding or Python, bound the ratio from above.")
    return lines
