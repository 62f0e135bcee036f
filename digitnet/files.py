"""Writing files so that a crash or a kill never leaves a half-written one under the real name."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PARTIAL_PREFIX = ".part-"  # temporary siblings start with this (stale ones can be recognised and removed)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None], mode: int = 0o644) -> Path:
    """Call ``write(stream)`` on a temporary sibling of `path`, then rename it over `path`.

    The rename is atomic on one file system: readers see the old file or the complete new one, never a
    part. On any failure (including KeyboardInterrupt) the temporary file is removed and the error raised.
    `mode` is applied before the rename (mkstemp creates files readable by their owner only).
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f"{PARTIAL_PREFIX}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """`atomic_write` of a UTF-8 text."""
    return atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))
