"""Writing files so that a crash, a kill or a Ctrl-C never leaves a half-written one under the real name, and
clearing away what killed writers left behind.

Temporary siblings (`atomic_write`'s ``.part-*`` files, `staging_folder`'s ``.partial-*`` folders) are locked with
flock(2) by their writer for as long as it writes. The kernel drops such a lock when its process ends, however it
ends (SIGKILL included), so `remove_stale` can tell a leftover from work in progress without trusting process ids
(which are reused, and mean nothing on another machine sharing the folder): it removes only entries whose lock it
can take and that have not changed for `STALE_AFTER_S` seconds (the grace covers the instant between creating an
entry and locking it). Where flock is missing (Windows), leftovers are removed after a day instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, leftovers are recognised by age alone
    fcntl = None

PARTIAL_PREFIX = ".part-"  # temporary files beside their destination start with this
STAGING_PREFIX = ".partial-"  # temporary folders (an export being written) start with this
LOCK_NAME = ".owner.lock"  # inside a staging folder: flocked by the process writing the folder
STALE_AFTER_S = 2.0
STALE_WITHOUT_LOCKS_S = 24 * 3600.0


def _lock(descriptor: int) -> None:
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None], mode: int = 0o644) -> Path:
    """Call ``write(stream)`` on a temporary sibling of `path`, then rename it over `path`.

    The rename is atomic on one file system: readers see the old file or the complete new one, never a
    part. On any failure (including KeyboardInterrupt) the temporary file is removed and the error raised;
    after a kill it stays, locked by nobody, for `remove_stale` to clear. `mode` is applied before the
    rename (mkstemp creates files readable by their owner only).
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f"{PARTIAL_PREFIX}{path.name}.", dir=path.parent)
    try:
        _lock(handle)  # held until the stream is closed, i.e. for as long as this process writes
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


@contextmanager
def staging_folder(base: Path) -> Iterator[Path]:
    """A fresh ``.partial-*`` folder in `base`, locked as ours while the block runs and removed after it."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=base))
    descriptor = None
    try:
        descriptor = os.open(staging / LOCK_NAME, os.O_CREAT | os.O_WRONLY, 0o644)
        _lock(descriptor)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if descriptor is not None:
            os.close(descriptor)


def _lock_state(path: Path) -> str:
    """"held" (a live process holds `path`'s flock), "free", "missing" (no such file) or "unknown"."""
    if fcntl is None:
        return "unknown"
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unknown"  # e.g. another user's file: not ours to judge
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return "free"  # we got it: its writer is gone (closing the descriptor releases it again)
    except OSError:
        return "held"
    finally:
        os.close(descriptor)


def remove_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the ``.part-*`` files and ``.partial-*`` folders in `folder` that no running process owns.

    An entry goes when its lock is free (its writer has ended) or, for a folder, when it never got a lock
    file (killed at once), in both cases only once it has not changed for `STALE_AFTER_S`. Never follows
    symbolic links, never raises (a folder it cannot list or an entry it cannot remove is left as it is).
    Returns what was removed.
    """
    folder = Path(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    now = time.time()
    for entry in entries:
        try:
            if entry.name.startswith(PARTIAL_PREFIX) and entry.is_file(follow_symlinks=False):
                lock, remove = Path(entry.path), os.unlink
            elif entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                lock, remove = Path(entry.path) / LOCK_NAME, shutil.rmtree
            else:
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            state = _lock_state(lock)
            stale = state in ("free", "missing") or (state == "unknown" and age >= STALE_WITHOUT_LOCKS_S)
            if not stale or age < STALE_AFTER_S:
                continue
            remove(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove: leave it
    return removed


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block is done, then deliver it through the handler that was in place.

    For a step that must not be cut in two, such as renaming a finished export into place and telling the
    caller so: the caller's handler then knows the work is complete. Only the main thread can handle signals;
    elsewhere the block simply runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending and previous is not signal.SIG_IGN:
            handler = previous if callable(previous) else signal.default_int_handler
            handler(signal.SIGINT, None)
