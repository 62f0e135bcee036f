"""Section: reading the four MNIST CSVs with digitnet's reader against the seed notebook's np.loadtxt.

Both read the same four files, which are in the OS page cache after the first read (so this measures
parsing, not the disk). ``np.loadtxt(path, delimiter=',', dtype=int)`` took about 25 s for the training
file with the numpy of the seed's day; numpy >= 1.23 parses in C and is much faster. So its repetitions
adapt: when the first read takes longer than `SLOW_SECONDS` it gets at most `plan.loadtxt_repeats` (1-2),
otherwise as many as digitnet's reader. digitnet's reader is timed twice: parsing the CSVs (pyarrow into
uint8, what a notebook's first load does) and from the binary copy kept beside them (every later load).
"""

from __future__ import annotations

import numpy as np

from benchmarks import log
from benchmarks.context import Context
from benchmarks.markdown import fmt, table
from benchmarks.stats import floor, ratio, summarize, time_calls
from digitnet.data import FILE_NAMES, load_mnist

FLOOR_SPEEDUP = 15.0
SLOW_SECONDS = 10.0


def measure(ctx: Context) -> dict:
    """Run the section and return its results dict (wall seconds for all four files)."""
    def digitnet_reader(use_cache: bool):
        return lambda: load_mnist(ctx.data_dir, ctx.validation_size, use_cache=use_cache)

    def loadtxt() -> None:  # what the seed notebook did, file by file
        for name in FILE_NAMES.values():
            np.loadtxt(ctx.data_dir / name, delimiter=",", dtype=int)

    size_mb = sum((ctx.data_dir / name).stat().st_size for name in FILE_NAMES.values()) / 1e6
    digitnet_reader(True)()  # warm the page cache and the binary copy
    log(f"data loading: digitnet parsing the CSVs x{ctx.plan.repeats}")
    parsed = time_calls(digitnet_reader(False), ctx.plan.repeats)
    log(f"data loading: digitnet from its binary copy x{ctx.plan.repeats}")
    ours = time_calls(digitnet_reader(True), ctx.plan.repeats)
    log("data loading: np.loadtxt, first read")
    first = time_calls(loadtxt, 1)
    more = (ctx.plan.loadtxt_repeats if first["median"] > SLOW_SECONDS else ctx.plan.repeats) - 1
    if more:
        log(f"data loading: np.loadtxt x{more} more")
    baseline = summarize(first["values"] + time_calls(loadtxt, more)["values"], "s")
    speedup, parse_speedup = ratio(baseline, ours), ratio(baseline, parsed)
    return {
        "title": "Data loading: the four CSVs",
        "settings": {"files": list(FILE_NAMES.values()), "megabytes": round(size_mb, 1),
                     "loadtxt_slow_seconds": SLOW_SECONDS},
        "digitnet_seconds": ours,
        "digitnet_parse_seconds": parsed,
        "loadtxt_seconds": baseline,
        "speedup": speedup,
        "parse_speedup": parse_speedup,
        "floors": [
            floor("data_loading", "np.loadtxt time / digitnet time, parsing the CSVs (first load)", parse_speedup,
                  FLOOR_SPEEDUP, unit="x"),
            floor("data_loading", "np.loadtxt time / digitnet time, later loads (binary copy)", speedup,
                  FLOOR_SPEEDUP, unit="x"),
        ],
    }


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    def times(key: str) -> str:
        return "n/a" if section.get(key) is None else f"{section[key]:.1f}x"

    return [
        f"All four files ({section['settings']['megabytes']} MB), warm in the page cache, "
        f"{section['digitnet_seconds']['n']} repetition(s) of each digitnet reading and "
        f"{section['loadtxt_seconds']['n']} of np.loadtxt (only 1-2 when one read of it takes over "
        f"{section['settings']['loadtxt_slow_seconds']:.0f} s, as with older numpy). digitnet parses a CSV once "
        "(pyarrow, straight to uint8, validated) and keeps the parsed arrays in the user's cache folder under "
        "the SHA-256 of the CSV's bytes: the first load of a notebook parses, later ones read and hash the "
        "files (most of their time) and load the copy, so an edited CSV is never answered from a stale one.",
        "",
        *table(["reader", "wall time for all four files", "np.loadtxt time / this"], [
            ["digitnet.data.load_mnist, parsing the CSVs (first load)", fmt(section.get("digitnet_parse_seconds"), 2),
             times("parse_speedup")],
            ["digitnet.data.load_mnist, binary copy (later loads)", fmt(section["digitnet_seconds"], 2),
             times("speedup")],
            ["np.loadtxt(path, delimiter=',', dtype=int) (seed notebook)", fmt(section["loadtxt_seconds"], 1), "1x"],
        ]),
        "",
        "- np.loadtxt took about 25 s for the training file with the numpy of the seed notebook's day; numpy 2 "
        "parses in C, which is why the parse itself is only a few times faster than it today.",
    ]
