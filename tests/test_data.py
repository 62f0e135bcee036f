"""The CSV reader: fast on good files, one precise line for every kind of bad file."""

from __future__ import annotations

import csv
import gzip
import os
import re
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digitnet import data as data_module
from digitnet.data import load_mnist, read_images, read_labels, read_split, scale_pixels
from digitnet.errors import DigitnetError, DigitnetWarning


def write(path, text: str):
    path.write_text(text)
    return path


def pixel_rows(rows: int, value: int = 0) -> list[list[int]]:
    return [[value] * 784 for _ in range(rows)]


def csv_text(rows: list[list]) -> str:
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def refuse(reader, path, *fragments):
    """Call reader(path), expect DigitnetError, check the message is one line naming the file."""
    with pytest.raises(DigitnetError) as caught:
        reader(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_reads_seed_format(tmp_path):
    rows = pixel_rows(3)
    rows[1][5] = 255
    images, labels = read_images(write(tmp_path / "x.csv", csv_text(rows)))
    assert images.dtype == np.uint8 and images.shape == (3, 784)
    assert images[1, 5] == 255 and labels is None
    assert read_labels(write(tmp_path / "y.csv", "5\n0\n4\n")).tolist() == [5, 0, 4]


def test_header_row_is_recognised_not_parsed(tmp_path):
    header = ",".join(f"pixel{i}" for i in range(784))
    images, _ = read_images(write(tmp_path / "x.csv", header + "\n" + csv_text(pixel_rows(2, 7))))
    assert images.shape == (2, 784) and images.max() == 7
    assert read_labels(write(tmp_path / "y.csv", "label\n3\n9\n")).tolist() == [3, 9]


def test_label_column_first_with_header_is_accepted(tmp_path):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    rows = [[4] + [7] * 784, [2] + [0] * 784]
    images, labels = read_images(write(tmp_path / "x.csv", header + "\n" + csv_text(rows)))
    assert images.shape == (2, 784) and labels.tolist() == [4, 2]
    split = read_split(tmp_path / "x.csv", None)
    assert split.labels.tolist() == [4, 2]


def test_785_columns_without_header_is_refused_as_ambiguous(tmp_path):
    path = write(tmp_path / "x.csv", csv_text([[4] + [1] * 784]))
    refuse(read_images, path, "785 columns", "label")


def test_trailing_blank_lines_are_tolerated(tmp_path):
    images, _ = read_images(write(tmp_path / "x.csv", csv_text(pixel_rows(2)) + "\n\n"))
    assert images.shape == (2, 784)


def test_missing_file(tmp_path):
    refuse(read_images, tmp_path / "nope.csv", "not found")


def test_empty_file(tmp_path):
    refuse(read_images, write(tmp_path / "x.csv", ""), "empty")
    refuse(read_labels, write(tmp_path / "y.csv", "\n\n"), "empty")


def test_wrong_column_count(tmp_path):
    refuse(read_images, write(tmp_path / "x.csv", csv_text([[0] * 783, [0] * 783])), "783 columns", "784")


def test_ragged_row_names_its_line(tmp_path):
    rows = pixel_rows(5)
    rows[3] = rows[3][:-1]
    refuse(read_images, write(tmp_path / "x.csv", csv_text(rows)), "line 4", "ragged")
    rows = pixel_rows(5)
    rows[2] = rows[2] + [0]
    refuse(read_images, write(tmp_path / "x.csv", csv_text(rows)), "line 3", "ragged")


def test_non_numeric_cell_names_line_and_column(tmp_path):
    rows = pixel_rows(4)
    rows[2][10] = "x7"
    refuse(read_images, write(tmp_path / "x.csv", csv_text(rows)), "line 3, column 11", "'x7' is not a number")


@pytest.mark.parametrize("value", [256, -1, 3.5])
def test_pixel_out_of_range(tmp_path, value):
    rows = pixel_rows(3)
    rows[1][783] = value
    path = write(tmp_path / "x.csv", csv_text(rows))
    refuse(read_images, path, "line 2, column 784", f"pixel {value} is outside 0-255")


def test_blank_line_inside_data(tmp_path):
    text = csv_text(pixel_rows(2)) + "\n" + csv_text(pixel_rows(1))
    refuse(read_images, write(tmp_path / "x.csv", text), "line 3", "empty line")


LABEL_CASES = [("10", "label 10 is outside 0-9"), ("-1", "label -1 is outside 0-9"), ("seven", "not a number")]


@pytest.mark.parametrize("bad, fragment", LABEL_CASES)
def test_label_outside_range(tmp_path, bad, fragment):
    refuse(read_labels, write(tmp_path / "y.csv", f"1\n2\n{bad}\n"), "line 3", fragment)


def test_label_file_with_two_columns(tmp_path):
    refuse(read_labels, write(tmp_path / "y.csv", "1,2\n3,4\n"), "2 columns")


def test_row_counts_differ(tmp_path):
    x = write(tmp_path / "x.csv", csv_text(pixel_rows(3)))
    y = write(tmp_path / "y.csv", "1\n2\n")
    with pytest.raises(DigitnetError, match="2 labels for 3 images"):
        read_split(x, y)


def test_folder_instead_of_file(tmp_path):
    refuse(read_images, tmp_path, "folder")


def test_load_mnist_splits_validation_off_the_front(mnist_dir):
    data = load_mnist(mnist_dir, validation_size=100)
    assert data.validation.images.shape == (100, 784)
    assert data.train.images.shape == (500, 784)
    assert data.test.labels.shape == (200,)
    full_train, _ = read_images(mnist_dir / "digit_xtrain.csv")
    np.testing.assert_array_equal(data.validation.images, full_train[:100])
    assert set(data.checksums()) == {"digit_xtrain.csv", "digit_ytrain.csv", "digit_xtest.csv", "digit_ytest.csv"}


def test_load_mnist_missing_folder_says_how_to_fix(tmp_path):
    with pytest.raises(DigitnetError, match="digitnet data"):
        load_mnist(tmp_path / "MNIST")


def test_scaling_divides_by_255():
    scaled = scale_pixels(np.array([[0, 255, 51]], np.uint8))
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 1.0, 0.2]])


