"""In-graph training-time augmentation: presets, shapes, identity, reproducibility, each distortion.

Synthetic 28x28 images only (a bar, a ring), so the tests need no MNIST files and run in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from digitnet import augment
from digitnet._tf import tf, tf1
from digitnet.augment import PRESETS, AugmentConfig, augment_images, preview
from digitnet.errors import DigitnetError

OFF = PRESETS["none"]


def bar(horizontal: bool = True) -> np.ndarray:
    """float32 [784]: a 4-pixel-thick, 16-pixel-long bar through the centre, with soft ends."""
    image = np.zeros((28, 28), np.float32)
    image[12:16, 6:22] = 1.0
    image[12:16, 5] = image[12:16, 22] = 0.5
    return (image if horizontal else image.T).reshape(-1)


def corner() -> np.ndarray:
    """float32 [784]: an L in the top-left quarter, so any mix-up of rows, columns or images shows."""
    image = np.zeros((28, 28), np.float32)
    image[4:14, 5:8] = 1.0
    image[11:14, 5:15] = 1.0
    return image.reshape(-1)


def ring() -> np.ndarray:
    """float32 [784]: a 2-pixel-wide ring of radius 7 around the centre, like a zero."""
    rows, cols = np.mgrid[0:28, 0:28]
    radius = np.hypot(rows - 13.5, cols - 13.5)
    return np.clip(1.5 - np.abs(radius - 7.0), 0.0, 1.0).astype(np.float32).reshape(-1)


def batch_of(image: np.ndarray, copies: int = 64) -> np.ndarray:
    return np.tile(image[np.newaxis], (copies, 1))


def run_augment(images: np.ndarray, config: AugmentConfig, seed: int | None = 1, runs: int = 1):
    """Augment `images` in a fresh graph (graph seed 1234) and return the outputs of `runs` session runs."""
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(1234)
        placeholder = tf1.placeholder(tf.float32, [None, 784])
        augmented = augment_images(placeholder, config, seed)
    with tf1.Session(graph=graph) as session:
        outputs = [session.run(augmented, {placeholder: images}) for _ in range(runs)]
    return outputs if runs > 1 else outputs[0]


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    """[n, 2] (x, y) ink centre of each [n, 784] image."""
    squares = images.reshape(-1, 28, 28)
    rows, cols = np.mgrid[0:28, 0:28]
    ink = squares.sum(axis=(1, 2))
    return np.stack([(squares * cols).sum(axis=(1, 2)) / ink, (squares * rows).sum(axis=(1, 2)) / ink], 1)


def moments(images: np.ndarray) -> np.ndarray:
    """[n, 3] central second moments (xx, yy, xy) of each image's ink."""
    squares = images.reshape(-1, 28, 28)
    rows, cols = np.mgrid[0:28, 0:28]
    centre = centre_of_mass(images)
    dx = cols[np.newaxis] - centre[:, 0, np.newaxis, np.newaxis]
    dy = rows[np.newaxis] - centre[:, 1, np.newaxis, np.newaxis]
    ink = squares.sum(axis=(1, 2))
    return np.stack([(squares * dx * dx).sum(axis=(1, 2)), (squares * dy * dy).sum(axis=(1, 2)),
                     (squares * dx * dy).sum(axis=(1, 2))], 1) / ink[:, np.newaxis]


def orientation_deg(images: np.ndarray) -> np.ndarray:
    """[n] angle of each image's main axis in degrees (0 = horizontal, counter-clockwise on screen)."""
    xx, yy, xy = moments(images).T
    return np.degrees(0.5 * np.arctan2(-2 * xy, xx - yy))


# --- configuration -------------------------------------------------------------------------------------


def test_presets_by_name():
    assert set(PRESETS) == {"none", "light", "standard", "handwriting"}
    assert AugmentConfig.from_name("standard") == AugmentConfig()
    assert not AugmentConfig.from_name("none").enabled
    assert AugmentConfig.from_name("light").enabled and AugmentConfig.from_name("standard").enabled


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(DigitnetError, match="'none', 'light', 'standard'"):
        AugmentConfig.from_name("heavy")


@pytest.mark.parametrize(
    "changes", [{"max_shift_px": -1}, {"max_scale": 1.0}, {"elastic_grid": 1}, {"stroke": 1.5}]
)
def test_out_of_range_parameter_is_refused(changes):
    with pytest.raises(DigitnetError, match="invalid augmentation parameter"):
        AugmentConfig().replace(**changes)


