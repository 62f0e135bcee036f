"""The one exception type users see.

Every problem caused by input (a bad CSV, an unreadable image, a missing model folder) is raised as
`DigitnetError` with a single-line message that names the file and, for CSVs, the line and column.
The CLI prints that line to stderr and exits non-zero; notebooks show it as the cell's error. Anything
else that escapes is a bug in digitnet, not in the user's data.
"""

from __future__ import annotations

import os


class DigitnetError(Exception):
    """A problem with the user's input, described in one line."""


class DigitnetWarning(UserWarning):
    """Input that is accepted but probably not what the user meant (one line, starting with the file's path).

    The CLI prints it as one ``warning:`` line on stderr; notebooks show it as Python shows warnings.
    """


def where(path: str | os.PathLike, line: int | None = None, column: int | None = None) -> str:
    """Format a location prefix such as ``digit_xtrain.csv, line 12, column 3``.

    Lines and columns are 1-based, as a text editor shows them.
    """
    text = os.fspath(path)
    if line is not None:
        text += f", line {line}"
    if column is not None:
        text += f", column {column}"
    return text


def unreadable(label: str | os.PathLike, error: OSError, expected: str) -> DigitnetError:
    """The one-line error for a file that could not be read, from the OSError that said why.

    Args:
        label: the file's name as the user gave it.
        expected: what it should have been, for a folder given instead ("a CSV file", "an image file").
    """
    if isinstance(error, FileNotFoundError):
        return DigitnetError(f"{os.fspath(label)}: file not found")
    if isinstance(error, IsADirectoryError):
        return DigitnetError(f"{os.fspath(label)}: is a folder, expected {expected}")
    if isinstance(error, PermissionError):
        return DigitnetError(f"{os.fspath(label)}: permission denied: cannot read the file")
    return DigitnetError(f"{os.fspath(label)}: cannot read the file ({error.strerror or error})")
