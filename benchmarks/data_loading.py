"""Section 3: reading the four MNIST CSVs with digitnet's reader against the seed notebook's np.loadtxt.

Both read the same four files, which are in the OS page cache after the first read (so this measures
parsing, not the disk). ``np.loadtxt(path, delimiter=',', dtype=int)`` took about 25 s for the training
file with the numpy of the seed's day; numpy >= 1.23 parses in C and is much faster. So its repetitions
adapt: when the first read takes longer than `SLOW_SECONDS` it gets at most `plan.loadtxt_repeats` (1-2),
otherwise as many as digitnet's reader.
"""

from __future__ import annotations

from benchmarks.common import Context, Stopwatch, floor, fmt, log, ratio, summarize

FLOOR_SPEEDUP = 15.0
SLOW_SECONDS = 10.0


def read_with_loadtxt(data_dir) -> None:
    """What the seed notebook did, file by file."""
    import numpy as np

    from digitnet.data import FILE_NAMES

    for name in FILE_NAMES.values():
        np.loadtxt(data_dir / name, delimiter=",", dtype=int)


def read_with_digitnet(data_dir, validation_size: int) -> None:
    """digitnet's reader: pandas' C parser into uint8, checked, split into train/validation/test."""
    from digitnet.data import load_mnist

    load_mnist(data_dir, validation_size)


def time_calls(function, repeats: int, *args) -> dict:
    """Wall seconds of `repeats` calls."""
    seconds = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            function(*args)
        seconds.append(watch.seconds)
    return summarize(seconds, "s")


def measure(ctx: Context) -> dict:
    """Run section 3 and return its results dict."""
    from digitnet.data import FILE_NAMES

    size_mb = sum((ctx.data_dir / name).stat().st_size for name in FILE_NAMES.values()) / 1e6
    read_with_digitnet(ctx.data_dir, ctx.validation_size)  # warm the page cache for both readers
    log(f"data loading: digitnet reader x{ctx.plan.repeats}")
    ours = time_calls(read_with_digitnet, ctx.plan.repeats, ctx.data_dir, ctx.validation_size)
    log("data loading: np.loadtxt, first read")
    first = time_calls(read_with_loadtxt, 1, ctx.data_dir)
    more = (ctx.plan.loadtxt_repeats if first["median"] > SLOW_SECONDS else ctx.plan.repeats) - 1
    if more:
        log(f"data loading: np.loadtxt x{more} more")
    loadtxt = summarize(first["values"] + time_calls(read_with_loadtxt, more, ctx.data_dir)["values"], "s")
    speedup = ratio(loadtxt, ours)
    return {
        "title": "Data loading: the four CSVs",
        "settings": {"files": list(FILE_NAMES.values()), "megabytes": round(size_mb, 1),
                     "loadtxt_slow_seconds": SLOW_SECONDS},
        "digitnet_seconds": ours,
        "loadtxt_seconds": loadtxt,
        "speedup": speedup,
        "floors": [floor("data_loading", "np.loadtxt time / digitnet time", speedup, FLOOR_SPEEDUP, unit="x")],
    }


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    speedup = section["speedup"]
    return [
        f"All four files ({section['settings']['megabytes']} MB), warm in the page cache, "
        f"{section['digitnet_seconds']['n']} repetition(s) of digitnet's reader and "
        f"{section['loadtxt_seconds']['n']} of np.loadtxt (only 1-2 when one read of it takes over "
        f"{section['settings']['loadtxt_slow_seconds']:.0f} s, as with older numpy).",
        "",
        "| reader | wall time for all four files |",
        "| --- | --- |",
        f"| digitnet.data.load_mnist (pandas C parser, uint8, validated) | {fmt(section['digitnet_seconds'], 2)} |",
        f"| np.loadtxt(path, delimiter=',', dtype=int) (seed notebook) | {fmt(section['loadtxt_seconds'], 1)} |",
        "",
        f"- Speed-up (ratio of medians): {'n/a' if speedup is None else f'{speedup:.1f}x'}.",
    ]
