"""results.md, results.json and results.png from the results dict (results.md is rendered from the JSON alone).

results.md: the machine, every floor of every section (and of the trained-model table) in one table, the
chart, each section's body (its module's `to_markdown`), the trained-model table, how to reproduce.
The results dict: {"schema", "date", "command", "machine", "plan", "matmul_peak", "sections": {name: the
section's dict, plus "date" (when measured) and "run" (the date of the run that measured it)}, "models"
(from `benchmarks.model_table`, optional)}.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.chart import draw_chart
from benchmarks.markdown import floors_table, table
from benchmarks.sections import SECTIONS

REPRODUCE = [
    "make bench                                   # = .venv/bin/python -m benchmarks.run",
    ".venv/bin/python -m benchmarks.run --quick   # fewer repetitions",
    ".venv/bin/python -m benchmarks.run --only training,inference --repeats 7",
    ".venv/bin/python -m benchmarks.model_table   # trained-model table (about 20 min; not in make bench)",
]


def _cpu_line(cpu: dict) -> str:
    extensions = ", ".join(cpu["vector_extensions"]) or "none detected"
    generation = f" (family {cpu['family']}, model {cpu['model_number']})" if cpu.get("family") else ""
    return (f"{cpu['model']}{generation}: {cpu['logical_cpus']} logical CPUs ({cpu['usable_cpus']} usable), "
            f"{cpu['physical_cores'] or '?'} physical cores; {extensions}")


def machine_lines(machine: dict, peak: dict | None) -> list[str]:
    """The machine table (CPU, memory, OS, versions, and the measured float32 matmul peak in GFLOP/s)."""
    rows = [
        ["CPU", _cpu_line(machine["cpu"])],
        ["Memory", f"{machine['memory_gib']} GiB"],
        ["OS", machine["os"]],
        ["Versions", ", ".join(f"{name} {version}" for name, version in machine["versions"].items())],
    ]
    if peak:
        sizes = ", ".join(f"{n}: {stat['max']:.1f}" for n, stat in peak["per_size"].items())
        kernels = peak.get("kernels", {})  # several where OPENBLAS_CORETYPE held numpy to other kernels
        by_kernels = ("; by kernels: " + ", ".join(f"{name} {value} GFLOP/s" if isinstance(value, (int, float))
                                                   else f"{name} {value}" for name, value in kernels.items())
                      if len(kernels) > 1 else "")
        rows.append(["float32 matmul peak", f"{peak['gflops']:.1f} GFLOP/s ({peak['method']}; {peak['blas']}; "
                                            f"best per size: {sizes}{by_kernels})"])
    return table(["", ""], rows)


def all_floors(results: dict) -> list[dict]:
    """Every floor of every section, then the model table's; a section kept from an earlier run says so."""
    floors = []
    for section in results.get("sections", {}).values():
        earlier = section.get("run", results["date"]) != results["date"]
        floors += [{**item, "section": item["section"] + " (earlier run)"} if earlier else item
                   for item in section.get("floors", [])]
    return floors + (results.get("models") or {}).get("floors", [])


def models_lines(models: dict) -> list[str]:
    """The trained-model table (results.md and models.md; its floors are in the floors table)."""
    capped = f" **Smoke run: epochs capped at {models['max_epochs']}.**" if models.get("max_epochs") else ""
    rows = [[row["name"], ", ".join(f"{k}={v}" for k, v in row["overrides"].items()) or "defaults",
             f"{row['test_accuracy']:.2%}",
             f"{row['user_image_accuracy']:.1%} ({row['user_image_naive_accuracy']:.1%})",
             f"{row['wall_seconds']:.0f} s", f"{row['epochs_run']} ({row['best_epoch']})"] for row in models["rows"]]
    return [
        f"Trained {models['date']}; each configuration trained once (a full run with early stopping),{capped} "
        f"user-image accuracy on {models['rows'][0]['user_images'] if models['rows'] else 0} images with "
        "digitnet's preparation (naive preparation in brackets).",
        "",
        *table(["name", "settings (changes from TrainConfig())", "test accuracy", "user images",
                "training wall time", "epochs run (best)"], rows),
    ]


def section_lines(number: int, name: str, section: dict, run_date: str, cpu: dict | None = None) -> list[str]:
    """One section's heading and body (or why it failed); `cpu` is this run's processor, named when a section
    kept from an earlier run was measured on another one."""
    lines = [f"## {number}. {section.get('title', name)}", ""]
    if section.get("run") and section["run"] != run_date:
        measured_on = section.get("cpu")
        elsewhere = f", on another processor: {_cpu_line(measured_on)}" if measured_on and measured_on != cpu else ""
        lines += [f"*Kept from an earlier run ({section['run']}{elsewhere}); not re-measured this time.*", ""]
    if "error" in section:
        return lines + [f"This section failed: {section['error']}", ""]
    return lines + SECTIONS[name].to_markdown(section) + [""]


def render(results: dict, chart_name: str | None = "results.png") -> str:
    """The whole results.md."""
    sections = results.get("sections", {})
    lines = [
        "# digitnet benchmarks",
        "",
        f"Written by `{results['command']}` on {results['date']}. Every figure is the median of several "
        "repetitions with the min–max range and the count n; what was timed is said beside it. Floors are "
        "the project's targets: reported here, never enforced by the benchmark.",
        "",
        "## Machine",
        "",
        *machine_lines(results["machine"], results.get("matmul_peak")),
        "",
    ]
    floors = floors_table(all_floors(results))
    if floors:
        lines += ["## Floors", "", *floors, ""]
    if chart_name:
        lines += [f"![Training throughput, data loading and achieved GFLOP/s]({chart_name})", ""]
    for number, name in enumerate((n for n in SECTIONS if n in sections), start=1):
        lines += section_lines(number, name, sections[name], results["date"], results["machine"]["cpu"])
    if results.get("models"):
        lines += ["## Trained models", "", *models_lines(results["models"]), ""]
    return "\n".join(lines + ["## Reproduce", "", "```", *REPRODUCE, "```", ""])


def load_results(path: Path) -> dict:
    """A previous results.json, or {} when there is none (or it is unreadable)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_outputs(results: dict, out_dir: Path, chart: bool = True) -> dict[str, Path]:
    """Write results.json, results.png (when `chart` and there is a section to draw) and results.md (linking
    the chart only when it was drawn); return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "md": out_dir / "results.md", "png": out_dir / "results.png"}
    paths["json"].write_text(json.dumps(results, indent=1) + "\n")
    chart_ok = chart and draw_chart(results, paths["png"])
    paths["md"].write_text(render(results, "results.png" if chart_ok else None))
    return paths
