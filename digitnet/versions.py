"""Numbered model versions under a base folder, TensorFlow Serving style: ``SavedModel/1``, ``/2``, ...

A version is a folder whose name is ASCII decimal digits (``7``, ``12``; ``007`` is version 7, as TF Serving
parses it, and is used under its real name ``007``); anything else in the base folder (``²``, ``١٢``,
``.partial-*``, ``notes``) is not a version. A version without ``saved_model.pb`` is incomplete (copied
half-way, or emptied) and is skipped with a note.

Which version a user means when they name none (decided here, for ``evaluate``, ``predict`` and the load
notebook alike): the highest complete version *trained on all training rows*. A run trained with ``limit``
(a smoke test such as ``LIMIT=2000``, one epoch: an 81% model) still gets the next number, but it does not
silently become the model everything uses: resolution skips it with a note that names it and says how to use
it (``--model SavedModel/<N>``). When every version is such a partial run, the highest is used, with a note
that says so. Versions without digitnet's record (exported by other tools) count as full runs. Every choice
is made visible in one ``note:`` line on stderr naming the folder and its recorded test accuracy, so
``--json`` output on stdout stays clean. (TensorFlow Serving itself serves the highest number whatever its
record says.)

New versions are claimed by renaming a finished folder to the next free number, with Ctrl-C held for that
instant so a caller is always told about a version it created.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from digitnet.errors import DigitnetError
from digitnet.files import interrupts_deferred

_VERSION_NAME = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and Arabic-Indic digits
MODEL_FILE = "saved_model.pb"
RECORD_NAME = "digitnet.json"  # the run's record, written beside every export (digitnet.export)


def note_on_stderr(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def list_versions(base: str | os.PathLike) -> list[tuple[int, Path]]:
    """(number, folder) of every version folder under `base`, by number ([] if `base` is missing).

    The folder is the real entry (``base/02`` for a folder named ``02``), never one rebuilt from the number.

    Raises:
        DigitnetError: `base` is a file or cannot be listed.
    """
    base = Path(base)
    try:
        entries = list(os.scandir(base))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise DigitnetError(f"{base}: is a file, expected a folder of numbered model versions") from None
    except OSError as error:
        raise DigitnetError(f"{base}: cannot list the folder ({error.strerror or error})") from None
    found = []
    for entry in entries:
        if _VERSION_NAME.fullmatch(entry.name) and _is_dir(entry):
            found.append((int(entry.name), base / entry.name))
    return sorted(found)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def is_complete(version_dir: str | os.PathLike) -> bool:
    """Whether a folder holds a SavedModel (its ``saved_model.pb``)."""
    try:
        return (Path(version_dir) / MODEL_FILE).is_file()
    except OSError:
        return False


def recorded_facts(version_dir: str | os.PathLike) -> dict:
    """The record beside a version ({} when it has none or it cannot be read: then nothing is known)."""
    try:
        facts = json.loads((Path(version_dir) / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def partial_rows(facts: dict) -> int | None:
    """The row limit a version was trained with, None for a run on all rows (or one without a record)."""
    parameters = facts.get("parameters")
    limit = parameters.get("limit") if isinstance(parameters, dict) else None
    return limit if isinstance(limit, int) and limit > 0 else None


def describe(version_dir: str | os.PathLike, facts: dict | None = None) -> str:
    """One line about a version: its folder, recorded test accuracy and what it was trained on."""
    facts = recorded_facts(version_dir) if facts is None else facts
    if not facts:
        return f"{version_dir} (no digitnet record: accuracy unknown)"
    accuracy = facts.get("test_accuracy")
    shown = f"recorded test accuracy {accuracy:.2%}" if isinstance(accuracy, (int, float)) else "no recorded accuracy"
    limit = partial_rows(facts)
    rows = facts.get("training_rows")
    trained = f"a partial run on the first {limit} rows" if limit else (
        f"trained on {rows} rows" if isinstance(rows, int) else "trained on all rows")
    return f"{version_dir} ({shown}, {trained})"


def latest_version(base: str | os.PathLike = "SavedModel",
                   note: Callable[[str], None] = note_on_stderr) -> Path:
    """The version a user means by `base`: the highest complete one trained on all rows (see the module's
    docstring). Skipped versions, and the choice, are told through `note`.

    Raises:
        DigitnetError: there is no complete version (says how to make one), or `base` cannot be listed.
    """
    versions = list_versions(base)
    incomplete, partial = [], []
    chosen = None
    for _, folder in reversed(versions):
        if not is_complete(folder):
            incomplete.append(folder)
            continue
        facts = recorded_facts(folder)
        if partial_rows(facts) is None:
            chosen = (folder, facts)
            break
        partial.append((folder, facts))
    if chosen is None and partial:
        chosen, partial = partial[0], []  # all partial runs: the newest, and no list of the older ones
        note(f"every model version under {base} is a partial run (trained with a row limit)")
    if chosen is None:
        what = "only incomplete versions" if versions else "no numbered version folder"
        raise DigitnetError(f"{base}: no exported model ({what}); train one first with `make run` or "
                            "`python -m digitnet train`")
    if incomplete:
        note(f"skipped incomplete model version(s) {', '.join(map(str, incomplete))} (no {MODEL_FILE})")
    for folder, facts in partial:
        note(f"skipped {describe(folder, facts)}: pass --model {folder} to use it")
    note(f"using {describe(*chosen)}")
    return chosen[0]


def resolve_model_dir(model: str | os.PathLike | None = None, export_base: str | os.PathLike = "SavedModel",
                      note: Callable[[str], None] = note_on_stderr) -> Path:
    """The SavedModel folder a user means: None -> `latest_version` of `export_base`; a folder holding
    ``saved_model.pb`` -> itself (silently: the user chose it); a folder of numbered versions -> its
    `latest_version`.

    Raises:
        DigitnetError: one line naming the folder (missing, unreadable, not a model).
    """
    if model is None:
        return latest_version(export_base, note)
    path = Path(model)
    if is_complete(path):
        return path
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as error:
        raise DigitnetError(f"{path}: cannot open the model folder ({error.strerror or error})") from None
    if not exists:
        raise DigitnetError(f"{path}: model folder not found")
    if not is_dir:
        raise DigitnetError(f"{path}: is a file, expected a SavedModel folder")
    if list_versions(path):
        return latest_version(path, note)
    raise DigitnetError(f"{path}: not a SavedModel (no {MODEL_FILE}) and no numbered versions inside")


def publish(finished: Path, base: Path, on_published: Callable[[Path], None] | None = None) -> Path:
    """Rename the finished folder to the next free version number under `base` (retrying if another run
    took it) and return the new path.

    `on_published(path)` is called as soon as the rename is done, with Ctrl-C held until it returns, so a
    caller learns of every version it created (the CLI then exits 0 even when interrupted just after).
    """
    number = 0
    for _ in range(100):
        numbers = [found for found, _ in list_versions(base)]
        number = max(number, (numbers or [0])[-1]) + 1
        target = base / str(number)
        with interrupts_deferred():
            try:
                os.rename(finished, target)  # atomic on one file system; fails if the target exists, not empty
            except OSError:
                if not target.exists():
                    raise
                continue  # another run took it (or a file has that name): the next one
            if on_published is not None:
                on_published(target)
        return target
    raise DigitnetError(f"{base}: could not claim a free version number")
