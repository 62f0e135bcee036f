"""Synthesised training rows: handwriting variants of MNIST digits and not-a-digit negatives (no MNIST needed)."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import synthetic_digits

from digitnet import negatives, variants
from digitnet.data import Split
from digitnet.images.fit import mnist_uint8


def stroke_digit(kind: str) -> np.ndarray:
    """A clean MNIST-like 1 (a slightly slanted bar) or 7 (a top bar and a diagonal stem), uint8 [784]."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (28, 28), 0)
    pen = ImageDraw.Draw(image)
    if kind == "1":
        pen.line([(15, 4), (13, 23)], fill=255, width=3)
    else:
        pen.line([(7, 5), (20, 5), (11, 23)], fill=255, width=3)
    return np.asarray(image, np.uint8).reshape(784)


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(image.reshape(28, 28) > 80)
    return rows.min(), rows.max(), columns.min(), columns.max()


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    square = image.reshape(28, 28).astype(float)
    rows, columns = np.mgrid[0:28, 0:28]
    return (rows * square).sum() / square.sum(), (columns * square).sum() / square.sum()


@pytest.mark.parametrize("kind", ["1", "7", "corner", "blank"])
def test_canvas_is_the_whole_pictures_bicubic_enlargement(kind):
    # _canvas enlarges only the ink's box; it must equal enlarging the whole padded picture, also for ink at the
    # 28x28's very edge and for no ink at all
    from PIL import Image

    digit = {"1": stroke_digit("1"), "7": stroke_digit("7"), "blank": np.zeros(784, np.uint8)}.get(kind)
    if digit is None:
        digit = np.zeros((28, 28), np.uint8)
        digit[0, 0], digit[0, 1], digit[27, 27], digit[13, 5] = 255, 90, 200, 40
        digit = digit.reshape(784)
    padded = np.pad(digit.reshape(28, 28), variants._PAD).astype(np.float32)
    side = padded.shape[0] * variants._SCALE
    whole = np.asarray(Image.fromarray(padded, "F").resize((side, side), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(variants._canvas(digit), whole)


def test_flag_and_base_widen_a_one_and_keep_mnist_format():
    one = stroke_digit("1")
    flagged = variants.flag_one(one, np.random.default_rng(0), base=False)
    based = variants.flag_one(one, np.random.default_rng(0), base=True)
    for image in (flagged, based):
        assert image.shape == (784,) and image.dtype == np.uint8 and image.max() == 255
        top, bottom, left, right = ink_box(image)
        assert max(bottom - top, right - left) in (19, 20)  # fitted into 20x20 as MNIST did
        assert all(abs(c - 14) <= 1.0 for c in centre_of_mass(image))  # centred by mass
    plain_width = np.ptp(ink_box(one)[2:])
    assert np.ptp(ink_box(flagged)[2:]) > plain_width  # the flag reaches out to the left
    assert np.ptp(ink_box(based)[2:]) > plain_width
    bottom_rows = based.reshape(28, 28)[ink_box(based)[1] - 1 :]
    assert (bottom_rows > 80).sum() > (one.reshape(28, 28)[ink_box(one)[1] - 1 :] > 80).sum()  # a foot


def test_crossbar_crosses_the_stem_of_a_seven():
    seven = stroke_digit("7")
    crossed = variants.cross_seven(seven, np.random.default_rng(1))
    assert crossed is not None and crossed.dtype == np.uint8

    def widest_lower_row(image):  # below the top bar: only the stem, unless a crossbar is there
        top, bottom, _, _ = ink_box(image)
        return (image.reshape(28, 28)[top + 6 : bottom - 1] > 80).sum(axis=1).max()

    plain = mnist_uint8(variants._canvas(seven))
    assert widest_lower_row(crossed) >= widest_lower_row(plain) + 4


def test_variants_are_seeded_and_keep_their_labels():
    images, labels = synthetic_digits(200, seed=3)
    train = Split(images, labels)
    first = variants.handwriting_variants(train, np.random.default_rng(5))
    again = variants.handwriting_variants(train, np.random.default_rng(5))
    np.testing.assert_array_equal(first.images, again.images)
    assert set(first.labels.tolist()) <= {1, 7} and (first.labels == 1).sum() == int(0.35 * (labels == 1).sum())
    assert first.images.shape == (len(first), 784) and first.images.dtype == np.uint8


@pytest.mark.parametrize("kind", negatives.KINDS)
def test_each_kind_of_negative_is_drawn_fitted_and_centred(kind):
    images, labels = synthetic_digits(20)
    drawn = negatives.not_digits(len(negatives.KINDS) * 3, Split(images, labels), np.random.default_rng(2))
    picked = drawn.images[negatives.KINDS.index(kind) :: len(negatives.KINDS)]
    for image in picked:
        assert image.max() == 255, "drawn"
        rows, columns = np.nonzero(image.reshape(28, 28))
        assert max(np.ptp(rows), np.ptp(columns)) + 1 in (20, 21), "fitted into the 20x20 box"
        assert all(abs(c - 14) <= 1.5 for c in centre_of_mass(image)), "centred by mass"
    assert (drawn.labels == negatives.NOT_A_DIGIT).all()


def test_negatives_are_seeded():
    images, labels = synthetic_digits(20)
    train = Split(images, labels)
    first = negatives.not_digits(18, train, np.random.default_rng(4)).images
    np.testing.assert_array_equal(first, negatives.not_digits(18, train, np.random.default_rng(4)).images)
    assert not np.array_equal(first, negatives.not_digits(18, train, np.random.default_rng(5)).images)
