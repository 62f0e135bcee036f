"""Training-time distortions of MNIST digits, built inside the TensorFlow-1 graph.

Small random distortions of every batch (a digit off-centre, tilted, larger, slanted, with a thicker or
thinner pen, wobblier, broken, as in Simard et al. 2003) teach the network what does not change a digit.
Everything happens in the graph on the batch that training already gathers (its cost per epoch is in
benchmarks/results.md):

0. gaps: some images get one or two small breaks in their strokes (a lifted pen, a skipping pencil).
1. stroke: per image, blend towards a grey dilation (thicker pen, 3x3 max-pool) or trim the soft edges of
   the strokes (thinner pen).
2. one sampling grid per image that combines the affine part (rotation, scale, shear, shift) with an
   elastic displacement field (a coarse random grid upsampled to 28x28), so the image is resampled only
   once, with zeros outside the image. The resampling reads each point's bilinear interpolation from a
   table of the image at every half pixel, rounding the point to the nearest half pixel (at most a
   quarter pixel away): one plain gather per output pixel instead of four neighbours and their weights,
   which is cheaper and looks the same.

Labels pass through unchanged: no distortion changes the digit. Training batches only, never validation,
test or serving inputs. Every random op has an op seed derived from `seed`, so one seed (with the graph
seed) gives the same batches in a fresh graph, also under op determinism.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from digitnet._tf import tf, tf1
from digitnet.data import IMAGE_PIXELS, IMAGE_SIZE, PIXEL_MAX, scale_pixels
from digitnet.errors import DigitnetError

# Op seeds are `seed + SEED_OFFSET + k`: far from the small offsets graph.py adds to the same seed for its
# initialisers and dropout, so no augmentation op shares a random stream with a layer.
SEED_OFFSET = 7000
_AFFINE_SEED, _ELASTIC_SEED, _STROKE_SEED, _GAP_SEED, _GAP_PICK_SEED = 1, 2, 3, 4, 5
_ERASERS = 1024  # break patterns to choose from: one or two small dark discs each, drawn once

# Pixel centres lie at 0 .. 27, so the image rotates and scales about 13.5; MNIST puts the centre of mass
# at the middle of the 28x28 frame, so this keeps a distorted digit roughly centred.
_CENTRE = (IMAGE_SIZE - 1) / 2.0
# A ring of zeros around each image, so points off the image read zero.
_PAD = 1
# Side of the half-pixel table: the padded image's 30 pixels and the 29 midpoints between them.
_TABLE_SIZE = 2 * (IMAGE_SIZE + 2 * _PAD) - 1
# Thinning at full strength (stroke 1) drops all ink below this level: the anti-aliased edge of a stroke.
_THIN_THRESHOLD = 0.7


@dataclass(frozen=True)
class AugmentConfig:
    """How strongly to distort each training image; every magnitude 0 switches that distortion off.

    Each image gets its own random values, drawn uniformly from [-max, +max] unless said otherwise.
    The defaults are the "standard" preset.

    Attributes:
        max_shift_px: shift of the digit in pixels, horizontally and vertically (independently).
        max_rotation_deg: rotation about the image centre, in degrees.
        max_scale: relative size change: the digit is scaled by a factor in [1 - max_scale, 1 + max_scale].
        max_shear: horizontal shear factor (x += shear * y), a slant of atan(max_shear).
        elastic_alpha: largest displacement in pixels at the nodes of the coarse elastic grid; the field
            between nodes is smooth (bicubic upsampling), like Simard's Gaussian-smoothed random field.
        elastic_grid: nodes per side of the coarse elastic grid (4 gives wobbles about 7 px across).
        stroke: largest pen-width change; each image draws an amount in [-stroke, stroke]: a positive
            one blends that far towards a 3x3 grey dilation (1 = a pixel wider on each side), a negative
            one trims the soft edges of the strokes (ink below 0.7 * |amount|).
        gaps: the fraction of images whose strokes get one or two small breaks.
    """

    max_shift_px: float = 2.0
    max_rotation_deg: float = 10.0
    max_scale: float = 0.1
    max_shear: float = 0.12
    elastic_alpha: float = 1.25
    elastic_grid: int = 4
    stroke: float = 0.4
    gaps: float = 0.2

    def __post_init__(self) -> None:
        checks = [
            (self.max_shift_px >= 0, "max_shift_px must be 0 (off) or more"),
            (0 <= self.max_rotation_deg <= 180, "max_rotation_deg must be in [0, 180]"),
            (0 <= self.max_scale < 1, "max_scale must be in [0, 1)"),
            (0 <= self.max_shear <= 1, "max_shear must be in [0, 1]"),
            (self.elastic_alpha >= 0, "elastic_alpha must be 0 (off) or more"),
            (2 <= self.elastic_grid <= IMAGE_SIZE, f"elastic_grid must be in [2, {IMAGE_SIZE}]"),
            (0 <= self.stroke <= 1, "stroke must be in [0, 1]"),
            (0 <= self.gaps <= 1, "gaps must be in [0, 1]"),
        ]
        for ok, message in checks:
            if not ok:
                raise DigitnetError(f"invalid augmentation parameter: {message}")

    @property
    def affine(self) -> bool:
        """True when any of shift, rotation, scale or shear is on."""
        return any(v > 0 for v in (self.max_shift_px, self.max_rotation_deg, self.max_scale, self.max_shear))

    @property
    def elastic(self) -> bool:
        """True when the elastic displacement field is on."""
        return self.elastic_alpha > 0

    @property
    def enabled(self) -> bool:
        """False when no distortion is on (the "none" preset): then there is nothing to build."""
        return self.affine or self.elastic or self.stroke > 0 or self.gaps > 0

    @classmethod
    def from_name(cls, name: str) -> AugmentConfig:
        """The preset called `name` ("none", "light", "standard"); DigitnetError for any other name."""
        try:
            return PRESETS[name]
        except KeyError:
            known = ", ".join(repr(key) for key in PRESETS)
            raise DigitnetError(f"unknown augmentation preset {name!r}; choose one of {known}") from None

    def replace(self, **changes) -> AugmentConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


# "light" is the default's; "standard" leaves more room for bigger networks (the model table in
# benchmarks/results.md compares them).
PRESETS: dict[str, AugmentConfig] = {
    "none": AugmentConfig(
        max_shift_px=0.0, max_rotation_deg=0.0, max_scale=0.0, max_shear=0.0, elastic_alpha=0.0, stroke=0.0,
        gaps=0.0
    ),
    "light": AugmentConfig(
        max_shift_px=1.5, max_rotation_deg=8.0, max_scale=0.08, max_shear=0.1, elastic_alpha=1.0, stroke=0.3
    ),
    "standard": AugmentConfig(),
    # Other writers slant more than MNIST's and hold the pen differently: more shear, rotation and pen width.
    "handwriting": AugmentConfig(
        max_shift_px=1.5, max_rotation_deg=12.0, max_scale=0.12, max_shear=0.3, elastic_alpha=1.2, stroke=0.45
    ),
}


def augment_images(images, config: AugmentConfig, seed: int | None):
    """Add random distortions of a batch of flattened digits to the current graph.

    Every ``session.run`` draws new distortions; the same `seed` (and graph-level seed) repeats the same
    sequence in a fresh graph. Pass the batch's labels on unchanged: no distortion changes the digit.

    Args:
        images: float32 [batch, 784] pixels in [0, 1], row-major 28x28; batch may be unknown (None).
        config: magnitudes of the distortions; with nothing enabled the images come back unchanged.
        seed: base of the op-level seeds (None lets TensorFlow choose, which is not reproducible and is
            refused once op determinism is enabled).

    Returns:
        float32 [batch, 784] in [0, 1], with the static shape of `images`, named ``augment/augmented``.
    """
    with tf1.name_scope("augment"):
        images = tf.convert_to_tensor(images, dtype=tf.float32)
        if not config.enabled:
            return tf.identity(images, name="augmented")
        if config.gaps > 0:
            images = break_strokes(images, config.gaps, seed)
        planes = to_batch_last(images)
        if config.stroke > 0:
            planes = change_stroke(planes, config.stroke, _op_seed(seed, _STROKE_SEED))
        if config.affine or config.elastic:
            # Table coordinates of a source point p are 2 (p + pad); the extra 0.5 makes truncation round.
            points = sampling_grid(tf.shape(images)[0], config, seed, scale=2.0, offset=2.0 * _PAD + 0.5)
            flat = sample_nearest(half_pixel_table(planes), points)
        else:
            flat = tf.transpose(tf.reshape(planes, [IMAGE_PIXELS, -1]))
        # No clipping needed: every step only moves, maxes, blends or thresholds values in [0, 1].
        augmented = tf.identity(flat, name="augmented")
        augmented.set_shape(images.shape)
        return augmented


def _op_seed(seed: int | None, offset: int) -> int | None:
    """A distinct, reproducible op-level seed per random op (None keeps TensorFlow's own choice)."""
    return None if seed is None else seed + SEED_OFFSET + offset


def _symmetric_uniform(shape, seed: int | None):
    """float32 random values in [-1, 1) of `shape` (a list that may hold a batch-size tensor)."""
    return tf1.random_uniform(shape, minval=-1.0, maxval=1.0, dtype=tf.float32, seed=seed)


def _eraser_bank() -> np.ndarray:
    """float32 [_ERASERS, 784]: multipliers with one or two dark discs (radius 0.9-1.6 px) in the middle
    20x20; a disc on a stroke breaks it, one beside it does nothing."""
    rng = np.random.default_rng(0)  # a fixed bank: which pattern an image gets is what is random
    rows, columns = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32)
    bank = np.ones((_ERASERS, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    for eraser in bank:
        for _ in range(rng.integers(1, 3)):
            y, x = rng.uniform(5, 23, 2)
            distance = np.hypot(rows - y, columns - x)
            eraser *= np.clip(distance - rng.uniform(0.9, 1.6), 0.0, 1.0)  # soft-edged dark disc
    return bank.reshape(_ERASERS, IMAGE_PIXELS)


def break_strokes(images, probability: float, seed: int | None):
    """A random `probability` share of the images, float32 [batch, 784] in [0, 1], gets a break or two."""
    with tf1.name_scope("gaps"):
        batch = tf.shape(images)[:1]
        pick = tf1.random_uniform(batch, 0, _ERASERS, dtype=tf.int32, seed=_op_seed(seed, _GAP_PICK_SEED))
        chosen = tf1.random_uniform(batch, seed=_op_seed(seed, _GAP_SEED)) < probability
        erasers = tf.gather(tf.constant(_eraser_bank()), pick)
        return images * tf.where(chosen[:, tf.newaxis], erasers, tf.ones_like(erasers))


def to_batch_last(images):
    """float32 [batch, 784] -> [28, 28, batch]: the layout the pixel-neighbourhood steps work in.

    With the batch last, max-pooling and resizing see one image of `batch` channels, which their CPU
    kernels process several times faster than `batch` images of one channel each.
    """
    return tf.reshape(tf.transpose(images), [IMAGE_SIZE, IMAGE_SIZE, -1])


def change_stroke(planes, max_change: float, seed: int | None):
    """Make each image's pen randomly thicker or thinner, by its own amount in [-max_change, max_change].

    Thicker (amount > 0): blend towards a grey dilation (3x3 max-pool, stride 1), which widens every
    stroke by up to a pixel on each side. Thinner (amount < 0): cut the ink below a threshold of
    ``0.7 * |amount|`` and stretch the rest back to [0, 1]. A grey erosion (max-pool of the negated image)
    is not used for thinning because MNIST strokes are often only 2 pixels wide: a 3x3 erosion wipes them
    out and a partial one merely dims them, while the threshold trims the soft edge of a stroke and keeps
    its bright core. One formula covers both cases, since one of the two amounts is always zero.

    Args:
        planes: float32 [28, 28, batch] in [0, 1].
    Returns:
        float32 [28, 28, batch] in [0, 1].
    """
    with tf1.name_scope("stroke"):
        amount = max_change * _symmetric_uniform(tf.shape(planes)[2:], seed)
        dilated = tf.nn.max_pool2d(planes[tf.newaxis], ksize=3, strides=1, padding="SAME")[0]
        thickened = planes + tf.nn.relu(amount) * (dilated - planes)
        threshold = _THIN_THRESHOLD * tf.nn.relu(-amount)
        return tf.nn.relu(thickened - threshold) / (1.0 - threshold)


def _affine_coefficients(batch_size, config: AugmentConfig, seed: int | None):
    """Random per-image affine maps from each output pixel back to the source point it shows.

    The digit is sheared (x += k * y), rotated by theta and scaled by s = 1 + scale about the image
    centre c, then shifted. Sampling needs the inverse map, source = c + M (output - c) + u with
    M = shear(-k) rotation(-theta) / s, where the shift u of the source point is drawn directly (the digit
    then moves by about -u). One random op draws all five numbers of an image.

    Returns:
        float32 [2, batch, 3]: for x and then y, the coefficients of (dx, dy, 1), where dx, dy are the
        output pixel's offsets from the centre; the constant includes the centre and the shift.
    """
    with tf1.name_scope("affine"):
        limits = tf.constant(
            [math.radians(config.max_rotation_deg), config.max_scale, config.max_shear,
             config.max_shift_px, config.max_shift_px],
            dtype=tf.float32,
        )
        draws = _symmetric_uniform([batch_size, 5], seed) * limits
        theta, scale, shear, shift_x, shift_y = tf.unstack(draws, axis=1)
        cos, sin, inverse_scale = tf.cos(theta), tf.sin(theta), 1.0 / (1.0 + scale)
        x_row = [(cos + shear * sin) * inverse_scale, (sin - shear * cos) * inverse_scale, _CENTRE + shift_x]
        y_row = [-sin * inverse_scale, cos * inverse_scale, _CENTRE + shift_y]
        return tf.stack([tf.stack(x_row, axis=1), tf.stack(y_row, axis=1)])


def _identity_coefficients(batch_size):
    """float32 [2, batch, 3]: the affine coefficients of no change (source = output pixel)."""
    identity = tf.constant([[[1.0, 0.0, _CENTRE]], [[0.0, 1.0, _CENTRE]]])
    return tf.tile(identity, tf.stack([1, batch_size, 1]))


def _elastic_coefficients(batch_size, config: AugmentConfig, seed: int | None):
    """float32 [2, batch, grid * grid]: random x and y displacements in pixels at the coarse grid's nodes."""
    with tf1.name_scope("elastic"):
        nodes = config.elastic_grid * config.elastic_grid
        return config.elastic_alpha * _symmetric_uniform([2, batch_size, nodes], seed)


def _grid_basis(config: AugmentConfig):
    """Constant float32 [3 (+ grid * grid), 784]: what one unit of each coefficient adds to every pixel.

    Rows: the pixel's x offset from the centre, its y offset, 1, and, when elastic distortion is on, the
    bicubic upsampling of a unit displacement at each node of the coarse grid. Upsampling is linear, so a
    random coarse grid upsampled to 28x28 equals its node values times these rows, and the affine map and
    the elastic field together become one matrix product. Every input here is constant, so TensorFlow
    folds the whole basis into a constant before the first step.
    """
    rows, cols = np.meshgrid(np.arange(IMAGE_SIZE), np.arange(IMAGE_SIZE), indexing="ij")
    affine_rows = np.stack([cols.ravel() - _CENTRE, rows.ravel() - _CENTRE, np.ones(IMAGE_PIXELS)])
    basis = tf.constant(affine_rows, tf.float32)
    if config.elastic:
        grid = config.elastic_grid
        unit_grids = tf.reshape(tf.eye(grid * grid), [grid * grid, grid, grid, 1])
        upsampled = tf.image.resize(unit_grids, [IMAGE_SIZE, IMAGE_SIZE], method="bicubic")
        basis = tf.concat([basis, tf.reshape(upsampled, [grid * grid, IMAGE_PIXELS])], axis=0)
    return basis


def sampling_grid(batch_size, config: AugmentConfig, seed: int | None, scale: float = 1.0, offset: float = 0.0):
    """Where in the source image each output pixel reads from: the affine map plus the elastic field.

    Combining both into one grid means the image is resampled (and blurred) once, not twice, and the
    grid of the whole batch is a single small matrix product. `scale` and `offset` move the points into
    another frame (the half-pixel table's) inside that product, at no extra cost per pixel.

    Returns:
        float32 [2, batch, 784]: ``scale * source + offset`` for the source x (column) and y (row) in
        pixels of every output pixel; source points outside [0, 27] read as zero.
    """
    with tf1.name_scope("grid"):
        if config.affine:
            coefficients = _affine_coefficients(batch_size, config, _op_seed(seed, _AFFINE_SEED))
        else:
            coefficients = _identity_coefficients(batch_size)
        if config.elastic:
            elastic = _elastic_coefficients(batch_size, config, _op_seed(seed, _ELASTIC_SEED))
            coefficients = tf.concat([coefficients, elastic], axis=2)
        basis = _grid_basis(config)
        # Coefficient 2 multiplies the basis row of ones, so the offset goes there.
        constant_term = np.zeros(basis.shape[0], np.float32)
        constant_term[2] = offset
        coefficients = coefficients * scale + constant_term
        flat = tf.matmul(tf.reshape(coefficients, [-1, basis.shape[0]]), basis)
        return tf.reshape(flat, [2, -1, IMAGE_PIXELS])


def half_pixel_table(planes):
    """Every image at every half pixel: its bilinear interpolation on a grid twice as fine.

    The images are padded with a ring of zeros first, so the table also holds the half-way values
    towards the outside. With ``align_corners`` a 30-pixel row resized to 59 puts entry k exactly at
    pixel k / 2: even entries are the pixels themselves, odd ones the midpoints between neighbours.

    Args:
        planes: float32 [28, 28, batch], from `to_batch_last`.
    Returns:
        float32 [59 * 59 * batch]: entry ``(row * 59 + column) * batch + b`` is image b at padded pixel
        (row / 2, column / 2).
    """
    with tf1.name_scope("half_pixel_table"):
        padded = tf.pad(planes, [[_PAD, _PAD], [_PAD, _PAD], [0, 0]])
        table = tf1.image.resize_bilinear(padded[tf.newaxis], [_TABLE_SIZE, _TABLE_SIZE], align_corners=True)
        return tf.reshape(table, [-1])


def sample_nearest(table, points):
    """Read each output pixel from the half-pixel table at its (rounded) point; zero off the image.

    Clipping to the table's border sends every point off the image to the zero ring; truncating the
    non-negative coordinates to integers then rounds them (`points` carries the + 0.5). A single
    ``tf.gather`` fetches the whole batch, deterministic on every device.

    Args:
        table: float32 [59 * 59 * batch] from `half_pixel_table`.
        points: float32 [2, batch, 784], table x and y of every output pixel, plus 0.5.
    Returns:
        float32 [batch, 784], row-major like the input of `augment_images`.
    """
    with tf1.name_scope("sample"):
        cells = tf.cast(tf.clip_by_value(points, 0.0, _TABLE_SIZE - 1.0), tf.int32)
        column, row = tf.unstack(cells)
        batch_size = tf.shape(points)[1]
        image = tf.range(batch_size)[:, tf.newaxis]
        index = row * (_TABLE_SIZE * batch_size) + (column * batch_size + image)
        return tf.gather(table, index)


def preview(images_uint8, config: AugmentConfig, seed: int | None = 0, copies: int = 1) -> np.ndarray:
    """Augment some digits in a small graph of its own, to look at what training will see.

    Args:
        images_uint8: uint8 [n, 784] (or [n, 28, 28]) digits, 0-255.
        seed: the same seed gives the same pictures; copies: distorted versions of each image.

    Returns:
        uint8 [n * copies, 784]: row ``i * copies + j`` is copy j of image i, so reshaping to
        [n, copies, 28, 28] gives one grid row per input image.
    """
    source = np.asarray(images_uint8)
    if source.dtype != np.uint8 or source.size % IMAGE_PIXELS or source.ndim not in (2, 3):
        raise DigitnetError(
            f"preview needs uint8 images of {IMAGE_PIXELS} pixels each, got {source.dtype} {source.shape}"
        )
    if copies < 1:
        raise DigitnetError(f"copies must be at least 1, got {copies}")
    repeated = np.repeat(source.reshape(-1, IMAGE_PIXELS), copies, axis=0)
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(seed)
        augmented = augment_images(tf.constant(scale_pixels(repeated)), config, seed)
        as_bytes = tf.cast(tf.round(augmented * PIXEL_MAX), tf.uint8)
    with tf1.Session(graph=graph) as session:
        return session.run(as_bytes)