def test_numpy_savetxt_default_format_is_accepted(tmp_path):
    pixels = np.zeros((3, 784))
    pixels[2, 100] = 255
    np.savetxt(tmp_path / "x.csv", pixels, delimiter=",")  # writes 2.550000000000000000e+02
    images, _ = read_images(tmp_path / "x.csv")
    assert images.dtype == np.uint8 and images[2, 100] == 255 and images.sum() == 255


def test_bad_value_after_a_header_names_the_file_line(tmp_path):
    header = ",".join(f"pixel{i}" for i in range(784))
    rows = pixel_rows(3)
    rows[1][0] = 300
    path = write(tmp_path / "x.csv", header + "\n" + csv_text(rows))
    refuse(read_images, path, "line 3, column 1", "pixel 300")


def test_parsing_without_the_cache_gives_the_same_split(mnist_dir):
    cached = load_mnist(mnist_dir, validation_size=100)
    parsed = load_mnist(mnist_dir, validation_size=100, use_cache=False)
    np.testing.assert_array_equal(cached.train.images, parsed.train.images)
    np.testing.assert_array_equal(cached.test.labels, parsed.test.labels)


# ---------------------------------------------------------------------------------------------------
# Common mistakes get a message that says what the file is and what to do


def test_utf8_bom_in_a_label_file_is_skipped(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark: it must not turn the first label into a header."""
    x = write(tmp_path / "x.csv", csv_text(pixel_rows(3, 9)))
    y = tmp_path / "y.csv"
    y.write_bytes(b"\xef\xbb\xbf5\r\n0\r\n4\r\n")
    assert read_split(x, y).labels.tolist() == [5, 0, 4]


def test_excel_csv_utf8_export_with_a_label_header_is_accepted(tmp_path):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (header + "\r\n" + csv_text([[3] + [9] * 784]).replace("\n", "\r\n")).encode())
    images, labels = read_images(path)
    assert labels.tolist() == [3] and images.shape == (1, 784)


@pytest.mark.parametrize("separator, name", [("\t", "tabs"), (";", "semicolons")])
def test_other_separators_are_named_not_quoted(tmp_path, separator, name):
    text = "".join(separator.join(["0"] * 784) + "\n" for _ in range(3))
    message = refuse(read_images, write(tmp_path / "x.csv", text), f"separated by {name}, not commas", "line 1")
    assert len(message) < 300  # the 2.7 KB line is not quoted


def test_pixels_scaled_to_0_1_are_recognised(tmp_path):
    rows = [[round(v / 255, 4) for v in range(0, 784 * 3, 3)][:784] for _ in range(2)]
    rows = [[min(v, 1.0) for v in row] for row in rows]
    refuse(read_images, write(tmp_path / "x.csv", csv_text(rows)), "scaled to 0-1", "multiply them by 255")


def test_binary_pixels_warn(tmp_path):
    rows = pixel_rows(3)
    rows[1][100] = 1
    with pytest.warns(DigitnetWarning, match="every pixel is 0 or 1"):
        images, _ = read_images(write(tmp_path / "x.csv", csv_text(rows)))
    assert images.max() == 1  # accepted: a warning, not a refusal


# mtime=0: a gzip header holds the time it was written, so each test worker, collecting a second apart,
# named this case differently, and pytest-xdist stopped ("Different tests were collected").
@pytest.mark.parametrize("payload, fragment", [
    (gzip.compress(b"0,1,2\n", mtime=0), "gzip-compressed"),
    (b"PK\x03\x04" + bytes(60), "ZIP archive"),
    ("5\n0\n".encode("utf-16"), "UTF-16"),
    ("5\n0\n".encode("utf-16-le"), "UTF-16"),
    (bytes(range(256)), "binary file"),
])
def test_binary_files_say_what_they_are(tmp_path, payload, fragment):
    path = tmp_path / "y.csv"
    path.write_bytes(payload)
    message = refuse(read_labels, path, fragment)
    assert "\\x" not in message and "\ufffd" not in message  # no binary garbage quoted


def test_swapped_image_and_label_files_say_so(tmp_path):
    x = write(tmp_path / "x.csv", csv_text(pixel_rows(2, 3)))
    y = write(tmp_path / "y.csv", "1\n2\n")
    refuse(read_images, y, "is this a label file")
    refuse(read_labels, x, "is this an image file")


def test_rows_joined_onto_one_line_are_refused_at_once(tmp_path):
    path = write(tmp_path / "x.csv", ",".join(["7"] * 784 * 400) + "\n")
    started = time.perf_counter()
    refuse(read_images, path, "line 1", "without a line break", "joined onto one line")
    assert time.perf_counter() - started < 1


def test_unreadable_file_is_one_line(tmp_path, monkeypatch):
    path = write(tmp_path / "x.csv", csv_text(pixel_rows(1)))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(data_module, "open", denied, raising=False)  # root reads anything: simulate the refusal
    refuse(read_images, path, "permission denied")


def test_carriage_returns_alone_end_lines_too(tmp_path):
    path = tmp_path / "y.csv"
    path.write_bytes(b"1\r2\r3\r")
    assert read_labels(path).tolist() == [1, 2, 3]
    path.write_bytes(b"1\r2\r\r3\r")
    refuse(read_labels, path, "line 3", "empty line")


def test_a_long_file_with_one_bad_cell_near_the_end_names_it(tmp_path):
    rows = pixel_rows(3000, 5)
    rows[2990][17] = "n/a"
    text = csv_text(rows)
    refuse(read_images, write(tmp_path / "x.csv", text), "line 2991, column 18", "'n/a' is not a number")
    rows[2990][17] = 2.5
    refuse(read_images, write(tmp_path / "x.csv", csv_text(rows)), "line 2991, column 18", "pixel 2.5 is outside")


# ---------------------------------------------------------------------------------------------------
# Property-based: random and mutated files give the right answer or one line naming the file, in bounded
# time and memory. The reference below is the format's definition, written plainly (no pyarrow, no pieces).

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\xff\xfe",
          b"\xfe\xff")


def reference(raw: bytes, kind: str) -> dict | None:
    """What the reader must return for `raw` read as `kind` ("images" or "labels"), or None: refused."""
    if raw.startswith(_MAGIC) or b"\x00" in raw[: 1 << 20]:
        return None
    text = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    lines = re.split(rb"\r\n|\r|\n", text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or any(not line.strip() for line in lines):
        return None
    cells = [[c.strip() for c in next(csv.reader([line.decode("utf-8", "replace")]))] for line in lines]
    header = None
    if all(c and not _is_float(c) for c in cells[0]):
        header, cells = cells[0], cells[1:]
    for line in lines[: 1 + (header is not None)]:  # the first line, and the first data line after a header
        counts = [line.count(b","), line.count(b";"), line.count(b"\t")]
        if max(counts[1:]) > counts[0]:
            return None
    if not cells or any(len(row) != len(cells[0]) for row in cells):
        return None
    if not all(_NUMBER.fullmatch(c) and float(c).is_integer() for row in cells for c in row):
        return None
    values = np.array([[float(c) for c in row] for row in cells])
    if kind == "labels":
        ok = values.shape[1] == 1 and values.min() >= 0 and values.max() <= 9
        return {"labels": values[:, 0].astype(np.int64)} if ok else None
    if header is not None and len(header) != values.shape[1]:
        return None
    if values.min() < 0 or values.max() > 255:
        return None
    if values.shape[1] == 785 and header and header[0].lower() in ("label", "labels", "digit", "class"):
        return None if values[:, 0].max() > 9 else {"images": values[:, 1:], "labels": values[:, 0]}
    return {"images": values, "labels": None} if values.shape[1] == 784 else None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


CASES = {"run": 0, "accepted": 0, "refused": 0}


def check_against_reference(folder, raw: bytes, kind: str) -> None:
    """Read `raw` as `kind`: the reference's answer, or one line naming the file; bounded time and memory."""
    path = folder / f"case-{CASES['run']}.csv"
    CASES["run"] += 1
    path.write_bytes(raw)
    expected = reference(raw, kind)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DigitnetWarning)
            got = read_labels(path, use_cache=False) if kind == "labels" else read_images(path, use_cache=False)
    except DigitnetError as error:
        message = str(error)
        assert message.startswith(str(path)) and "\n" not in message, message
        assert expected is None, f"refused a good file: {message}"
        CASES["refused"] += 1
    else:
        assert expected is not None, f"accepted a bad file: {raw[:200]!r}"
        if kind == "labels":
            np.testing.assert_array_equal(got, expected["labels"])
        else:
            np.testing.assert_array_equal(got[0], expected["images"])
            assert (got[1] is None) == (expected["labels"] is None)
            if got[1] is not None:
                np.testing.assert_array_equal(got[1], expected["labels"])
        CASES["accepted"] += 1
    finally:
        path.unlink()
    assert time.perf_counter() - started < 1 + len(raw) / 10e6
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_before
    assert grown <= 3 * len(raw) + (64 << 20)


