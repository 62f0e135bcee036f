"""A binary copy of each parsed CSV, so the second and later loads skip parsing.

Parsing the 110 MB training CSV takes about a second; the notebook is re-run often (change a parameter,
run again), so after the first successful parse the arrays are kept in ``<folder>/.cache/<name>.npz``
together with the CSV's size, modification time and SHA-256. A later read uses the copy only while the
CSV's size and modification time are unchanged (the test ``make`` uses); otherwise it parses again. The
copy is written through a temporary file and renamed, and a folder that cannot be written to simply gets
no cache. Delete ``.cache`` at any time: it is rebuilt on the next load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitnet.files import atomic_write

CACHE_FOLDER = ".cache"
FORMAT = 1  # bump when the parsed arrays' meaning changes, so older copies are ignored


def cache_path(csv_path: Path) -> Path:
    return csv_path.parent / CACHE_FOLDER / f"{csv_path.name}.npz"


def _stamp(csv_path: Path) -> dict:
    status = csv_path.stat()
    return {"format": FORMAT, "size": status.st_size, "mtime_ns": status.st_mtime_ns}


def _read(csv_path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """The cached arrays and metadata if the copy exists and matches the CSV as it is now."""
    path = cache_path(csv_path)
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            if {key: meta.get(key) for key in ("format", "size", "mtime_ns")} != _stamp(csv_path):
                return None
            return {key: stored[key] for key in stored.files if key != "meta"}, meta
    except (OSError, ValueError, KeyError):
        return None


def _write(csv_path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Store `arrays` with the CSV's stamp and SHA-256; silently skipped where the folder is read-only."""
    meta = {**_stamp(csv_path), "sha256": sha256_of(csv_path)}
    folder = cache_path(csv_path).parent
    try:
        folder.mkdir(exist_ok=True)
        atomic_write(cache_path(csv_path), lambda stream: np.savez(stream, meta=np.array(json.dumps(meta)), **arrays))
    except OSError:
        pass  # a folder we cannot write to simply gets no cache


def cached_parse(csv_path: Path, parse: Callable[[Path], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """`parse(csv_path)`'s arrays, from the cache when it is current, else parsed now and cached."""
    hit = _read(csv_path)
    if hit is not None:
        return hit[0]
    arrays = parse(csv_path)
    _write(csv_path, arrays)
    return arrays


def sha256_of(csv_path: Path) -> str:
    """Hex SHA-256 of the file: from its current cache entry if there is one, else computed."""
    hit = _read(csv_path)
    if hit is not None and "sha256" in hit[1]:
        return hit[1]["sha256"]
    digest = hashlib.sha256()
    with open(csv_path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
