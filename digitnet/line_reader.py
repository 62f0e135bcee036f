"""Read a run of touching digits at once: a small convolutional network with a CTC output.

The digit classifier reads one digit at a time, so digits that touch must first be cut apart, and when they
interlock no cut gives two clean digits ("18" reads as one sure 8). This reader looks at the whole run
instead, as a line of text is read: the run is scaled to MNIST's 20-pixel digit height, convolutions turn
every 4 columns into a frame, and each frame says which digit (or none, CTC's "blank") it is looking at.
Collapsing repeats and dropping blanks spells the digits left to right.

It learns from lines composed of MNIST's own training digits (`compose_line`): 1 to `MAX_TRAINING_DIGITS`
digits, mostly overlapping their neighbours, sometimes apart, each a little resized and shifted up or down;
and from lines holding one shape the training code draws that is not a digit (`shape_line`,
`digitnet.negatives.shapes`), which spell nothing, so a scribble is not spelled as digits. Nothing else
trains it. Its weights are saved beside the run's checkpoint (`WEIGHTS_NAME`) and exported
into the version folder's ``assets.extra`` (which serving ignores), so the SavedModel stays a one-digit
classifier.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from digitnet import negatives
from digitnet._tf import session_config, tf, tf1
from digitnet.errors import DigitnetError
from digitnet.files import atomic_write

LINE_HEIGHT = 28  # rows of a line image, as MNIST's canvas
DIGIT_HEIGHT = 20  # a digit's height in it, as MNIST's 20x20 box
MARGIN = 4  # blank rows above and below, blank columns before and after
FRAME_WIDTH = 4  # columns per output frame (two 2x2 poolings)
BLANK = 0  # CTC's "no digit here" class; digit d is class d + 1
CLASSES = 11
MAX_TRAINING_DIGITS = 4  # longer runs are read as well: the network is convolutional along the line
SHAPE_POOL = 2000  # shapes that are not digits (`digitnet.negatives`) drawn once for the blank lines
WEIGHTS_NAME = "line_reader.npz"
EXPORT_FOLDER = "assets.extra"  # TensorFlow Serving's place for files it does not load


# ----------------------------------------------------------------------------------------------- synthesis

def digit_crops(images: np.ndarray) -> list[np.ndarray]:
    """uint8 [n, 784] MNIST rows -> each digit cropped to its ink, float32 [h, w] in [0, 1]."""
    crops = []
    for image in images.reshape(-1, 28, 28):
        rows, columns = np.flatnonzero(image.max(axis=1) > 30), np.flatnonzero(image.max(axis=0) > 30)
        if len(rows) == 0:
            rows = columns = np.arange(28)
        crops.append(image[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1].astype(np.float32) / 255.0)
    return crops


def _resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    resized = Image.fromarray(image, mode="F").resize((max(1, width), max(1, height)), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)


def compose_line(crops: list[np.ndarray], labels: np.ndarray, rng: np.random.Generator,
                 count: int, touching: bool) -> tuple[np.ndarray, np.ndarray]:
    """`count` random MNIST digits side by side on one line.

    Each digit is 80-100% of the digit height (a flat one keeps MNIST's 20-pixel width), 85-115% of its own
    width, and sits on the baseline or centred on the line, a pixel or two off. Touching digits overlap
    their left neighbour by up to 6 pixels (a third of a digit) or just meet; others stand 1-7 pixels apart.

    Returns:
        (line float32 [LINE_HEIGHT, w] in [0, 1], its digits int64 [count]).
    """
    chosen = rng.integers(len(crops), size=count)
    line = np.zeros((LINE_HEIGHT, MARGIN + count * 40 + 2 * MARGIN), np.float32)
    right = MARGIN
    for position, index in enumerate(chosen):
        crop = crops[index]
        height = round(DIGIT_HEIGHT * rng.uniform(0.8, 1.0))
        if crop.shape[0] < 0.6 * crop.shape[1]:
            height = max(4, round(crop.shape[0] * DIGIT_HEIGHT / 20))
        width = max(2, round(crop.shape[1] * height / crop.shape[0] * rng.uniform(0.85, 1.15)))
        digit = _resized(crop, height, width)
        on_baseline = MARGIN + DIGIT_HEIGHT - height + int(rng.integers(-2, 3))
        centred = MARGIN + (DIGIT_HEIGHT - height) // 2 + int(rng.integers(-1, 2))
        top = int(np.clip(on_baseline if rng.random() < 0.5 else centred, 0, LINE_HEIGHT - height))
        gap = int(rng.integers(-6, 2)) if touching else int(rng.integers(1, 8))
        left = right + gap if position else right
        line[top : top + height, left : left + width] = np.maximum(line[top : top + height, left : left + width], digit)
        right = left + width
    return line[:, : right + MARGIN + int(rng.integers(0, 3))], labels[chosen]


def shape_line(shape: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A line holding one shape that is not a digit (a crop, see `digit_crops`) and no digits."""
    height = round(DIGIT_HEIGHT * rng.uniform(0.8, 1.0))
    width = max(2, round(shape.shape[1] * height / shape.shape[0] * rng.uniform(0.85, 1.15)))
    line = np.zeros((LINE_HEIGHT, width + 2 * MARGIN), np.float32)
    top = MARGIN + (DIGIT_HEIGHT - height) // 2
    line[top : top + height, MARGIN : MARGIN + width] = _resized(shape, height, width)
    return line, np.zeros(0, np.int64)


def training_batch(crops: list[np.ndarray], labels: np.ndarray, rng: np.random.Generator,
                   shapes: list[np.ndarray] = (), size: int = 64, touching_share: float = 0.8,
                   shape_share: float = 0.1) -> dict[str, np.ndarray]:
    """A batch of composed lines, padded to one width (a multiple of FRAME_WIDTH); `shape_share` of them
    (when `shapes`, crops of things that are not digits, are given) hold one shape and nothing to spell.

    Returns a dict: lines float32 [size, 28, w, 1]; frames int32 [size] (each line's own frame count);
    digits int32 [size, longest] (CTC classes, padded with BLANK); digit_counts int32 [size].
    """
    made = [shape_line(shapes[int(rng.integers(len(shapes)))], rng) if len(shapes) and rng.random() < shape_share
            else compose_line(crops, labels, rng, int(rng.integers(1, MAX_TRAINING_DIGITS + 1)),
                              bool(rng.random() < touching_share)) for _ in range(size)]
    width = -(-max(line.shape[1] for line, _ in made) // FRAME_WIDTH) * FRAME_WIDTH
    lines = np.zeros((size, LINE_HEIGHT, width, 1), np.float32)
    digits = np.full((size, MAX_TRAINING_DIGITS), BLANK, np.int32)
    for row, (line, line_digits) in enumerate(made):
        lines[row, :, : line.shape[1], 0] = line
        digits[row, : len(line_digits)] = line_digits + 1
    return {"lines": lines, "frames": np.array([-(-line.shape[1] // FRAME_WIDTH) for line, _ in made], np.int32),
            "digits": digits, "digit_counts": np.array([len(d) for _, d in made], np.int32)}


# ------------------------------------------------------------------------------------------------- graph

# (name, shape) of every weight, in the order they are made; biases are named "<layer>/biases".
CHANNELS = (32, 64, 96)
COLUMN_UNITS = 256
LAYERS = (("conv1", (3, 3, 1, CHANNELS[0])), ("conv2", (3, 3, CHANNELS[0], CHANNELS[1])),
          ("conv3", (3, 3, CHANNELS[1], CHANNELS[2])), ("column", (7 * CHANNELS[2], COLUMN_UNITS)),
          ("context", (3, COLUMN_UNITS, COLUMN_UNITS)), ("frame_logits", (COLUMN_UNITS, CLASSES)))


def _parameters(weights: dict[str, np.ndarray] | None, seed: int | None) -> dict:
    """Variables for every layer: He-initialised (seeded), or holding `weights` (a saved reader's)."""
    made = {}
    for index, (name, shape) in enumerate(LAYERS):
        with tf1.variable_scope(name):
            fan_in = int(np.prod(shape[:-1]))
            if weights is None:
                initial = tf1.truncated_normal(shape, stddev=np.sqrt(2.0 / fan_in),
                                               seed=None if seed is None else seed + index)
                bias = tf.zeros([shape[-1]])
            else:
                initial, bias = weights[f"{name}/weights"], weights[f"{name}/biases"]
            made[name] = (tf1.Variable(initial, name="weights"), tf1.Variable(bias, name="biases"))
    return made


def line_inference(lines, parameters: dict):
    """float32 [batch, 28, width, 1] lines (width a multiple of 4) -> logits float32 [batch, width / 4, 11]."""
    feature_map = lines
    for name in ("conv1", "conv2", "conv3"):
        weights, biases = parameters[name]
        feature_map = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(feature_map, weights, 1, "SAME"), biases))
        if name != "conv3":
            feature_map = tf.nn.max_pool2d(feature_map, 2, 2, "SAME")
    # [batch, 7, frames, channels] -> one feature vector per frame (a 4-column strip of the whole height)
    batch, frames = tf.shape(feature_map)[0], tf.shape(feature_map)[2]
    channels = int(parameters["conv3"][0].shape[-1])
    columns = tf.reshape(tf.transpose(feature_map, [0, 2, 1, 3]), [batch, frames, 7 * channels])
    weights, biases = parameters["column"]
    columns = tf.nn.relu(tf.einsum("bfc,cd->bfd", columns, weights) + biases)
    weights, biases = parameters["context"]  # each frame also sees its neighbours
    columns = tf.nn.relu(tf.nn.bias_add(tf.nn.conv1d(columns, weights, 1, "SAME"), biases))
    weights, biases = parameters["frame_logits"]
    return tf.einsum("bfc,cd->bfd", columns, weights) + biases


@dataclass
class ReaderGraph:
    """The tensors of a line reader's graph (training tensors are None in a loaded reader)."""

    graph: object
    lines: object  # float32 [batch, 28, width, 1] placeholder
    probabilities: object  # float32 [batch, frames, 11]
    parameters: dict
    frames: object = None
    digits: object = None
    digit_counts: object = None
    loss: object = None
    train_op: object = None


def build_reader_graph(weights: dict[str, np.ndarray] | None = None, seed: int | None = None,
                       learning_rate: float = 1e-3) -> ReaderGraph:
    """A fresh graph with the reader: for training (no `weights`), or holding a saved reader's `weights`."""
    graph = tf.Graph()
    with graph.as_default():
        if seed is not None:
            tf1.set_random_seed(seed)
        lines = tf1.placeholder(tf.float32, [None, LINE_HEIGHT, None, 1], name="lines")
        parameters = _parameters(weights, seed)
        logits = line_inference(lines, parameters)
        reader = ReaderGraph(graph, lines, tf.nn.softmax(logits), parameters)
        if weights is None:
            reader.frames = tf1.placeholder(tf.int32, [None], name="frames")
            reader.digits = tf1.placeholder(tf.int32, [None, None], name="digits")
            reader.digit_counts = tf1.placeholder(tf.int32, [None], name="digit_counts")
            reader.loss = tf.reduce_mean(tf.nn.ctc_loss(reader.digits, logits, reader.digit_counts, reader.frames,
                                                        logits_time_major=False, blank_index=BLANK))
            reader.train_op = tf1.train.AdamOptimizer(learning_rate).minimize(reader.loss)
    return reader


def train_line_reader(images: np.ndarray, labels: np.ndarray, steps: int, seed: int = 0,
                      on_step=None) -> dict[str, np.ndarray]:
    """Train a reader for `steps` batches of lines composed from MNIST training digits.

    Args:
        images: uint8 [n, 784] training digits; labels: int [n].
        on_step: called with each step's loss (e.g. a progress bar's update).
    Returns:
        The weights, name -> float32 array (see `save_weights`).
    """
    crops, rng = digit_crops(images), np.random.default_rng(seed)
    shapes = digit_crops(negatives.shapes(SHAPE_POOL, rng))
    reader = build_reader_graph(seed=seed)
    with tf1.Session(graph=reader.graph, config=session_config()) as session:
        session.run(tf1.variables_initializer(reader.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        for _ in range(steps):
            batch = training_batch(crops, labels, rng, shapes)
            _, loss = session.run([reader.train_op, reader.loss], {
                reader.lines: batch["lines"], reader.frames: batch["frames"],
                reader.digits: batch["digits"], reader.digit_counts: batch["digit_counts"]})
            if on_step is not None:
                on_step(float(loss))
        return _weights_of(session, reader)


def train_for_run(images: np.ndarray, labels: np.ndarray, steps: int, seed: int, checkpoint_dir: str | Path,
                  progress: bool = True) -> Path | None:
    """Train the reader on a run's digit rows (labels 0-9; the 'not a digit' rows are left out) and save it
    beside the run's checkpoint, where the export finds it. Returns the weights' path (None for 0 steps)."""
    if steps == 0:
        return None
    digits = labels < 10
    with tqdm(total=steps, unit="batch", desc="line reader", disable=not progress, leave=False) as bar:
        def advance(loss: float) -> None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

        weights = train_line_reader(images[digits], labels[digits], steps, seed, advance)
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
            missing = [f"{name}/{part}" for name, _ in LAYERS for part in ("weights", "biases")
                       if f"{name}/{part}" not in weights]
            if missing:
                raise ValueError(f"no {missing[0]}")
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DigitnetError(f"{weights_path}: cannot load the touching-digit reader ({error})") from None
        self.path = Path(weights_path)
        self._reader = build_reader_graph(weights)
        self._session = tf1.Session(graph=self._reader.graph, config=session_config(threads))
        with self._reader.graph.as_default():
            self._session.run(tf1.global_variables_initializer())

    def read(self, line: np.ndarray) -> list[LineDigit]:
        """line: float32 [28, w] in [0, 1] (see `digitnet.images.line_pixels`) -> its digits, left to right."""
        width = -(-line.shape[1] // FRAME_WIDTH) * FRAME_WIDTH
        padded = np.zeros((1, LINE_HEIGHT, width, 1), np.float32)
        padded[0, :, : line.shape[1], 0] = line
        return spell(self._session.run(self._reader.probabilities, {self._reader.lines: padded})[0])

    def close(self) -> None:
        self._session.close()
