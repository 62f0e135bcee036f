"""The CSV reader: fast on good files, one precise line for every kind of bad file."""

from __future__ import annotations

import numpy as np
import pytest

from digitnet.data import load_mnist, read_images, read_labels, read_split, scale_pixels
from digitnet.errors import DigitnetError


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
    rows = [[4] + [1] * 784, [2] + [0] * 784]
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