def test_each_magnitude_alone_enables():
    for field in ("max_shift_px", "max_rotation_deg", "max_scale", "max_shear", "elastic_alpha", "stroke"):
        assert OFF.replace(**{field: 0.1}).enabled, field


# --- the graph ---------------------------------------------------------------------------------------


def test_shape_dtype_and_range():
    images = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        placeholder = tf1.placeholder(tf.float32, [None, 784])
        augmented = augment_images(placeholder, AugmentConfig(), seed=3)
        assert augmented.shape.as_list() == [None, 784]
        assert augmented.dtype == tf.float32
        assert augmented.name.startswith("augment/")
    with tf1.Session(graph=graph) as session:
        output = session.run(augmented, {placeholder: images})
    assert output.shape == (5, 784) and output.dtype == np.float32
    assert output.min() >= 0.0 and output.max() <= 1.0
    assert not np.allclose(output, images)


def test_static_batch_size_is_kept():
    graph = tf.Graph()
    with graph.as_default():
        augmented = augment_images(tf.zeros([7, 784]), AugmentConfig(), seed=3)
    assert augmented.shape.as_list() == [7, 784]


def test_none_preset_returns_the_input():
    images = batch_of(ring(), 3)
    np.testing.assert_array_equal(run_augment(images, OFF), images)


def test_resampling_with_a_negligible_distortion_returns_the_input():
    # A shift of at most 1e-6 px builds the whole sampling path, which then reads every pixel from the
    # half-pixel table's entry for that very pixel.
    images = np.stack([ring(), bar(), bar(horizontal=False)])
    output = run_augment(images, OFF.replace(max_shift_px=1e-6))
    np.testing.assert_allclose(output, images, atol=1e-5)


def test_same_seed_same_images_in_a_fresh_graph():
    images = batch_of(ring(), 8)
    first = run_augment(images, AugmentConfig(), seed=5, runs=2)
    second = run_augment(images, AugmentConfig(), seed=5, runs=2)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.allclose(first[0], first[1]), "every run should draw new distortions"


def test_different_seeds_different_images():
    images = batch_of(ring(), 8)
    assert not np.allclose(run_augment(images, AugmentConfig(), seed=5), run_augment(images, AugmentConfig(), seed=6))


def test_points_off_the_image_read_zero():
    # Large shifts move much of the L off the frame: nothing may wrap around from another row, another
    # image or the other side, so blank images stay blank and no image gains ink.
    images = np.zeros((32, 784), np.float32)
    images[::2] = corner()
    output = run_augment(images, AugmentConfig(max_shift_px=20.0))
    assert output[1::2].max() == 0.0
    assert output[::2].sum(1).max() <= corner().sum() * (1 + AugmentConfig().max_scale) ** 2 * 1.5
    assert (output[::2].sum(1) < 0.5 * corner().sum()).any(), "some copies should lose ink off the edge"


def test_every_image_gets_its_own_distortion():
    output = run_augment(batch_of(ring(), 8), AugmentConfig(), seed=5)
    assert len({row.tobytes() for row in output}) == 8


# --- each distortion on its own ---------------------------------------------------------------------


def test_shift_moves_the_centre_of_mass_within_the_limit():
    images = batch_of(ring())
    moved = centre_of_mass(run_augment(images, OFF.replace(max_shift_px=3.0))) - centre_of_mass(images)
    assert np.abs(moved).max() <= 3.0 + 0.05
    assert np.abs(moved).max() > 1.5
    assert moved[:, 0].std() > 0.5 and moved[:, 1].std() > 0.5  # both directions vary


def test_rotation_turns_a_bar_within_the_limit():
    images = batch_of(bar())
    angles = orientation_deg(run_augment(images, OFF.replace(max_rotation_deg=30.0)))
    assert np.abs(angles).max() <= 30.0 + 1.0
    assert np.abs(angles).max() > 15.0
    assert angles.min() < -5.0 < 5.0 < angles.max()  # both ways


def test_scaling_changes_the_size_within_the_limit():
    images = batch_of(ring())
    size = np.sqrt(moments(run_augment(images, OFF.replace(max_scale=0.2)))[:, :2].sum(1))
    ratio = size / np.sqrt(moments(images)[0, :2].sum())
    assert 0.8 - 0.03 <= ratio.min() and ratio.max() <= 1.2 + 0.03
    assert ratio.min() < 0.9 and ratio.max() > 1.1


