"""The lines the touching-digit reader learns from: composed lines, batches, and batches made ahead."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from synthetic import synthetic_digits

from digitnet import line_batches
from digitnet.line_batches import BLANK, FRAME_WIDTH, LINE_HEIGHT, prefetched


@pytest.fixture(scope="module")
def crops():
    images, labels = synthetic_digits(200, seed=3)
    return line_batches.digit_crops(images), labels


def test_a_composed_line_holds_its_digits_touching_or_apart(crops):
    digit_crops, labels = crops
    widths = {}
    for touching in (True, False):
        rng = np.random.default_rng(0)  # the same digits both times
        line, digits = line_batches.compose_line(digit_crops, labels, rng, 4, touching)
        assert line.shape[0] == LINE_HEIGHT and line.dtype == np.float32 and 0 < line.max() <= 1
        assert len(digits) == 4 and set(digits) <= set(range(10))
        widths[touching] = line.shape[1]
    assert widths[True] < widths[False]  # overlapping neighbours take less room than gaps


def test_narrow_touching_digits_stay_on_the_line_and_each_shows_half_of_itself():
    # bars 2 pixels wide (a thin 1) overlapped by up to 6 pixels used to walk off the line's left end
    ones = [np.ones((20, 2), np.float32), np.ones((20, 3), np.float32)]
    rng = np.random.default_rng(0)
    for _ in range(200):
        line, digits = line_batches.compose_line(ones, np.array([1, 1]), rng, 6, touching=True)
        ink_columns = (line > 0).any(axis=0).sum()
        assert ink_columns >= 2 + 5 * 1, ink_columns  # each bar after the first adds a column or more


def test_a_batch_is_padded_to_whole_frames_and_shape_lines_spell_nothing(crops):
    digit_crops, labels = crops
    shapes = line_batches.digit_crops(np.full((3, 784), 200, np.uint8))
    batch = line_batches.training_batch(digit_crops, labels, np.random.default_rng(1), shapes, size=40,
                                       shape_share=0.5)
    assert batch["lines"].shape[:2] == (40, LINE_HEIGHT) and batch["lines"].shape[2] % FRAME_WIDTH == 0
    assert (batch["frames"] * FRAME_WIDTH >= batch["digit_counts"]).all()
    assert 0 < (batch["digit_counts"] == 0).sum() < 40  # some blank lines, some with digits
    for digits, count in zip(batch["digits"], batch["digit_counts"], strict=True):
        assert (digits[:count] > BLANK).all() and (digits[count:] == BLANK).all()


def test_batches_made_ahead_come_in_order_from_another_thread():
    made_in = []

    def make():
        made_in.append(threading.current_thread())
        return len(made_in)

    assert list(prefetched(make, 7)) == [1, 2, 3, 4, 5, 6, 7]
    assert len(made_in) == 7 and threading.main_thread() not in made_in
    assert list(prefetched(make, 0)) == []


def test_an_error_making_a_batch_is_raised_where_they_are_used():
    def make():
        raise ValueError("no digits to compose")

    with pytest.raises(ValueError, match="no digits to compose"):
        next(prefetched(make, 3))


def test_stopping_early_stops_the_thread_that_makes_them():
    made = []
    batches = prefetched(lambda: made.append(1) or len(made), 1000)
    assert next(batches) == 1
    batches.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "line batches"]
    assert len(made) <= 4  # the one used, and no more than the queue held and the thread was making
