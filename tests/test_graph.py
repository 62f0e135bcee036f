"""The TF1 graph: names, shapes, loss falling, and a fresh graph each time."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import synthetic_digits

from digitnet import graph as dg
from digitnet._tf import tf, tf1
from digitnet.config import NetworkSpec
from digitnet.errors import DigitnetError


def build(architecture="mlp", hidden=(64, 32), conv_filters=(4, 8)):
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(3)
        images, labels, dropout_rate = dg.placeholder_inputs()
        network = NetworkSpec(architecture, hidden, conv_filters)
        logits = dg.inference(images, network, dropout_rate, seed=3)
        loss = dg.loss(logits, labels)
        train_op, global_step, _ = dg.training(loss, 1e-2)
        accuracy, correct = dg.evaluation(logits, labels)
    return graph, locals()


def test_placeholders_have_contract_names_and_shapes():
    graph, t = build()
    assert t["images"].name == "images:0" and t["images"].shape.as_list() == [None, 784]
    assert t["images"].dtype == tf.float32
    assert t["labels"].name == "labels:0" and t["labels"].dtype == tf.int64
    assert t["dropout_rate"].shape.as_list() == [] and t["logits"].shape.as_list() == [None, 10]


def test_mlp_variables_are_named_per_layer():
    graph, _ = build(hidden=(64, 32, 16))
    shapes = {v.op.name: v.shape.as_list() for v in dg.model_variables(graph)}
    assert shapes == {
        "hidden1/weights": [784, 64], "hidden1/biases": [64],
        "hidden2/weights": [64, 32], "hidden2/biases": [32],
        "hidden3/weights": [32, 16], "hidden3/biases": [16],
        "softmax_linear/weights": [16, 10], "softmax_linear/biases": [10],
    }


def test_cnn_variables_and_logits():
    graph, t = build("cnn", hidden=(32,), conv_filters=(4, 8))
    shapes = {v.op.name: v.shape.as_list() for v in dg.model_variables(graph)}
    assert shapes["conv1/weights"] == [5, 5, 1, 4] and shapes["conv2/weights"] == [5, 5, 4, 8]
    assert shapes["hidden1/weights"] == [7 * 7 * 8, 32]
    assert t["logits"].shape.as_list() == [None, 10]


def test_building_twice_in_fresh_graphs_does_not_clash():
    first, _ = build()
    second, _ = build()
    assert [v.op.name for v in dg.model_variables(first)] == [v.op.name for v in dg.model_variables(second)]


def test_unknown_architecture_is_refused():
    with pytest.raises(DigitnetError, match="architecture"):
        NetworkSpec("transformer", (8,))


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_loss_falls_over_a_few_steps(architecture):
    images_np, labels_np = synthetic_digits(200, seed=1)
    feed_images = images_np.astype(np.float32) / 255
    graph, t = build(architecture, hidden=(32,))
    with tf1.Session(graph=graph) as session:
        session.run(tf1.global_variables_initializer())
        feed = {t["images"]: feed_images, t["labels"]: labels_np, t["dropout_rate"]: 0.1}
        losses = [session.run([t["train_op"], t["loss"]], feed)[1] for _ in range(15)]
        accuracy = session.run(t["accuracy"], {t["images"]: feed_images, t["labels"]: labels_np})
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy > 0.5


def test_dropout_is_off_unless_fed():
    graph, t = build()
    images_np = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    with tf1.Session(graph=graph) as session:
        session.run(tf1.global_variables_initializer())
        once = session.run(t["logits"], {t["images"]: images_np})
        again = session.run(t["logits"], {t["images"]: images_np})
        dropped = session.run(t["logits"], {t["images"]: images_np, t["dropout_rate"]: 0.5})
    np.testing.assert_array_equal(once, again)
    assert not np.allclose(once, dropped)


def test_loss_is_computed_from_logits():
    with tf.Graph().as_default():
        logits = tf.constant([[10.0, 0.0] + [0.0] * 8])
        value = tf1.Session().run(dg.loss(logits, tf.constant([0], tf.int64)))
    # softmax applied once: -log(e^10 / (e^10 + 9)) ~ 4e-4; applying it twice would give ~1.46
    assert value < 1e-3


def test_training_inputs_gather_batches_from_the_in_graph_copy():
    images_np, labels_np = synthetic_digits(20)
    with tf.Graph().as_default() as graph:
        data = dg.training_inputs(20)
        images, labels, _ = dg.placeholder_inputs(data["batch_images"], data["batch_labels"])
        with tf1.Session(graph=graph) as session:
            session.run(data["initializer"], {data["images_source"]: images_np, data["labels_source"]: labels_np})
            got_images, got_labels = session.run([images, labels], {data["batch_indices"]: [3, 0]})
            fed = session.run(images, {images: np.ones((1, 784), np.float32)})
    np.testing.assert_allclose(got_images, images_np[[3, 0]] / 255.0, rtol=1e-6)
    assert got_labels.tolist() == labels_np[[3, 0]].tolist()
    assert fed.shape == (1, 784)
    assert not graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)  # the data is never checkpointed
