"""Numbers from repetitions: summaries, ratios, timers, and floors (the project's targets) judged.

Every figure in the results is a `summarize`d list of repetitions: the median, the min and max, and how
many there were, so a reader sees both the typical value and the spread. Imports nothing heavy: the
PyTorch worker uses it too.
"""

from __future__ import annotations

import datetime as _dt
import statistics
import time


def summarize(values, unit: str = "") -> dict:
    """Median, min, max and count of `values` (repetitions of one measurement, in `unit`), JSON-friendly."""
    values = [float(v) for v in values]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "unit": unit, "values": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "unit": unit, "values": values}


def scaled(stat: dict, factor: float, unit: str) -> dict:
    """The same summary with every value multiplied by `factor` (e.g. seconds -> milliseconds: 1000, "ms")."""
    return summarize([v * factor for v in stat["values"]], unit)


def ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    """Ratio of medians, or None when either side is missing."""
    if not numerator or not denominator or not numerator.get("median") or not denominator.get("median"):
        return None
    return numerator["median"] / denominator["median"]


def peak_fraction(gflops: dict | None, peak_gflops: float | None) -> float | None:
    """A GFLOP/s summary's median as a fraction of the matmul peak (GFLOP/s); None when either is missing."""
    return gflops["median"] / peak_gflops if gflops and gflops.get("median") and peak_gflops else None


def now_iso() -> str:
    """The current UTC time, to the second (dates in the results)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.seconds`` (wall seconds, perf_counter)."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def time_calls(function, repeats: int) -> dict:
    """Wall seconds of each of `repeats` calls of `function()` (no warm-up call), summarised in "s"."""
    seconds = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            function()
        seconds.append(watch.seconds)
    return summarize(seconds, "s")


def per_call_milliseconds(function, calls: int) -> dict:
    """Milliseconds of each of `calls` calls of `function()`, after one untimed warm-up call."""
    function()
    return scaled(time_calls(function, calls), 1000.0, "ms")


def floor(section: str, what: str, value: float | None, threshold: float, higher_is_better: bool = True,
          unit: str = "") -> dict:
    """One floor check: `value` against `threshold` (both in `unit`: "" for a fraction, "x" for a ratio,
    "s", or "of peak"); "passed" is None when the value could not be measured. The benchmark reports
    floors, it never fails on them."""
    passed = None if value is None else (value >= threshold if higher_is_better else value <= threshold)
    return {"section": section, "what": what, "value": value, "threshold": threshold,
            "comparison": ">=" if higher_is_better else "<=", "unit": unit, "passed": passed}


def rejudge(item: dict, value: float | None) -> None:
    """Give a floor made by `floor` a new value (e.g. a fraction of a re-measured peak) and judge it again."""
    item.update(floor(item["section"], item["what"], value, item["threshold"], item["comparison"] == ">=",
                      item["unit"]))
