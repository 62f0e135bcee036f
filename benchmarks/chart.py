"""results.png: four panels the README shows, drawn from the results dict alone.

1. Training throughput of the same network in the three frameworks (median bar, min–max whisker).
2. Reading the four MNIST CSVs: digitnet's reader against np.loadtxt.
3. Achieved GFLOP/s of our training and batch inference against the measured float32 matmul peak.
4. Test accuracy against training wall time, every model and seed (time to accuracy).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

FRAMEWORK_NAMES = {"ours": "digitnet\n(TF1 graph)", "keras": "Keras 3\nmodel.fit", "torch": "PyTorch\neager loop"}
COLOURS = {"ours": "#1f77b4", "keras": "#ff7f0e", "torch": "#2ca02c", "loadtxt": "#7f7f7f", "peak": "#d62728"}
MODEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _bar_with_range(axis, position, stat: dict, colour: str, horizontal: bool = False) -> None:
    """A bar at the median with a whisker from min to max, and the median written past the whisker."""
    median = stat["median"]
    error = [[median - stat["min"]], [stat["max"] - median]]
    if horizontal:
        axis.barh(position, median, xerr=error, color=colour, capsize=4)
        axis.text(stat["max"], position, f"  {median:,.2f} s", va="center", fontsize=8)
    else:
        axis.bar(position, median, yerr=error, color=colour, capsize=4)
        axis.text(position, stat["max"], f"{median:,.0f}\n", ha="center", va="bottom", fontsize=8)  # above the whisker


def _missing(axis, text: str) -> None:
    """An empty panel that says why."""
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes, fontsize=9, color="#555555")
    axis.set_xticks([])
    axis.set_yticks([])


def training_panel(axis, section: dict | None) -> None:
    """Panel 1: examples/s per framework."""
    title = section["name"] if section and "name" in section else "same MLP"
    axis.set_title(f"Training throughput, {title}\n(examples/s; median, whisker min–max)", fontsize=9)
    if not section or "frameworks" not in section:
        _missing(axis, "training not measured in this run")
        return
    names = list(FRAMEWORK_NAMES)
    for position, name in enumerate(names):
        frame = section["frameworks"][name]
        if frame["repetitions"]:
            _bar_with_range(axis, position, frame["examples_per_second"], COLOURS[name])
        else:
            axis.text(position, 0, "skipped\n(see results.md)", ha="center", va="bottom", fontsize=8)
    axis.set_xticks(range(len(names)), [FRAMEWORK_NAMES[n] for n in names], fontsize=8)
    axis.set_ylabel("examples / s")
    axis.margins(y=0.2)
    repetitions = section["settings"]["repetitions"]
    axis.set_xlabel(f"{repetitions} interleaved repetitions x {section['settings']['timed_epochs']} timed epochs",
                    fontsize=8)


def loading_panel(axis, section: dict | None) -> None:
    """Panel 2: seconds to read the four CSVs."""
    axis.set_title("Reading the four MNIST CSVs\n(seconds; median, whisker min–max)", fontsize=9)
    if not section or "digitnet_seconds" not in section:
        _missing(axis, "data loading not measured in this run")
        return
    bars = [("np.loadtxt", section["loadtxt_seconds"], COLOURS["loadtxt"])]
    if section.get("digitnet_parse_seconds"):
        bars.append(("digitnet,\nparsing", section["digitnet_parse_seconds"], COLOURS["ours"]))
    bars.append(("digitnet,\nbinary copy", section["digitnet_seconds"], COLOURS["ours"]))
    for position, (_, stat, colour) in enumerate(bars):
        _bar_with_range(axis, position, stat, colour, horizontal=True)
    axis.set_yticks(range(len(bars)), [f"{name}\n(n={stat['n']})" for name, stat, _ in bars], fontsize=8)
    axis.set_xlim(0, max(stat["max"] for _, stat, _ in bars) * 1.35)
    axis.set_xlabel("seconds")


def gflops_panel(axis, training: dict | None, inference: dict | None, peak: dict | None) -> None:
    """Panel 3: our achieved GFLOP/s, training and batch inference, against the matmul peak."""
    axis.set_title("Achieved float32 GFLOP/s (ours)\nvs measured numpy matmul peak", fontsize=9)
    bars = []
    if training and training.get("ours_gflops", {}).get("median"):
        bars.append(("training\n(fwd+bwd)", training["ours_gflops"]))
    if inference and (inference.get("batch_gflops") or {}).get("median"):
        bars.append(("batch inference\n(forward)", inference["batch_gflops"]))
    if not bars:
        _missing(axis, "no GFLOP/s measured in this run")
        return
    for position, (_, stat) in enumerate(bars):
        _bar_with_range(axis, position, stat, COLOURS["ours"])
    axis.set_xticks(range(len(bars)), [label for label, _ in bars], fontsize=8)
    if peak and peak.get("gflops"):
        axis.axhline(peak["gflops"], color=COLOURS["peak"], linestyle="--", linewidth=1)
        axis.text(len(bars) - 0.5, peak["gflops"], f"matmul peak {peak['gflops']:.0f}", color=COLOURS["peak"],
                  ha="right", va="bottom", fontsize=8)
    axis.set_ylabel("GFLOP/s")
    axis.margins(y=0.25)


def accuracy_panel(axis, section: dict | None) -> None:
    """Panel 4: test accuracy after each epoch against wall time, one colour per model, one line per seed."""
    axis.set_title("Time to accuracy\n(MNIST test accuracy after each epoch)", fontsize=9)
    if not section or not section.get("models"):
        _missing(axis, "time to accuracy not measured in this run")
        return
    for colour, model in zip(MODEL_COLOURS, section["models"], strict=False):
        for index, run in enumerate(model["runs"]):
            seconds = [point["seconds"] for point in run["curve"]]
            accuracy = [100 * point["test_accuracy"] for point in run["curve"]]
            axis.plot(seconds, accuracy, marker=".", markersize=3, linewidth=1, color=colour, alpha=0.8,
                      label=model["name"] if index == 0 else None)
    for target in section["settings"]["targets"]:
        axis.axhline(100 * target, color="#999999", linewidth=0.6, linestyle=":")
    axis.set_ylim(97.5, 99.8)
    axis.set_xlabel("seconds of training", fontsize=8)
    axis.set_ylabel("test accuracy (%)")
    axis.legend(fontsize=7, loc="lower right")


def draw_chart(results: dict, path: Path) -> bool:
    """Draw the four panels into `path` (PNG, no global matplotlib state); False, and no file, when the
    results hold no section to draw."""
    sections = results.get("sections", {})
    if not sections:
        return False
    figure = Figure(figsize=(17, 4.2))
    axes = figure.subplots(1, 4)
    cpu = results["machine"]["cpu"]
    elsewhere = {name for name, section in sections.items() if section.get("cpu") not in (None, cpu)}
    training = sections.get("training")
    if training and training.get("workloads"):
        training = training["workloads"][0]  # the first (larger) workload; results.md has them all
    training_panel(axes[0], training)
    loading_panel(axes[1], sections.get("data_loading"))
    # a GFLOP/s measured on another processor is not comparable with this run's peak: left out
    gflops_panel(axes[2], None if "training" in elsewhere else training,
                 None if "inference" in elsewhere else sections.get("inference"), results.get("matmul_peak"))
    accuracy_panel(axes[3], sections.get("time_to_accuracy"))
    for axis, name in ((axes[0], "training"), (axes[1], "data_loading"), (axes[3], "time_to_accuracy")):
        if name in elsewhere:
            axis.set_title(f"{axis.get_title()}\nkept from a run on another processor", fontsize=9)
    figure.suptitle(f"digitnet benchmarks, {results['date'][:10]}: {cpu['model']}, {cpu['logical_cpus']} CPUs",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True
