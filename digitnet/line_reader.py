"""Read a run of touching digits at once: the digit network slid along the line, with a CTC output.

The digit classifier reads one digit at a time, so digits that touch must first be cut apart, and when they
interlock no cut gives two clean digits ("18" reads as one sure 8). This reader looks at the whole run
instead, as a line of text is read: the run is scaled to MNIST's 20-pixel digit height and every 4 columns
become a frame. Each frame gets what the digit network's layers make of the 28x28 square centred on it (its
convolutions run along the line, its hidden layer slides over their feature map), and a small layer over
neighbouring frames says which digit (or none, CTC's "blank") the frame is looking at. Collapsing repeats and
dropping blanks spells the digits left to right.

It starts from the run's own digit network (`digit_network_weights`; when that network has the default
shape), so it begins with what that network learnt about digits, and then learns, all its layers, from lines
composed of MNIST's own training digits, mostly touching, and from lines holding one shape that is not a digit,
which spell nothing, so a scribble is not spelled as digits (`digitnet.line_batches`). Nothing else trains it.
Its weights are saved beside the run's checkpoint (`WEIGHTS_NAME`) and exported into the version folder's
``assets.extra`` (which serving ignores), so the SavedModel stays a one-digit classifier.
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from digitnet import negatives
from digitnet._tf import session_config, tf, tf1
from digitnet.config import NetworkSpec
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write
from digitnet.line_batches import BLANK, FRAME_WIDTH, LINE_HEIGHT, SHAPE_POOL, digit_crops, prefetched, training_batch

CLASSES = 11
# Adam's rate. On two development draws 2e-3 read 222 of their 600 touching numbers right instead of 208 at 1e-3
# (92 wrong instead of 97); 3e-3, with or without a cosine decay, read about as 1e-3 did. Training longer reads
# far more (4,000 batches at 1e-3 instead of 1,300: 273 right, 85 wrong), but `make run` has no room for it.
LEARNING_RATE = 2e-3
# Lines read together are padded with blank columns to a multiple of SHAPE_FRAMES frames (32 px): oneDNN prepares
# the reader's convolutions once per input shape, 1.5-5 ms more than the run itself the first time, and lines of
# every width otherwise each come in a shape of their own. Reading the 6-digit numbers of development draw 5 first
# took 28.6 ms instead of 30.0 (median of 3 runs); of the 6,060 images of draws 5 and 13 one refused number was
# refused for another reason, every other answer the same.
SHAPE_FRAMES = 8
WEIGHTS_NAME = "line_reader.npz"
EXPORT_FOLDER = "assets.extra"  # TensorFlow Serving's place for files it does not load


# ------------------------------------------------------------------------------------------------- graph

# (name, shape) of every weight, in the order they are made; biases are named "<layer>/biases". The first four
# are the default digit network's layers (`digitnet.graph.cnn_inference`: two 5x5 convolution blocks, a hidden
# layer of 128 over the 7x7x32 feature map, 11 outputs), which the reader starts from (`digit_network_weights`).
DIGIT_CLASSES = negatives.NOT_A_DIGIT + 1  # the digit network's outputs: ten digits and "not a digit"
WINDOW_UNITS = 128
CONTEXT_UNITS = 256
LAYERS = (("conv1", (5, 5, 1, 16)), ("conv2", (5, 5, 16, 32)), ("window", (7, 7, 32, WINDOW_UNITS)),
          ("digit_logits", (WINDOW_UNITS, DIGIT_CLASSES)),
          ("context", (3, WINDOW_UNITS + DIGIT_CLASSES, CONTEXT_UNITS)), ("frame_logits", (CONTEXT_UNITS, CLASSES)))
# the digit network's variable scope for each layer it shares with the reader
DIGIT_NETWORK_LAYERS = {"conv1": "conv1", "conv2": "conv2", "window": "hidden1", "digit_logits": "softmax_linear"}


def digit_network_weights(checkpoint_prefix: str | Path) -> dict[str, np.ndarray] | None:
    """The reader's first four layers taken from a digit network's checkpoint, when it has their shapes.

    The hidden layer's weights (float32 [7 * 7 * 32, 128], over the flattened feature map) become a 7x7
    convolution (float32 [7, 7, 32, 128]): the same layer, slid along the line. Returns None when the
    checkpoint is not the default network's shape (another architecture), and the reader starts afresh.
    """
    try:
        saved = tf.train.load_checkpoint(str(checkpoint_prefix))
        shapes = saved.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError):
        return None
    if any(name.startswith("hidden2/") for name in shapes):
        return None  # a second hidden layer: the digit logits are not over the first one
    weights = {}
    for name, shape in LAYERS:
        scope = DIGIT_NETWORK_LAYERS.get(name)
        if scope is None:
            continue
        stored_shape = [int(np.prod(shape[:-1])), shape[-1]] if name == "window" else list(shape)
        for part, stored, wanted in (("weights", stored_shape, shape), ("biases", [shape[-1]], shape[-1:])):
            if shapes.get(f"{scope}/{part}") != stored:
                return None
            weights[f"{name}/{part}"] = saved.get_tensor(f"{scope}/{part}").reshape(wanted)
    return weights


def _parameters(weights: dict[str, np.ndarray] | None, seed: int | None) -> dict:
    """Variables for every layer, holding `weights` where it has the layer (a saved reader's, or the digit
    network's first layers), else He-initialised (seeded)."""
    weights = weights or {}
    made = {}
    for index, (name, shape) in enumerate(LAYERS):
        with tf1.variable_scope(name):
            fan_in = int(np.prod(shape[:-1]))
            if f"{name}/weights" in weights:
                initial, bias = weights[f"{name}/weights"], weights[f"{name}/biases"]
            else:
                initial = tf1.truncated_normal(shape, stddev=np.sqrt(2.0 / fan_in),
                                               seed=None if seed is None else seed + index)
                bias = tf.zeros([shape[-1]])
            made[name] = (tf1.Variable(initial, name="weights"), tf1.Variable(bias, name="biases"))
    return made


def line_inference(lines, parameters: dict):
    """float32 [batch, 28, width, 1] lines (width a multiple of 4) -> (logits float32 [batch, width / 4, 11],
    the digit network's probabilities for the square centred on each frame, float32 [batch, width / 4, 11]).

    The digit network's two convolution blocks run along the whole line; its hidden layer, a 7x7 window of
    their feature map, is slid along it, so each frame (4 columns) sees the 28x28 square centred on it as the
    digit network would see a digit, and also gets that network's 11 probabilities. A convolution over 3
    neighbouring frames then says which digit, or none, each frame is looking at.
    """
    feature_map = lines
    for name in ("conv1", "conv2"):
        weights, biases = parameters[name]
        feature_map = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(feature_map, weights, 1, "SAME"), biases))
        feature_map = tf.nn.max_pool2d(feature_map, 2, 2, "SAME")
    # [batch, 7, frames, 32] -> pad 3 frames each side so the 7-wide window is centred on each frame
    feature_map = tf.pad(feature_map, [[0, 0], [0, 0], [3, 3], [0, 0]])
    weights, biases = parameters["window"]
    window = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(feature_map, weights, 1, "VALID"), biases))[:, 0]
    weights, biases = parameters["digit_logits"]
    digit_probabilities = tf.nn.softmax(tf.einsum("bfc,cd->bfd", window, weights) + biases)
    frames = tf.concat([window, digit_probabilities], axis=-1)  # [batch, frames, 128 + 11]
    weights, biases = parameters["context"]
    frames = tf.nn.relu(tf.nn.bias_add(tf.nn.conv1d(frames, weights, 1, "SAME"), biases))
    weights, biases = parameters["frame_logits"]
    return tf.einsum("bfc,cd->bfd", frames, weights) + biases, digit_probabilities


