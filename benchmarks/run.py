"""Run the benchmarks on real MNIST and write results.md, results.json and results.png.

Usage (from the checkout, in the project's virtualenv; `make bench` runs the first line):

    python -m benchmarks.run                       # everything, 5 repetitions (about 10-20 min)
    python -m benchmarks.run --quick               # fewer repetitions
    python -m benchmarks.run --only training,inference --repeats 7
    python -m benchmarks.run --model SavedModel/3  # measure inference/user images on this model

Sections: see benchmarks.sections. Sections of an earlier results.json that were not re-run are kept
(marked with their own date), as is its trained-model table. `--tiny` is the test suite's smoke mode:
synthetic data (or --data), one repetition, a few batches, results in a temp folder.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmarks import BENCH_DIR, PROJECT_ROOT, display_path, log
from benchmarks.context import Context, Plan
from benchmarks.machine import best_peak, describe_machine, matmul_peak
from benchmarks.markdown import floors_table
from benchmarks.report import all_floors, load_results, write_outputs
from benchmarks.sections import SECTIONS
from benchmarks.stats import now_iso, rejudge
from digitnet.data import FILE_NAMES

TINY_VALIDATION = 100
TINY_EPOCHS = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (3; np.loadtxt and the "
                        "time-to-accuracy training once)")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--repeats", type=int, help="repetitions of each repeated measurement (default 5)")
    parser.add_argument("--tiny", action="store_true", help="smoke mode for the tests: synthetic data, one "
                        "repetition, a few batches, output to a temp folder")
    parser.add_argument("--model", type=Path, help="SavedModel folder for the inference and user-image sections "
                        "(default: latest SavedModel/<N>, else one trained with TrainConfig() defaults)")
    parser.add_argument("--data", type=Path, help="folder with the four MNIST CSVs (default: MNIST)")
    parser.add_argument("--images", type=Path, help="user-like image set (default: build/user_images, "
                        "generated if absent)")
    parser.add_argument("--out", type=Path, help="where results.md/.json/.png go (default: benchmarks/)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    chosen = [name.strip() for name in (args.only or ",".join(SECTIONS)).split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        parser.error(f"unknown section(s) {','.join(unknown)}; choose from {','.join(SECTIONS)}")
    args.sections = [name for name in SECTIONS if name in chosen]
    return args


def write_synthetic_mnist(folder: Path, train_rows: int = 600, test_rows: int = 200) -> Path:
    """Four seed-format CSVs of easy synthetic digits (a bright bar whose place encodes the label)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, rows in (("train", train_rows), ("test", test_rows)):
        labels = rng.permutation(np.arange(rows) % 10)
        images = rng.integers(0, 30, size=(rows, 28, 28))
        for index, label in enumerate(labels):
            top, left = 4 + 10 * (label // 5), 4 + 4 * (label % 5)
            images[index, top : top + 8, left : left + 4] = 255
        np.savetxt(folder / f"digit_x{prefix}.csv", images.reshape(rows, -1), fmt="%d", delimiter=",")
        np.savetxt(folder / f"digit_y{prefix}.csv", labels, fmt="%d")
    return folder


def make_context(args: argparse.Namespace, work_dir: Path) -> Context:
    """The run's settings from the command line (tiny: synthetic data unless --data)."""
    data_dir = args.data or PROJECT_ROOT / "MNIST"
    if args.tiny and args.data is None:
        data_dir = write_synthetic_mnist(work_dir / "MNIST")
    return Context(data_dir=data_dir, work_dir=work_dir, plan=Plan.make(args.quick, args.repeats, args.tiny),
                   tiny=args.tiny, validation_size=TINY_VALIDATION if args.tiny else 10000,
                   max_epochs=TINY_EPOCHS if args.tiny else None, given_model=args.model, given_images=args.images)


def run_section(name: str, ctx: Context, run_date: str) -> dict:
    """Measure one section; a failure is recorded in its place so the other sections still run.

    The section records when it finished ("date") and which run it belongs to ("run" = the run's start),
    so a later ``--only`` run can tell kept sections from re-measured ones."""
    try:
        section = SECTIONS[name].measure(ctx)
    except Exception as error:  # a failed section must not lose the others' results
        traceback.print_exc()
        section = {"title": name, "error": f"{type(error).__name__}: {error}".splitlines()[0], "floors": []}
    return {**section, "date": now_iso(), "run": run_date}


def remeasure_peak(results: dict, ctx: Context) -> None:
    """Measure the matmul peak again at the end, keep the higher one, and re-judge every "of peak" floor.

    Sections compared themselves with the first measurement; if the machine was busier then, the
    fraction would be flattered, so each fraction measured in this run is redone with the final peak.
    """
    log("measuring the float32 matmul peak again")
    peak = best_peak([ctx.matmul_peak, matmul_peak(ctx.plan.matmul_sizes, ctx.plan.matmul_repeats)])
    results["matmul_peak"] = peak
    for section in results["sections"].values():
        first = section.get("matmul_peak_gflops")
        if section.get("run") != results["date"] or not first:
            continue
        section["matmul_peak_gflops"] = peak["gflops"]
        for item in section["floors"]:
            if item["unit"] == "of peak" and item["value"] is not None:
                rejudge(item, item["value"] * first / peak["gflops"])


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and write the three outputs; 1 when the data is missing."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="digitnet-bench-"))
    try:
        ctx = make_context(args, work_dir)
        out_dir = args.out or (Path(tempfile.mkdtemp(prefix="digitnet-bench-results-")) if args.tiny else BENCH_DIR)
        missing = [name for name in FILE_NAMES.values() if not (ctx.data_dir / name).is_file()]
        if missing:
            print(f"error: {display_path(ctx.data_dir / missing[0])} not found: run `make data` first "
                  "(or pass --data DIR)", file=sys.stderr)
            return 1
        previous = load_results(out_dir / "results.json")
        shown = [display_path(arg) if Path(arg).is_absolute() else arg for arg in argv]
        results = {
            "schema": 1, "date": now_iso(), "command": " ".join(["python -m benchmarks.run", *shown]),
            "machine": describe_machine(), "plan": asdict(ctx.plan),
            # a kept section remembers the processor it was measured on (older results.json: the run's machine)
            "sections": {name: {"cpu": previous.get("machine", {}).get("cpu"), **section}
                         for name, section in previous.get("sections", {}).items()
                         if name in SECTIONS and name not in args.sections},
        }
        for key in ("matmul_peak", "models"):  # kept until this run measures its own
            if previous.get(key):
                results[key] = previous[key]
        for name in args.sections:
            results["sections"][name] = {**run_section(name, ctx, results["date"]), "cpu": results["machine"]["cpu"]}
            if ctx.produced("matmul_peak"):
                results["matmul_peak"] = ctx.matmul_peak
            write_outputs(results, out_dir, chart=False)  # after every section: a late crash keeps the rest
        if ctx.produced("matmul_peak"):
            remeasure_peak(results, ctx)
        paths = write_outputs(results, out_dir)  # the chart once, at the end: drawing it takes about a second
        print_summary(results, paths)
        return 0
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def print_summary(results: dict, paths: dict[str, Path]) -> None:
    """The floors table, and where the outputs are."""
    print("\n".join(floors_table(all_floors(results))))
    for kind, path in paths.items():
        print(f"wrote {display_path(path) if kind != 'png' or path.exists() else '(no chart)'}")


if __name__ == "__main__":
    sys.exit(main())
