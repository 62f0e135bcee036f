"""results.md and results.json from the results dict (the markdown is rendered from the JSON alone).

Each section module has a `to_markdown(section)`; this module adds the machine description, the floors
table, the chart and the model table around them.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from benchmarks.common import mark

# Section name (as --only takes it) -> module, in the order they run and appear.
SECTIONS = {
    "training": "benchmarks.training_speed",
    "time_to_accuracy": "benchmarks.time_to_accuracy",
    "data_loading": "benchmarks.data_loading",
    "inference": "benchmarks.inference",
    "user_images": "benchmarks.user_images",
}


def machine_lines(machine: dict, peak: dict | None) -> list[str]:
    """The machine table."""
    cpu, versions = machine["cpu"], machine["versions"]
    extensions = ", ".join(cpu["vector_extensions"]) or "none detected"
    lines = [
        "| | |",
        "| --- | --- |",
        f"| CPU | {cpu['model']}: {cpu['logical_cpus']} logical CPUs ({cpu['usable_cpus']} usable), "
        f"{cpu['physical_cores'] or '?'} physical cores; {extensions} |",
        f"| Memory | {machine['memory_gib']} GiB |",
        f"| OS | {machine['os']} |",
        "| Versions | " + ", ".join(f"{name} {version}" for name, version in versions.items()) + " |",
    ]
    if peak:
        sizes = ", ".join(f"{n}: {stat['max']:.1f}" for n, stat in peak["per_size"].items())
        lines.append(f"| float32 matmul peak | {peak['gflops']:.1f} GFLOP/s ({peak['method']}; {peak['blas']}; "
                     f"best per size: {sizes}) |")
    return lines


def floor_lines(sections: dict, models: dict | None, run_date: str) -> list[str]:
    """Every floor of every section in one table; floors of sections kept from an earlier run say so."""
    floors = [(item, section.get("run", run_date) != run_date)
              for section in sections.values() for item in section.get("floors", [])]
    floors += [(item, False) for item in (models or {}).get("floors", [])]
    if not floors:
        return []
    lines = ["| section | what | measured | target | result |", "| --- | --- | --- | --- | --- |"]
    for item, kept in floors:
        section = item["section"] + (" (earlier run)" if kept else "")
        lines.append(f"| {section} | {item['what']} | {_value_text(item['value'], item['unit'])} | "
                     f"{item['comparison']} {_value_text(item['threshold'], item['unit'])} | {mark(item['passed'])} |")
    return lines


def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "of peak" or unit == "":
        return f"{value:.1%}" + (" of peak" if unit else "")
    return f"{value:.2f} {unit}" if unit != "x" else f"{value:.2f}x"


def section_lines(number: int, name: str, section: dict, run_date: str) -> list[str]:
    """One section's heading and body (or why it failed)."""
    title = section.get("title", name)
    lines = [f"## {number}. {title}", ""]
    if section.get("run") and section["run"] != run_date:
        lines += [f"*Kept from an earlier run ({section['run']}); not re-measured this time.*", ""]
    if "error" in section:
        return lines + [f"This section failed: {section['error']}", ""]
    module = importlib.import_module(SECTIONS[name])
    return lines + module.to_markdown(section) + [""]


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
    floors = floor_lines(sections, results.get("models"), results["date"])
    if floors:
        lines += ["## Floors", "", *floors, ""]
    if chart_name:
        lines += [f"![Training throughput, data loading and achieved GFLOP/s]({chart_name})", ""]
    for number, name in enumerate((n for n in SECTIONS if n in sections), start=1):
        lines += section_lines(number, name, sections[name], results["date"])
    if results.get("models"):
        from benchmarks.model_table import to_markdown as models_markdown

        lines += ["## Trained models", "", *models_markdown(results["models"]), ""]
    lines += [
        "## Reproduce",
        "",
        "```",
        "make bench                                   # = .venv/bin/python -m benchmarks.run",
        ".venv/bin/python -m benchmarks.run --quick   # fewer repetitions",
        ".venv/bin/python -m benchmarks.run --only training,inference --repeats 7",
        ".venv/bin/python -m benchmarks.model_table   # trained-model table (about 20 min; not in make bench)",
        "```",
        "",
    ]
    return "\n".join(lines)


def load_results(path: Path) -> dict:
    """A previous results.json, or {} when there is none (or it is unreadable)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_outputs(results: dict, out_dir: Path) -> dict[str, Path]:
    """Write results.json, results.png (if matplotlib can) and results.md into `out_dir`; return the paths."""
    from benchmarks.chart import draw_chart

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "md": out_dir / "results.md", "png": out_dir / "results.png"}
    paths["json"].write_text(json.dumps(results, indent=1) + "\n")
    chart_ok = draw_chart(results, paths["png"])
    paths["md"].write_text(render(results, "results.png" if chart_ok else None))
    return paths
