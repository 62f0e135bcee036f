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


def read_with_digitnet(data_dir, validation_size: int, use_cache: bool = True) -> None:
    """digitnet's reader, checked and split into train/validation/test.

    use_cache=False: pyarrow's parser into uint8 (what the first load of a notebook does); True: the
    binary copy kept beside the CSVs after that first parse (what every later load does).
    """
    from digitnet.data import load_mnist

    load_mnist(data_dir, validation_size, use_cache=use_cache)


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
    read_with_digitnet(ctx.data_dir, ctx.validation_size)  # warm the page cache and the binary copy
    log(f"data loading: digitnet parsing the CSVs x{ctx.plan.repeats}")
    parsed = time_calls(read_with_digitnet, ctx.plan.repeats, ctx.data_dir, ctx.validation_size, False)
    log(f"data loading: digitnet from its binary copy x{ctx.plan.repeats}")
    ours = time_calls(read_with_digitnet, ctx.plan.repeats, ctx.data_dir, ctx.validation_size, True)
    log("data loading: np.loadtxt, first read")
    first = time_calls(read_with_loadtxt, 1, ctx.data_dir)
    more = (ctx.plan.loadtxt_repeats if first["median"] > SLOW_SECONDS else ctx.plan.repeats) - 1
    if more:
        log(f"data loading: np.loadtxt x{more} more")
    loadtxt = summarize(first["values"] + time_calls(read_with_loadtxt, more, ctx.data_dir)["values"], "s")
    speedup = ratio(loadtxt, ours)
    parse_speedup = ratio(loadtxt, parsed)
    return {
        "title": "Data loading: the four CSVs",
        "settings": {"files": list(FILE_NAMES.values()), "megabytes": round(size_mb, 1),
                     "loadtxt_slow_seconds": SLOW_SECONDS},
        "digitnet_seconds": ours,
        "digitnet_parse_seconds": parsed,
        "loadtxt_seconds": loadtxt,
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
        value = section.get(key)
        return "n/a" if value is None else f"{value:.1f}x"

    parsed = section.get("digitnet_parse_seconds")
    return [
        f"All four files ({section['settings']['megabytes']} MB), warm in the page cache, "
        f"{section['digitnet_seconds']['n']} repetition(s) of each digitnet reading and "
        f"{section['loadtxt_seconds']['n']} of np.loadtxt (only 1-2 when one read of it takes over "
        f"{section['settings']['loadtxt_slow_seconds']:.0f} s, as with older numpy). digitnet parses a CSV once "
        "(pyarrow, straight to uint8, validated) and keeps a binary copy beside it, used while the CSV's size "
        "and modification time are unchanged: the first load of a notebook parses, later ones read the copy.",
        "",
        "| reader | wall time for all four files | np.loadtxt time / this |",
        "| --- | --- | --- |",
        f"| digitnet.data.load_mnist, parsing the CSVs (first load) | {fmt(parsed, 2)} | {times('parse_speedup')} |",
        f"| digitnet.data.load_mnist, binary copy (later loads) | {fmt(section['digitnet_seconds'], 2)} "
        f"| {times('speedup')} |",
        f"| np.loadtxt(path, delimiter=',', dtype=int) (seed notebook) | {fmt(section['loadtxt_seconds'], 1)} | 1x |",
        "",
        "- np.loadtxt took about 25 s for the training file with the numpy of the seed notebook's day; numpy 2 "
        "parses in C, which is why the parse itself is only a few times faster than it today.",
    ]
