"""Command line: python -m tools.yardstick --out build/yardstick [--seed 0] [--tiny] [--scale S] [--sheets DIR]."""

from __future__ import annotations

import argparse
import sys
import time

from .make import TINY_COUNTS, generate
from .sheets import contact_sheets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.yardstick",
                                     description="Write the non-MNIST yardstick images and labels.csv.")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the default counts (default 1)")
    parser.add_argument("--tiny", action="store_true", help=f"a few images per section {TINY_COUNTS}, for tests")
    parser.add_argument("--workers", type=int, default=None, help="processes (default 2)")
    parser.add_argument("--sheets", default=None, help="also write contact sheets (PNG per kind and style) here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = generate(args.out, seed=args.seed, scale=args.scale, counts=TINY_COUNTS if args.tiny else None,
                     workers=args.workers)
    print(f"yardstick: {len(table)} images in {time.perf_counter() - start:.1f} s; "
          + ", ".join(f"{k}={v}" for k, v in table["kind"].value_counts().sort_index().items()), file=sys.stderr)
    if args.sheets:
        from .make import read_labels
        paths = contact_sheets(args.out, read_labels(args.out), args.sheets)
        print(f"yardstick: {len(paths)} contact sheets in {args.sheets}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
