"""Markdown text: the one table helper every table goes through, number formats, and the floors table."""

from __future__ import annotations


def table(header: list[str], rows: list[list]) -> list[str]:
    """A markdown table's lines; short rows are padded with empty cells, cells are str()-ed."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    for row in rows:
        cells = [str(cell) for cell in row] + [""] * (len(header) - len(row))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def fmt(stat: dict | None, digits: int = 1, unit: bool = True) -> str:
    """``"123.4 (120.1–125.0, n=5) unit"`` from a `stats.summarize` dict; one repetition shows "(n=1)";
    missing shows "n/a"."""
    if not stat or stat.get("median") is None:
        return "n/a"
    text = f"{stat['median']:,.{digits}f}"
    text += f" ({stat['min']:,.{digits}f}–{stat['max']:,.{digits}f}, n={stat['n']})" if stat["n"] > 1 else " (n=1)"
    return text + (f" {stat['unit']}" if unit and stat.get("unit") else "")


def peak_text(fraction: float | None) -> str:
    """``"62%"`` of the matmul peak. Above 100 %, TensorFlow's oneDNN kernels beat numpy's BLAS on these shapes
    (the "peak" is numpy's best, not the hardware's), or the peak measurement was disturbed by other load."""
    if fraction is None:
        return "n/a"
    if fraction > 1:
        return (f"{fraction:.0%} (above 100 %: TensorFlow's oneDNN kernels outran numpy's BLAS, whose best rate is "
                "the reference, or other load disturbed that measurement)")
    return f"{fraction:.0%}"


def mark(passed: bool | None) -> str:
    """PASS / FAIL / n/a."""
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


def value_text(value: float | None, unit: str) -> str:
    """A floor's value or threshold: a fraction as a percentage ("" or "of peak"), "x" as 1.50x, else 2 digits."""
    if value is None:
        return "n/a"
    if unit in ("", "of peak"):
        return f"{value:.1%}" + (" of peak" if unit else "")
    return f"{value:.2f}x" if unit == "x" else f"{value:.2f} {unit}"


def floors_table(floors: list[dict]) -> list[str]:
    """Floors made by `stats.floor` (of any number of sections) as one table; [] when there are none."""
    if not floors:
        return []
    return table(["section", "what", "measured", "target", "result"], [
        [item["section"], item["what"], value_text(item["value"], item["unit"]),
         f"{item['comparison']} {value_text(item['threshold'], item['unit'])}", mark(item["passed"])]
        for item in floors])