@dataclass
class ReaderGraph:
    """The tensors of a line reader's graph (training tensors are None in a loaded reader)."""

    graph: object
    lines: object  # float32 [batch, 28, width, 1] placeholder
    probabilities: object  # float32 [batch, frames, 11]
    window_digits: object  # float32 [batch, frames, 11], the digit network's layers on the square at each frame
    parameters: dict
    frames: object = None
    digits: object = None
    digit_counts: object = None
    loss: object = None
    train_op: object = None


def build_reader_graph(weights: dict[str, np.ndarray] | None = None, seed: int | None = None,
                       learning_rate: float = LEARNING_RATE, training: bool = False) -> ReaderGraph:
    """A fresh graph with the reader holding `weights` where given (see `_parameters`), with the loss and
    training op when `training`."""
    graph = tf.Graph()
    with graph.as_default():
        if seed is not None:
            tf1.set_random_seed(seed)
        lines = tf1.placeholder(tf.float32, [None, LINE_HEIGHT, None, 1], name="lines")
        parameters = _parameters(weights, seed)
        logits, window_digits = line_inference(lines, parameters)
        reader = ReaderGraph(graph, lines, tf.nn.softmax(logits), window_digits, parameters)
        if training:
            reader.frames = tf1.placeholder(tf.int32, [None], name="frames")
            reader.digits = tf1.placeholder(tf.int32, [None, None], name="digits")
            reader.digit_counts = tf1.placeholder(tf.int32, [None], name="digit_counts")
            reader.loss = tf.reduce_mean(tf.nn.ctc_loss(reader.digits, logits, reader.digit_counts, reader.frames,
                                                        logits_time_major=False, blank_index=BLANK))
            reader.train_op = tf1.train.AdamOptimizer(learning_rate).minimize(reader.loss)
    return reader