def render(value, style: int) -> str:
    return [str(value), f"{value}.0", f" {value} ", f"0{value}", f"{value}e0", f'"{value}"', f"{value / 255:.3f}",
            "x"][style]


@st.composite
def csv_files(draw, kind: str) -> bytes:
    """A table in the format, drawn with the variations users produce, then perhaps mutated."""
    columns = 1 if kind == "labels" else draw(st.sampled_from([784, 784, 785, 783]))
    rows = draw(st.integers(1, 5))
    high = 9 if kind == "labels" or columns == 785 else 255
    values = draw(st.lists(st.lists(st.integers(0, high + 1), min_size=columns, max_size=columns),
                           min_size=rows, max_size=rows))
    common = draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5]))
    oddities = draw(st.dictionaries(st.integers(0, rows * columns - 1), st.integers(0, 7), max_size=3))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(render(v, oddities.get(r * columns + c, common)) for c, v in enumerate(row))
             for r, row in enumerate(values)]
    if draw(st.booleans()):
        lines.insert(0, ",".join(["label"] + [f"pixel{i}" for i in range(columns - 1)]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3, newline + "  " + newline]))
    raw = (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()
    for _ in range(draw(st.integers(0, 3))):
        raw = draw(mutations(raw))
    return raw


@st.composite
def mutations(draw, raw: bytes) -> bytes:
    """One edit of the kind files suffer: a byte changed, inserted or dropped, lines joined, cut short."""
    at = draw(st.integers(0, max(len(raw) - 1, 0)))
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "join", "duplicate"]))
    byte = draw(st.sampled_from([b",", b";", b"\t", b"\n", b"\r", b" ", b'"', b"\x00", b"\xff", b"-", b".", b"9",
                                 b"e", b"a", b"\xef\xbb\xbf"]))
    if kind == "replace":
        return raw[:at] + byte + raw[at + 1:]
    if kind == "insert":
        return raw[:at] + byte + raw[at:]
    if kind == "delete":
        return raw[:at] + raw[at + 1:]
    if kind == "truncate":
        return raw[:at]
    if kind == "join":
        return raw.replace(b"\n", b",", 1)
    return raw[:at] + raw[at:].split(b"\n", 1)[0] + b"\n" + raw[at:]


