"""Numbered model versions under a base folder, TensorFlow Serving style: ``SavedModel/1``, ``/2``, ...

A version is a folder whose name is ASCII decimal digits (``7``, ``12``; ``007`` is version 7, as TF
Serving parses it); anything else in the base folder (``²``, ``١٢``, ``.partial-*``, ``notes``) is not a
version. A version without ``saved_model.pb`` is incomplete (copied half-way, or emptied): the latest
*complete* one is used and the skipped ones are named in a note. New versions are claimed by renaming a
finished folder to the next free number.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from digitnet.errors import DigitnetError

_VERSION_NAME = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and Arabic-Indic digits
MODEL_FILE = "saved_model.pb"


def _note_on_stderr(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def list_versions(base: str | os.PathLike) -> list[tuple[int, Path]]:
    """(number, folder) of every version folder under `base`, by number ([] if `base` is missing)."""
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


def latest_version(base: str | os.PathLike = "SavedModel",
                   note: Callable[[str], None] = _note_on_stderr) -> Path:
    """The highest-numbered complete version under `base`; incomplete higher ones are skipped with a note.

    Raises:
        DigitnetError: there is no complete version (says how to make one).
    """
    versions = list_versions(base)
    skipped = []
    for _, folder in reversed(versions):
        if is_complete(folder):
            if skipped:
                note(f"skipped incomplete model version(s) {', '.join(map(str, skipped))} (no {MODEL_FILE}); "
                     f"using {folder}")
            return folder
        skipped.append(folder)
    what = "only incomplete versions" if versions else "no numbered version folder"
    raise DigitnetError(f"{base}: no exported model ({what}); train one first with `make run` or "
                        "`python -m digitnet train`")


def resolve_model_dir(model: str | os.PathLike | None = None, export_base: str | os.PathLike = "SavedModel",
                      note: Callable[[str], None] = _note_on_stderr) -> Path:
    """The SavedModel folder a user means: None -> latest under `export_base`; a folder holding
    ``saved_model.pb`` -> itself; a folder of numbered versions -> its latest complete version."""
    if model is None:
        return latest_version(export_base, note)
    path = Path(model)
    if is_complete(path):
        return path
    if not path.exists():
        raise DigitnetError(f"{path}: model folder not found")
    if list_versions(path):
        return latest_version(path, note)
    raise DigitnetError(f"{path}: not a SavedModel (no {MODEL_FILE}) and no numbered versions inside")


def publish(finished: Path, base: Path) -> Path:
    """Rename the finished folder to the next free version number under `base` (retrying if another run
    took it) and return the new path."""
    for _ in range(100):
        numbers = [number for number, _ in list_versions(base)]
        target = base / str((numbers or [0])[-1] + 1)
        try:
            os.rename(finished, target)  # atomic on one file system; fails if the target exists and is not empty
            return target
        except OSError:
            if not target.exists():
                raise
    raise DigitnetError(f"{base}: could not claim a free version number")
