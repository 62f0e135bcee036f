"""Section: training throughput of the same networks in three frameworks, interleaved.

ours (digitnet's TF1 graph and run_epoch), Keras 3 ``model.fit`` on the same TensorFlow, and a PyTorch
eager loop train the identical network (same batch size and Adam settings, constant learning rate, no
dropout, no augmentation, float32) on the same 50000 training rows, for three workloads (`WORKLOADS`): the
784-1024-512-10 MLP at batch 256 (the previous default network, the `mlp` model), a small 784-512-64-10 MLP
at batch 128, where per-step overheads weigh most, and the default network's CNN (two 5x5 convolution blocks
of 16 and 32 channels, 128 hidden units) at the default batch of 128. Every repetition runs the three in the
order ours, Keras, PyTorch, each in a fresh process with a fresh model, so slow drift of the machine
(thermal, other load) hits all three alike. Each run trains warm-up epoch(s), then timed epochs;
examples/s is timed rows over timed seconds. Our achieved GFLOP/s (see benchmarks.flops) is compared with
the machine's float32 matrix-multiply peak measured in the same run. In the CNN, ours and Keras run the same
TensorFlow convolution kernels (oneDNN's); PyTorch runs its own on the same arithmetic. Its training set is
MNIST alone, as for the MLPs: the default recipe's synthesised rows and schedule are not part of this work.
"""

from __future__ import annotations

from benchmarks import log
from benchmarks.context import Context
from benchmarks.flops import FORMULA, training_flops
from benchmarks.markdown import fmt, peak_text, table
from benchmarks.stats import floor, peak_fraction, ratio, summarize
from benchmarks.step_profile import bounds, profile_markdown
from benchmarks.workers import network_settings, run_worker, write_arrays

FRAMEWORKS = {
    "ours": ("ours_worker", "digitnet: TF1 graph, Session, run_epoch"),
    "keras": ("keras_worker", "Keras 3 model.fit (same TensorFlow)"),
    "torch": ("torch_worker", "PyTorch eager, DataLoader loop"),
}
FLOOR_VS_KERAS = 2.0
FLOOR_VS_TORCH = 1.3
FLOOR_PEAK_FRACTION = 0.5
BASE_SEED = 42
PROFILE_STEPS = 20
CNN_WORKLOAD = "default CNN (conv 16-32, 128), batch 128"
# name -> (hidden units, batch size, Adam learning rate[, convolution channels])
WORKLOADS = {
    "784-1024-512-10, batch 256": ((1024, 512), 256, 2e-3),
    "784-512-64-10, batch 128": ((512, 64), 128, 1e-3),
    CNN_WORKLOAD: ((128,), 128, 1e-3, (16, 32)),
}


def run_repetitions(ctx: Context, spec: dict) -> dict[str, list[dict]]:
    """Interleave ours, Keras, PyTorch for ctx.plan.repeats rounds; framework -> one result per round.

    Once the PyTorch worker reports that torch cannot be imported, it is not started again.
    Our last repetition also traces a few steps afterwards (`benchmarks.step_profile`).
    """
    runs: dict[str, list[dict]] = {name: [] for name in FRAMEWORKS}
    for repetition in range(ctx.plan.repeats):
        for name, (module, _) in FRAMEWORKS.items():
            if runs[name] and ("skipped" in runs[name][0] or "error" in runs[name][-1]):
                continue
            log(f"training throughput: {name}, repetition {repetition + 1}/{ctx.plan.repeats}")
            last_of_ours = name == "ours" and repetition == ctx.plan.repeats - 1
            profile_steps = (2 if ctx.tiny else PROFILE_STEPS) if last_of_ours else 0
            result = run_worker(module, {**spec, "seed": BASE_SEED + repetition, "profile_steps": profile_steps})
            if "error" in result:
                log(f"  {result['error']}")
            runs[name].append(result)
    return runs