@given(raw=csv_files("labels"))
def test_property_label_files(tmp_path_factory, raw):
    check_against_reference(tmp_path_factory.getbasetemp(), raw, "labels")


@given(raw=csv_files("images"))
def test_property_image_files(tmp_path_factory, raw):
    check_against_reference(tmp_path_factory.getbasetemp(), raw, "images")


@given(raw=st.binary(max_size=4096), kind=st.sampled_from(["labels", "images"]))
def test_property_random_bytes(tmp_path_factory, raw, kind):
    check_against_reference(tmp_path_factory.getbasetemp(), raw, kind)


def test_property_cases_ran():
    """Runs after the three above (file order): how many cases they checked, printed for the record."""
    print(f"\nCSV property cases: {CASES['run']} ({CASES['accepted']} accepted, {CASES['refused']} refused)")
    assert CASES["run"] == 0 or CASES["accepted"] > 0 < CASES["refused"]


MEASURE = """
import sys, time
from digitnet.data import read_images
from digitnet.errors import DigitnetError
def peak():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) * 1024
started = time.perf_counter()
try:
    read_images(sys.argv[1], use_cache=False)
    outcome = 'accepted'
except DigitnetError as error:
    outcome = str(error)
print(time.perf_counter() - started, peak(), outcome, sep='\\n')
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc")
@pytest.mark.parametrize("shape", ["joined onto one line", "bad cell at the end", "short cells, bad at the end"])
def test_large_malformed_files_are_refused_in_bounded_time_and_memory(tmp_path, shape):
    """The floor: refusing a malformed file of N MB takes at most ~3 N + 200 MB and ~1 s per 10 MB."""
    row = ",".join(str(v) for v in np.random.default_rng(0).integers(0, 256, 784)) + "\n"
    if shape == "joined onto one line":
        text = (row.strip() + ",") * 3000 + "0\n"
    elif shape == "bad cell at the end":
        text = row * 3000 + row.replace(",", ",x7,", 1)
    else:
        text = (",".join(["0"] * 784) + "\n") * 6000 + ",".join(["0"] * 783 + ["256"]) + "\n"
    path = write(tmp_path / "x.csv", text)
    shown = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=120)
    seconds, peak, outcome = shown.stdout.strip().split("\n", 2)
    size = path.stat().st_size
    assert outcome.startswith(str(path)), shown.stdout + shown.stderr
    assert float(seconds) < 1 + size / 10e6, (size, seconds)
    assert int(peak) < 3 * size + (200 << 20), (size, int(peak) >> 20)


def test_the_cli_shows_the_binary_pixel_warning_as_one_line(tmp_path, trained_export, capsys):
    from digitnet.cli import main

    export_dir, _, _ = trained_export
    rows = pixel_rows(4)
    rows[0][300] = 1
    x = write(tmp_path / "x.csv", csv_text(rows))
    y = write(tmp_path / "y.csv", "1\n2\n3\n4\n")
    assert main(["evaluate", "--model", str(export_dir), "--x", str(x), "--y", str(y)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warned == [f"warning: {x}: every pixel is 0 or 1, but pixels should be 0-255: were the images "
                      "binarised or scaled to 0-1? Multiply them by 255"]
