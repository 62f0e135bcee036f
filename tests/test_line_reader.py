"""The touching-digit line reader: CTC spelling, training, saving and loading."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import synthetic_digits

from digitnet import graph as dg
from digitnet import line_reader
from digitnet._tf import tf, tf1
from digitnet.config import NetworkSpec
from digitnet.errors import DigitnetError
from digitnet.line_batches import FRAME_WIDTH, compose_line, digit_crops
from digitnet.line_reader import LineReader, spell


@pytest.fixture(scope="module")
def crops():
    images, labels = synthetic_digits(200, seed=3)
    return digit_crops(images), labels


def frames(*classes, sure=0.9):
    """float32 [len(classes), 11]: each frame `sure` of its class (0 = blank, d + 1 = digit d)."""
    probabilities = np.full((len(classes), 11), (1 - sure) / 10, np.float32)
    probabilities[np.arange(len(classes)), classes] = sure
    return probabilities


def test_spelling_collapses_repeats_and_drops_blanks():
    spelled = spell(frames(0, 2, 2, 0, 0, 8, 0, 2, 2, 0))  # "1", blank, "7", blank, "1" again
    assert [d.digit for d in spelled] == [1, 7, 1]
    assert [d.columns for d in spelled] == [(4, 12), (20, 24), (28, 36)]
    assert spelled[0].probabilities.shape == (10,) and abs(spelled[0].probabilities.sum() - 1) < 1e-6
    assert spell(frames(0, 0, 0)) == []


def test_a_double_digit_needs_a_blank_between_its_frames():
    assert [d.digit for d in spell(frames(1, 1, 0, 1))] == [0, 0]
    assert [d.digit for d in spell(frames(1, 1, 1))] == [0]


def test_training_lowers_the_loss_and_the_saved_reader_reads_lines(tmp_path, crops, monkeypatch):
    images, labels = synthetic_digits(300, seed=4)
    losses: list[float] = []
    weights = line_reader.train_line_reader(images, labels, 60, seed=1, on_step=losses.append)
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])
    path = line_reader.save_weights(weights, tmp_path)
    assert path.name == line_reader.WEIGHTS_NAME and not list(tmp_path.glob(".*"))  # written atomically
    reader = LineReader(path)
    try:
        line, _ = compose_line(*crops, np.random.default_rng(2), 3, True)
        spelled = reader.read(line)
        assert all(0 <= d.digit <= 9 and 0 < d.confidence <= 1 for d in spelled)
        assert all(a.columns[1] <= b.columns[0] for a, b in zip(spelled, spelled[1:], strict=False))  # left to right
        # lines of different widths read in one batch: each is spelled from its own frames, not the padding
        short = line[:, : line.shape[1] // 2]
        seen = []
        monkeypatch.setattr(line_reader, "spell", lambda frames: seen.append(frames.shape) or [])
        assert reader.read_lines([short, line]) == [[], []]
        assert seen == [(-(-short.shape[1] // FRAME_WIDTH), 11), (-(-line.shape[1] // FRAME_WIDTH), 11)]
        # lines of nearby widths reach the session in one shape: a multiple of SHAPE_FRAMES frames
        fed, run = [], reader._session.run
        monkeypatch.setattr(reader._session, "run", lambda fetches, feed: fed.append(
            next(iter(feed.values())).shape[2]) or run(fetches, feed))
        step = line_reader.SHAPE_FRAMES * FRAME_WIDTH
        for width in (step - 9, step, step + 1):
            reader.read_lines([np.zeros((28, width), np.float32)])
        assert fed == [step, step, 2 * step]
    finally:
        reader.close()


def test_a_damaged_weights_file_is_one_line_naming_it(tmp_path):
    damaged = tmp_path / line_reader.WEIGHTS_NAME
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DigitnetError) as error:
        LineReader(damaged)
    assert str(damaged) in str(error.value) and "\n" not in str(error.value)
    np.savez(tmp_path / "partial.npz", **{"conv1/weights": np.zeros((5, 5, 1, 16), np.float32)})
    with pytest.raises(DigitnetError, match="no conv1/biases"):
        LineReader(tmp_path / "partial.npz")


def _digit_network_checkpoint(folder, network):
    """A digit network of `network`'s shape with random weights, saved as a run saves its best checkpoint:
    returns (checkpoint prefix, its probabilities float32 [n, outputs] for `images` float32 [n, 784])."""
    images = np.random.default_rng(5).random((3, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        probabilities = tf.nn.softmax(dg.inference(tf.constant(images), network, seed=7))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(session, str(folder / "best"))
            return prefix, images, session.run(probabilities)


def test_the_reader_starts_from_the_digit_network_slid_along_the_line(tmp_path):
    network = NetworkSpec(architecture="cnn", hidden_units=(128,), conv_filters=(16, 32), kernel_size=5, outputs=11)
    prefix, images, expected = _digit_network_checkpoint(tmp_path, network)
    start = line_reader.digit_network_weights(prefix)
    assert start is not None and start["window/weights"].shape == (7, 7, 32, 128)
    reader = line_reader.build_reader_graph(start, seed=0)
    with tf1.Session(graph=reader.graph) as session:
        session.run(tf1.variables_initializer(reader.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        # a line exactly one digit wide: its middle frame's window is that 28x28 square, as the network saw it
        window_digits = session.run(reader.window_digits, {reader.lines: images.reshape(3, 28, 28, 1)})
    assert window_digits.shape == (3, 7, 11)
    np.testing.assert_allclose(window_digits[:, 3], expected, atol=1e-5)
    assert not np.allclose(window_digits[:, 0], expected, atol=1e-3)  # other frames see shifted squares


def test_a_digit_network_of_another_shape_is_not_a_start(tmp_path):
    for index, network in enumerate([
        NetworkSpec(architecture="mlp", hidden_units=(64,), outputs=11),
        NetworkSpec(architecture="cnn", hidden_units=(128,), conv_filters=(8, 16), kernel_size=5, outputs=11),
        NetworkSpec(architecture="cnn", hidden_units=(128, 64), conv_filters=(16, 32), kernel_size=5, outputs=11),
    ]):
        folder = tmp_path / str(index)
        folder.mkdir()
        prefix, _, _ = _digit_network_checkpoint(folder, network)
        assert line_reader.digit_network_weights(prefix) is None
    assert line_reader.digit_network_weights(tmp_path / "missing" / "best") is None


def test_a_reader_of_another_shape_is_refused_in_one_line(tmp_path):
    weights = line_reader.train_line_reader(*synthetic_digits(50, seed=6), 1, seed=0)
    weights["conv1/weights"] = np.zeros((3, 3, 1, 32), np.float32)  # as an older digitnet's reader
    path = line_reader.save_weights(weights, tmp_path)
    with pytest.raises(DigitnetError) as error:
        LineReader(path)
    assert str(path) in str(error.value) and "train the model again" in str(error.value)
    assert "\n" not in str(error.value)
