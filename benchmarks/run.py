"""Run the benchmarks on real MNIST and write results.md, results.json and results.png.

Usage (from the checkout, in the project's virtualenv; `make bench` runs the first line):

    python -m benchmarks.run                       # everything, 5 repetitions (about 10-20 min)
    python -m benchmarks.run --quick               # fewer repetitions
    python -m benchmarks.run --only training,inference --repeats 7
    python -m benchmarks.run --model SavedModel/3  # measure inference/user images on this model

Sections: data_loading, training, time_to_accuracy, inference, user_images. With --only, sections of an
earlier results.json that were not re-run are kept (marked with their own date). `--tiny` is the test
suite's smoke mode: synthetic data (or --data), one repetition, a few batches, results in a temp folder.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np

from benchmarks.common import BENCH_DIR, PROJECT_ROOT, Context, Plan, display_path, log, mark, now_iso
from benchmarks.report import SECTIONS, load_results, write_outputs

NEEDS_PEAK = ("training", "inference")
TINY_VALIDATION = 100


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
    """Four seed-format CSVs of easy synthetic digits (a bright square whose place encodes the label)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, rows in (("train", train_rows), ("test", test_rows)):
        labels = np.arange(rows) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 30, size=(rows, 28, 28))
        for index, label in enumerate(labels):
            top, left = 4 + 2 * (label // 5) * 5, 4 + 4 * (label % 5)
            images[index, top : top + 8, left : left + 4] = 255
        np.savetxt(folder / f"digit_x{prefix}.csv", images.reshape(rows, -1), fmt="%d", delimiter=",")
        np.savetxt(folder / f"digit_y{prefix}.csv", labels, fmt="%d")
    return folder


def missing_data(data_dir: Path) -> str | None:
    """A one-line error if a CSV is missing, else None."""
    from digitnet.data import FILE_NAMES

    for name in FILE_NAMES.values():
        if not (data_dir / name).is_file():
            return f"{display_path(data_dir / name)} not found: run `make data` first (or pass --data DIR)"
    return None


def make_context(args: argparse.Namespace, work_dir: Path) -> Context:
    """The run's settings from the command line."""
    data_dir = args.data or PROJECT_ROOT / "MNIST"
    if args.tiny and args.data is None:
        data_dir = write_synthetic_mnist(work_dir / "MNIST")
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="digitnet-bench-results-")) if args.tiny else BENCH_DIR)
    return Context(
        data_dir=data_dir, out_dir=out_dir, work_dir=work_dir,
        plan=Plan.make(quick=args.quick, repeats=args.repeats, tiny=args.tiny), tiny=args.tiny,
        validation_size=TINY_VALIDATION if args.tiny else 10000, model=args.model, images_dir=args.images,
    )


def command_line(argv: list[str]) -> str:
    """How this run was started, for the results' header (absolute paths shown as `display_path` does)."""
    shown = [display_path(arg) if Path(arg).is_absolute() else arg for arg in argv]
    return " ".join(["python -m benchmarks.run", *shown])


def run_section(name: str, ctx: Context, peak: dict | None, run_date: str) -> dict:
    """Measure one section; a failure is recorded in its place so the other sections still run.

    The section records when it finished ("date") and which run it belongs to ("run" = the run's start),
    so a later ``--only`` run can tell kept sections from re-measured ones."""
    module = importlib.import_module(SECTIONS[name])
    try:
        section = module.measure(ctx, peak) if name in NEEDS_PEAK else module.measure(ctx)
    except Exception as error:  # a failed section must not lose the others' results
        traceback.print_exc()
        section = {"title": name, "error": f"{type(error).__name__}: {error}".splitlines()[0], "floors": []}
    section["date"] = now_iso()
    section["run"] = run_date
    return section


def remeasure_peak(results: dict, ctx: Context, first: dict) -> None:
    """Measure the matmul peak again at the end, keep the higher one and recompute the peak fractions.

    The sections compared themselves with the first measurement; if the machine was busier then, the
    fraction would be flattered, so every fraction and its floor is redone with the final peak.
    """
    from benchmarks.machine import best_peak, matmul_peak

    log("measuring the float32 matmul peak again")
    peak = best_peak([first, matmul_peak(ctx.plan.matmul_sizes, ctx.plan.matmul_repeats)])
    results["matmul_peak"] = peak
    for name, key, fraction_key in (("training", "ours_gflops", "ours_peak_fraction"),
                                    ("inference", "batch_gflops", "batch_peak_fraction")):
        section = results["sections"].get(name, {})
        if (section.get(key) or {}).get("median") and section.get("run") == results["date"]:
            section["matmul_peak_gflops"] = peak["gflops"]
            section[fraction_key] = section[key]["median"] / peak["gflops"]
            for item in section["floors"]:
                if item["unit"] == "of peak":
                    item["value"] = section[fraction_key]
                    item["passed"] = item["value"] >= item["threshold"]


def print_summary(results: dict, paths: dict) -> None:
    """The floors, and where the outputs are."""
    for section in results["sections"].values():
        kept = "" if section.get("run") == results["date"] else "  [kept from an earlier run]"
        for item in section.get("floors", []):
            value = "n/a" if item["value"] is None else f"{item['value']:.3g}"
            print(f"{mark(item['passed']):4}  {item['what']}: {value} (target {item['comparison']} "
                  f"{item['threshold']:g}){kept}")
    for kind, path in paths.items():
        print(f"wrote {display_path(path) if kind != 'png' or path.exists() else '(no chart)'}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and write the three outputs; 1 when the data is missing."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    from benchmarks.machine import describe_machine, matmul_peak

    work_dir = Path(tempfile.mkdtemp(prefix="digitnet-bench-"))
    try:
        ctx = make_context(args, work_dir)
        problem = missing_data(ctx.data_dir)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        previous = load_results(ctx.out_dir / "results.json")
        results = {
            "schema": 1, "date": now_iso(), "command": command_line(argv), "machine": describe_machine(),
            "plan": vars(ctx.plan), "sections": previous.get("sections", {}) if args.only else {},
        }
        if previous.get("models"):
            results["models"] = previous["models"]
        peak = None
        if any(name in NEEDS_PEAK for name in args.sections):
            log("measuring the float32 matmul peak (numpy, all cores)")
            peak = matmul_peak(ctx.plan.matmul_sizes, ctx.plan.matmul_repeats)
            results["matmul_peak"] = peak
        elif previous.get("matmul_peak") and args.only:
            results["matmul_peak"] = previous["matmul_peak"]
        for name in args.sections:
            results["sections"][name] = run_section(name, ctx, peak, results["date"])
            paths = write_outputs(results, ctx.out_dir)  # after every section: a late crash keeps the rest
        if peak is not None:
            remeasure_peak(results, ctx, peak)
            paths = write_outputs(results, ctx.out_dir)
        print_summary(results, paths)
        return 0
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