def test_shear_slants_a_vertical_bar():
    images = batch_of(bar(horizontal=False))
    slant = moments(run_augment(images, OFF.replace(max_shear=0.3)))[:, 2] / moments(images)[0, 1]
    # x += k * y turns the vertical bar's xy moment into k times its yy moment
    assert np.abs(slant).max() <= 0.3 + 0.02
    assert slant.min() < -0.15 and slant.max() > 0.15


def test_stroke_change_thickens_and_thins():
    images = batch_of(ring())
    ink = run_augment(images, OFF.replace(stroke=1.0)).sum(1) / images[0].sum()
    assert ink.max() > 1.3, "some copies should be drawn with a thicker pen"
    assert ink.min() < 0.8, "some copies should be drawn with a thinner pen"
    assert ink.min() > 0.3, "thinning should never wipe a stroke out"


def test_stroke_change_keeps_the_shape_in_place():
    images = batch_of(corner())
    output = run_augment(images, OFF.replace(stroke=1.0))
    # A thicker L's ink centre creeps a little into its inner corner; a transposed one would be 2 px off.
    np.testing.assert_allclose(centre_of_mass(output), centre_of_mass(images), atol=0.3)


def test_elastic_distortion_bends_without_moving_the_digit_away():
    images = batch_of(bar())
    output = run_augment(images, OFF.replace(elastic_alpha=2.0))
    changed = np.abs(output - images).max(axis=1)
    assert changed.min() > 0.1, "every image should be distorted"
    # The bar is no longer straight: its rows' ink centres wander up and down along its length.
    squares = output.reshape(-1, 28, 28)[:, :, 8:20]
    rows = np.arange(28)[np.newaxis, :, np.newaxis]
    column_centres = (squares * rows).sum(1) / np.maximum(squares.sum(1), 1e-6)
    assert column_centres.std(axis=1).max() > 0.3
    # Bicubic upsampling overshoots the nodes' displacements (at most 2 px here) only a little.
    np.testing.assert_allclose(centre_of_mass(output), centre_of_mass(images), atol=1.25 * 2.0)


def test_labels_are_not_an_input():
    # Augmentation only ever sees pixels, so a batch's labels pass through training untouched.
    import inspect

    assert list(inspect.signature(augment_images).parameters) == ["images", "config", "seed"]


# --- preview and determinism -----------------------------------------------------------------------


def test_preview_orders_copies_by_image():
    images = (np.stack([ring(), bar()]) * 255).astype(np.uint8)
    unchanged = preview(images, OFF, seed=0, copies=3)
    assert unchanged.dtype == np.uint8 and unchanged.shape == (6, 784)
    np.testing.assert_array_equal(unchanged, np.repeat(images, 3, axis=0))
    distorted = preview(images, AugmentConfig(), seed=0, copies=3)
    np.testing.assert_array_equal(distorted, preview(images, AugmentConfig(), seed=0, copies=3))
    assert len({row.tobytes() for row in distorted}) == 6


def test_preview_refuses_float_images():
    with pytest.raises(DigitnetError, match="uint8"):
        preview(np.zeros((2, 784), np.float32), AugmentConfig())


@pytest.fixture
def op_determinism():
    """Turn TensorFlow's op determinism on for one test and restore the previous setting afterwards.

    The switch is process-wide and TensorFlow exports no way to turn it off again, so this uses the
    function behind ``tf.config.experimental.enable_op_determinism`` from its defining module.
    """
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    yield
    if not was_enabled:
        tf_config.disable_op_determinism()


def test_runs_with_op_determinism_enabled(op_determinism):
    # Every op of the augmentation needs a deterministic kernel (or the run fails), and runs must agree.
    images = np.random.default_rng(0).random((16, 784)).astype(np.float32)
    first, second = (run_augment(images, AugmentConfig(), seed=2) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_gaps_break_some_strokes_and_never_add_ink():
    images = np.tile(np.linspace(0, 1, 784, dtype=np.float32), (64, 1))
    images[:, ::3] = 1.0
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(1)
        broken = augment.break_strokes(tf.constant(images), 0.5, seed=1)
    with tf1.Session(graph=graph) as session:
        first, second = session.run(broken), session.run(broken)
    assert (first <= images + 1e-6).all(), "a break only ever removes ink"
    changed = (np.abs(first - images).max(axis=1) > 0.5).mean()
    assert 0.25 < changed < 0.75, f"about half the images get a break, got {changed:.0%}"
    assert not np.array_equal(first, second), "new breaks every step"
