"""The binary cache of parsed CSVs: used only while the CSV is unchanged, never required."""

from __future__ import annotations

import os

import numpy as np
from synthetic import synthetic_digits

from digitnet import csv_cache
from digitnet.data import file_sha256, read_images, read_labels


def write_images(path, images):
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in images))
    return path


def test_second_read_comes_from_the_cache_and_matches(tmp_path):
    images, _ = synthetic_digits(20)
    path = write_images(tmp_path / "x.csv", images)
    first, _ = read_images(path)
    assert csv_cache.cache_path(path).exists()
    calls = []
    second = csv_cache.cached_parse(path, lambda p: calls.append(p) or {})
    assert calls == []  # served from the cache, the parser was not called
    np.testing.assert_array_equal(second["images"], first)
    np.testing.assert_array_equal(first, images)


def test_changed_csv_is_parsed_again(tmp_path):
    images, _ = synthetic_digits(10)
    path = write_images(tmp_path / "x.csv", images)
    read_images(path)
    changed = images.copy()
    changed[0, 0] = 123
    write_images(path, changed)
    os.utime(path, ns=(1, 1))  # a different modification time, as any edit gives
    again, _ = read_images(path)
    assert again[0, 0] == 123


def test_labels_and_checksum_are_cached_too(tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("3\n1\n4\n")
    assert read_labels(path).tolist() == [3, 1, 4]
    assert read_labels(path).tolist() == [3, 1, 4]
    import hashlib

    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_unwritable_folder_just_has_no_cache(tmp_path, monkeypatch):
    images, _ = synthetic_digits(5)
    path = write_images(tmp_path / "x.csv", images)
    monkeypatch.setattr(csv_cache, "CACHE_FOLDER", "missing/deeper")  # mkdir without parents fails
    loaded, _ = read_images(path)
    np.testing.assert_array_equal(loaded, images)
    assert not (tmp_path / "missing").exists()


def test_corrupt_cache_is_ignored(tmp_path):
    images, _ = synthetic_digits(5)
    path = write_images(tmp_path / "x.csv", images)
    read_images(path)
    csv_cache.cache_path(path).write_bytes(b"garbage")
    loaded, _ = read_images(path)
    np.testing.assert_array_equal(loaded, images)