def train_line_reader(images: np.ndarray, labels: np.ndarray, steps: int, seed: int = 0,
                      on_step=None, start: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Train a reader for `steps` batches of lines composed from MNIST training digits.

    Args:
        images: uint8 [n, 784] training digits; labels: int [n].
        on_step: called with each step's loss (e.g. a progress bar's update).
        start: weights to start from (`digit_network_weights`); the other layers start afresh.
    Returns:
        The weights, name -> float32 array (see `save_weights`).
    """
    crops, rng = digit_crops(images), np.random.default_rng(seed)
    shapes = digit_crops(negatives.shapes(SHAPE_POOL, rng))
    reader = build_reader_graph(start, seed=seed, training=True)
    batches = prefetched(lambda: training_batch(crops, labels, rng, shapes), steps)
    # closing(): an interrupted run (Ctrl-C in a notebook keeps the traceback) stops the batch thread at once
    with tf1.Session(graph=reader.graph, config=session_config()) as session, contextlib.closing(batches):
        session.run(tf1.variables_initializer(reader.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        for batch in batches:
            _, loss = session.run([reader.train_op, reader.loss], {
                reader.lines: batch["lines"], reader.frames: batch["frames"],
                reader.digits: batch["digits"], reader.digit_counts: batch["digit_counts"]})
            if on_step is not None:
                on_step(float(loss))
        return _weights_of(session, reader)


def train_for_run(images: np.ndarray, labels: np.ndarray, steps: int, seed: int, checkpoint_dir: str | Path,
                  progress: bool = True) -> Path | None:
    """Train the reader on a run's digit rows (labels 0-9; the 'not a digit' rows are left out), starting from
    the run's digit network when it has the default shape, and save it beside the run's checkpoint, where the
    export finds it. Returns the weights' path (None for 0 steps)."""
    if steps == 0:
        return None
    digits = labels < 10
    with tqdm(total=steps, unit="batch", desc="line reader", disable=not progress, leave=False) as bar:
        def advance(loss: float) -> None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

        start = digit_network_weights(Path(checkpoint_dir) / NetworkSpec.CHECKPOINT_PREFIX)
        weights = train_line_reader(images[digits], labels[digits], steps, seed, advance, start)
    return save_weights(weights, checkpoint_dir)


def _weights_of(session, reader: ReaderGraph) -> dict[str, np.ndarray]:
    values = session.run(reader.parameters)
    return {f"{name}/{part}": value for name, pair in values.items()
            for part, value in zip(("weights", "biases"), pair, strict=True)}