def summarize_framework(results: list[dict]) -> dict:
    """The per-framework figures: examples/s, epoch seconds, test accuracy (or why there are none)."""
    good = [r for r in results if "examples_per_second" in r]
    problems = [r.get("skipped") or r.get("error") for r in results if "examples_per_second" not in r]
    summary = {
        "examples_per_second": summarize([r["examples_per_second"] for r in good], "examples/s"),
        "epoch_seconds": summarize([s for r in good for s in r["epoch_seconds"]], "s"),
        "warmup_seconds": summarize([s for r in good for s in r["warmup_seconds"]], "s"),
        "test_accuracy": summarize([r["test_accuracy"] for r in good], ""),
        "repetitions": len(good),
    }
    if problems:
        summary["note"] = problems[0]
    return summary


def per_repetition_ratios(runs: dict[str, list[dict]], other: str) -> dict:
    """ours / other examples/s within each round (both must have succeeded in that round)."""
    pairs = zip(runs["ours"], runs[other], strict=False)
    values = [a["examples_per_second"] / b["examples_per_second"] for a, b in pairs
              if "examples_per_second" in a and "examples_per_second" in b]
    return summarize(values, "x")


def measure_workload(ctx: Context, arrays: dict, name: str) -> dict:
    """One workload of `WORKLOADS`: every framework's figures, the ratios, our GFLOP/s and step profile."""
    data, network = ctx.data, network_settings(*WORKLOADS[name])
    spec = {"arrays": arrays, "network": network, "threads": 0,
            "warmup_epochs": ctx.plan.warmup_epochs, "timed_epochs": ctx.plan.timed_epochs}
    log(f"training throughput: {name}")
    runs = run_repetitions(ctx, spec)
    frameworks = {framework: {"label": FRAMEWORKS[framework][1], **summarize_framework(results)}
                  for framework, results in runs.items()}
    flops_per_example = training_flops(network["hidden_units"], network["conv_filters"], network["kernel_size"])
    ours = frameworks["ours"]["examples_per_second"]
    gflops = summarize([v * flops_per_example / 1e9 for v in ours["values"]], "GFLOP/s")
    comparisons = {other: {"ratio_of_medians": ratio(ours, frameworks[other]["examples_per_second"]),
                           "per_repetition": per_repetition_ratios(runs, other)} for other in ("keras", "torch")}
    profile = next((r["profile"] for r in runs["ours"] if "profile" in r), None)
    if profile is not None:
        steps_per_epoch = -(-len(data.train) // network["batch_size"])
        step_ms = 1000 * frameworks["ours"]["epoch_seconds"]["median"] / steps_per_epoch
        profile["bounds"] = bounds(step_ms, profile, frameworks["keras"]["examples_per_second"]["median"],
                                   network["batch_size"])
    return {
        "name": name,
        "settings": {
            **network, "training_rows": len(data.train), "warmup_epochs": ctx.plan.warmup_epochs,
            "timed_epochs": ctx.plan.timed_epochs, "repetitions": ctx.plan.repeats,
            "order": "ours, keras, torch in every repetition, each in a fresh process with a fresh model",
        },
        "frameworks": frameworks,
        "ratios": comparisons,
        "flops_per_example": flops_per_example,
        "flop_formula": FORMULA,
        "ours_gflops": gflops,
        "profile": profile,
    }


def measure(ctx: Context) -> dict:
    """Run the section (every workload) and return its results dict (including its floors)."""
    arrays = write_arrays(ctx.data, ctx.work_dir / "arrays")
    names = [next(iter(WORKLOADS)), CNN_WORKLOAD] if ctx.tiny else list(WORKLOADS)  # the tests': an MLP, the CNN
    workloads = [measure_workload(ctx, arrays, name) for name in names]
    floors = []
    for workload in workloads:
        name, ratios = workload["name"], workload["ratios"]
        floors += [
            floor("training", f"ours / Keras examples/s, {name}", ratios["keras"]["ratio_of_medians"],
                  FLOOR_VS_KERAS, unit="x"),
            floor("training", f"ours / PyTorch examples/s, {name}", ratios["torch"]["ratio_of_medians"],
                  FLOOR_VS_TORCH, unit="x"),
        ]
    first, peak = workloads[0], ctx.matmul_peak["gflops"]
    floors.append(floor("training", f"ours GFLOP/s / float32 matmul peak, {first['name']}",
                        peak_fraction(first["ours_gflops"], peak), FLOOR_PEAK_FRACTION, unit="of peak"))
    return {"title": "Training throughput: the same networks in three frameworks", "workloads": workloads,
            "matmul_peak_gflops": peak, "floors": floors}


def _ratio_text(comparison: dict) -> str:
    value = comparison["ratio_of_medians"]
    if value is None:
        return "n/a"
    return f"{value:.2f}x (per-repetition ratios {fmt(comparison['per_repetition'], 2)})"


def workload_markdown(workload: dict, peak: float | None) -> list[str]:
    """One workload's lines for results.md (`peak`: the run's float32 matmul peak, GFLOP/s)."""
    s = workload["settings"]
    rows = []
    for frame in workload["frameworks"].values():
        if frame["repetitions"] == 0:
            rows.append([frame["label"], f"skipped: {frame.get('note', 'no result')}"])
            continue
        accuracy = frame["test_accuracy"]
        rows.append([frame["label"], fmt(frame["examples_per_second"], 0, unit=False),
                     fmt(frame["epoch_seconds"], 2, unit=False), fmt(frame["warmup_seconds"], 2, unit=False),
                     f"{accuracy['median']:.2%} ({accuracy['min']:.2%}–{accuracy['max']:.2%})"])
    layers = [784, *s["hidden_units"], 10]
    if s.get("conv_filters"):  # 5x5 convolutions, each with 2x2 max-pooling, before the dense layers
        layers = ["28x28", *(f"conv {filters}" for filters in s["conv_filters"]), *s["hidden_units"], 10]
    lines = [
        f"**{workload['name']}**: network {'-'.join(map(str, layers))} (ReLU, dropout "
        f"{s['dropout']}), batch {s['batch_size']}, Adam lr {s['learning_rate']} (beta1 {s['beta1']}, beta2 "
        f"{s['beta2']}, epsilon {s['epsilon']}), constant learning rate, no augmentation, {s['dtype']}, "
        f"{s['training_rows']:,} training rows. Each repetition: {s['warmup_epochs']} warm-up epoch(s) (not "
        f"timed), then {s['timed_epochs']} timed epoch(s); {s['repetitions']} repetitions, order: {s['order']}. "
        "Figures: median (min–max, n).",
        "",
        *table(["framework", "examples/s", "seconds per timed epoch", "warm-up epoch (s)",
                "test accuracy after all epochs"], rows),
        "",
        f"- ours / Keras: {_ratio_text(workload['ratios']['keras'])}",
        f"- ours / PyTorch: {_ratio_text(workload['ratios']['torch'])}",
        f"- ours achieved {fmt(workload['ours_gflops'], 1)} = "
        f"{peak_text(peak_fraction(workload['ours_gflops'], peak))} of the measured float32 matmul peak "
        f"({'n/a' if peak is None else f'{peak:.1f}'} GFLOP/s), counting "
        f"{workload['flops_per_example']:,} FLOPs per training example: {workload['flop_formula']}.",
        "- Each framework uses its own default weight initialisers; Keras keeps its default thread settings.",
    ]
    if workload.get("profile"):
        lines += ["", *profile_markdown(workload["profile"], s["batch_size"])]
    return lines


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md: each workload in turn."""
    lines: list[str] = []
    for workload in section["workloads"]:
        lines += [*workload_markdown(workload, section.get("matmul_peak_gflops")), ""]
    return lines[:-1]
