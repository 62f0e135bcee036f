"""The binary cache of parsed CSVs: keyed by content and by how the file was read, so it never changes an
answer; kept in the user's cache folder; never required."""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import pytest
from synthetic import synthetic_digits

from digitnet import csv_cache
from digitnet import data as data_module
from digitnet.data import read_images, read_labels, read_split
from digitnet.errors import DigitnetError
from digitnet.files import PARTIAL_PREFIX


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder that caches files of any size."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DIGITNET_CACHE_DIR", str(folder))
    monkeypatch.setattr(csv_cache, "MIN_BYTES", 0)
    return folder


@pytest.fixture
def parses(monkeypatch):
    """The paths actually parsed (not served from the cache), in order."""
    calls = []
    original = data_module.parse_table

    def counting(path, *args, **kwargs):
        calls.append(path)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(data_module, "parse_table", counting)
    return calls


def write_images(path, images):
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in images))
    return path


def test_second_read_comes_from_the_cache_and_matches(tmp_path, cache, parses):
    images, _ = synthetic_digits(20)
    path = write_images(tmp_path / "x.csv", images)
    first, _ = read_images(path)
    second, _ = read_images(path)
    assert parses == [path]  # the second read was served from the cache
    np.testing.assert_array_equal(first, images)
    np.testing.assert_array_equal(second, images)
    assert [p.name.split(".", 1)[1] for p in cache.iterdir()] == [f"images.v{csv_cache.FORMAT}.npz"]
    assert not (tmp_path / ".cache").exists()  # nothing beside the user's file


def test_rewritten_file_with_the_same_size_and_mtime_gives_the_new_answer(tmp_path, cache, parses):
    """What `cp -p` or `rsync -t` do: every label changed, size and modification time kept."""
    labels = np.arange(2000) % 10
    path = tmp_path / "y.csv"
    path.write_text("".join(f"{v}\n" for v in labels))
    stamp = path.stat()
    assert read_labels(path).tolist() == labels.tolist()
    changed = (labels + 1) % 10
    path.write_text("".join(f"{v}\n" for v in changed))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert read_labels(path).tolist() == changed.tolist()  # zero answers changed by the cache
    assert len(parses) == 2
    assert read_labels(path).tolist() == changed.tolist() and len(parses) == 2  # and that one is cached


def test_accuracy_follows_the_rewritten_labels(tmp_path, cache):
    """The issue's case in small: images with their labels, then the labels rewritten in place."""
    images, labels = synthetic_digits(50)
    x = write_images(tmp_path / "x.csv", images)
    y = tmp_path / "y.csv"
    y.write_text("".join(f"{v}\n" for v in labels))
    stamp = y.stat()
    assert (read_split(x, y).labels == labels).mean() == 1.0
    y.write_text("".join(f"{(v + 1) % 10}\n" for v in labels))
    os.utime(y, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert (read_split(x, y).labels == labels).mean() == 0.0


def test_reading_a_file_another_way_is_never_answered_from_the_cache(tmp_path, cache):
    """--x and --y swapped after a normal run: a clear refusal, never a KeyError or another file's arrays."""
    images, labels = synthetic_digits(10)
    x = write_images(tmp_path / "x.csv", images)
    y = tmp_path / "y.csv"
    y.write_text("".join(f"{v}\n" for v in labels))
    read_split(x, y)  # both cached now
    with pytest.raises(DigitnetError, match="is this a label file"):
        read_images(y)
    with pytest.raises(DigitnetError, match="is this an image file"):
        read_labels(x)


def test_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITNET_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert csv_cache.cache_dir() == tmp_path / "xdg" / "digitnet" / "csv"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert csv_cache.cache_dir() == tmp_path / "home" / ".cache" / "digitnet" / "csv"


def test_small_files_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITNET_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "y.csv"
    path.write_text("3\n1\n4\n")
    assert read_labels(path).tolist() == [3, 1, 4]
    assert not (tmp_path / "cache").exists()


def test_unwritable_cache_folder_means_no_cache_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("DIGITNET_CACHE_DIR", str(blocker / "cache"))  # cannot be created: a file is in the way
    monkeypatch.setattr(csv_cache, "MIN_BYTES", 0)
    images, _ = synthetic_digits(5)
    path = write_images(tmp_path / "x.csv", images)
    started = time.perf_counter()
    loaded, _ = read_images(path)
    assert time.perf_counter() - started < 5
    np.testing.assert_array_equal(loaded, images)


@pytest.mark.parametrize("garbage", [b"garbage", b""])
def test_corrupt_or_foreign_entry_is_ignored(tmp_path, cache, parses, garbage):
    images, _ = synthetic_digits(5)
    path = write_images(tmp_path / "x.csv", images)
    read_images(path)
    (entry,) = cache.iterdir()
    entry.write_bytes(garbage)
    loaded, _ = read_images(path)
    np.testing.assert_array_equal(loaded, images)
    np.savez(entry, images=np.zeros((5, 784), np.float32), labels=np.zeros(0, np.int64))  # wrong dtype
    loaded, _ = read_images(path)
    np.testing.assert_array_equal(loaded, images)
    assert len(parses) == 3


def test_checksum_is_of_the_bytes_that_were_read(tmp_path, mnist_dir):
    data = data_module.load_mnist(mnist_dir, 100)
    for path in data.files:
        assert data.checksums()[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_use_cache_false_neither_reads_nor_writes(tmp_path, cache, parses):
    images, _ = synthetic_digits(5)
    path = write_images(tmp_path / "x.csv", images)
    read_images(path, use_cache=False)
    read_images(path, use_cache=False)
    assert len(parses) == 2 and not cache.exists()


def test_least_recently_used_entries_go_beyond_the_limit(tmp_path, cache, monkeypatch):
    entries = []
    for seed in range(3):
        images, _ = synthetic_digits(5, seed=seed)
        read_images(write_images(tmp_path / f"x{seed}.csv", images))
        (entry,) = set(cache.iterdir()) - set(entries)
        entries.append(entry)
        os.utime(entry, (time.time() - 100 + seed, time.time() - 100 + seed))
    read_images(tmp_path / "x0.csv")  # the oldest is used again: now the most recent
    monkeypatch.setattr(csv_cache, "MAX_TOTAL_BYTES", 2 * entries[0].stat().st_size)
    images, _ = synthetic_digits(5, seed=9)
    read_images(write_images(tmp_path / "x9.csv", images))
    kept = set(cache.iterdir())
    assert entries[0] in kept and entries[1] not in kept and len(kept) == 2


def test_killed_cache_writes_are_cleaned_but_not_a_running_one(tmp_path, cache):
    import fcntl

    cache.mkdir()
    stale = cache / f"{PARTIAL_PREFIX}abc.npz.killed"
    stale.write_bytes(b"x" * 100)
    running = cache / f"{PARTIAL_PREFIX}def.npz.running"
    running.write_bytes(b"y")
    old = time.time() - 60
    for path in (stale, running):
        os.utime(path, (old, old))
    with open(running, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as atomic_write holds it while it writes
        images, _ = synthetic_digits(5)
        read_images(write_images(tmp_path / "x.csv", images))
        assert not stale.exists() and running.exists()