def save_weights(weights: dict[str, np.ndarray], folder: str | Path) -> Path:
    """Write the weights as ``folder/line_reader.npz`` (atomically) and return its path."""
    return atomic_write(Path(folder) / WEIGHTS_NAME, lambda file: np.savez(file, **weights))


# ------------------------------------------------------------------------------------------------ reading

@dataclass
class LineDigit:
    """One digit the reader spelled: its class probabilities (float32 [10], blank left out and the rest
    renormalised) at its surest frame, and the columns of the line its frames cover [start, end)."""

    digit: int
    confidence: float
    probabilities: np.ndarray
    columns: tuple[int, int]


def spelling(digits: list[LineDigit]) -> str:
    """The digits spelled, as text ("2026")."""
    return "".join(str(item.digit) for item in digits)


def spell(probabilities: np.ndarray) -> list[LineDigit]:
    """Greedy CTC decoding of one line's frames (float32 [frames, 11]): collapse repeats, drop blanks."""
    best = probabilities.argmax(axis=1)
    spelled: list[LineDigit] = []
    previous = BLANK
    for frame, winner in enumerate(best):
        if winner != BLANK:
            digits = probabilities[frame, 1:] / max(float(probabilities[frame, 1:].sum()), 1e-12)
            if winner == previous:
                last = spelled[-1]
                last.columns = (last.columns[0], (frame + 1) * FRAME_WIDTH)
                if probabilities[frame, winner] > last.confidence:
                    last.confidence, last.probabilities = float(probabilities[frame, winner]), digits
            else:
                spelled.append(LineDigit(int(winner) - 1, float(probabilities[frame, winner]), digits,
                                         (frame * FRAME_WIDTH, (frame + 1) * FRAME_WIDTH)))
        previous = winner
    return spelled


class LineReader:
    """A trained reader in its own graph and session; `read` spells one line image."""

    def __init__(self, weights_path: str | Path, threads: int = 0) -> None:
        try:
            with np.load(weights_path) as saved:
                weights = {name: saved[name] for name in saved.files}
            for name, shape in LAYERS:
                for part, part_shape in (("weights", shape), ("biases", shape[-1:])):
                    if f"{name}/{part}" not in weights:
                        raise ValueError(f"no {name}/{part}")
                    if weights[f"{name}/{part}"].shape != part_shape:  # e.g. a reader from an older digitnet
                        raise ValueError(f"{name}/{part} is {list(weights[f'{name}/{part}'].shape)}, this "
                                         f"digitnet's reader has {list(part_shape)}: train the model again")
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DigitnetError(f"{weights_path}: cannot load the touching-digit reader ({error})") from None
        self.path = Path(weights_path)
        self._reader = build_reader_graph(weights)
        self._session = tf1.Session(graph=self._reader.graph, config=session_config(threads))
        with self._reader.graph.as_default():
            self._session.run(tf1.global_variables_initializer())

    def read(self, line: np.ndarray) -> list[LineDigit]:
        """line: float32 [28, w] in [0, 1] (see `digitnet.images.line_pixels`) -> its digits, left to right."""
        return self.read_lines([line])[0]

    def read_lines(self, lines: list[np.ndarray]) -> list[list[LineDigit]]:
        """Several lines (float32 [28, w_i] in [0, 1]) read in one batch, padded to a multiple of SHAPE_FRAMES
        frames -> each one's digits, left to right."""
        frames = [-(-line.shape[1] // FRAME_WIDTH) for line in lines]
        width = -(-max(frames) // SHAPE_FRAMES) * SHAPE_FRAMES * FRAME_WIDTH
        padded = np.zeros((len(lines), LINE_HEIGHT, width, 1), np.float32)
        for row, line in enumerate(lines):
            padded[row, :, : line.shape[1], 0] = line
        probabilities = self._session.run(self._reader.probabilities, {self._reader.lines: padded})
        return [spell(row[:count]) for row, count in zip(probabilities, frames, strict=True)]

    def close(self) -> None:
        self._session.close()
