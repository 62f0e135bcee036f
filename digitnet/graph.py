"""The network as a TensorFlow-1 graph, in the manner of TensorFlow's classic ``mnist.py``.

Each function adds one part of the graph to the current default ``tf.Graph`` and returns the tensors it
made, so a notebook cell can call it and show what it built:

    placeholder_inputs()  -> images [None, 784] float32, labels [None] int64, dropout_rate scalar
    inference(images, ...) -> logits [None, 10]    (MLP or CNN; each layer under its own name scope)
    loss(logits, labels)  -> mean cross-entropy, computed from logits (never from softmax)
    training(loss, lr)    -> Adam train_op and the global step
    evaluation(logits, labels) -> accuracy and number correct

Variables are plain ``tf.compat.v1.Variable`` objects named ``<layer>/weights`` and ``<layer>/biases``
(no ``tf.compat.v1.layers``: it does not exist under Keras 3). Build inside an explicit ``tf.Graph()`` so
re-running a cell never hits "Variable already exists".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from digitnet._tf import tf, tf1
from digitnet.config import NetworkSpec
from digitnet.data import IMAGE_PIXELS, IMAGE_SIZE, NUM_CLASSES, PIXEL_MAX


def training_inputs(num_examples: int):
    """Hold the training set inside the graph and pick batches from it by index.

    Feeding pixels through ``feed_dict`` copies every batch from Python into TensorFlow; keeping the
    uint8 training set in a variable (39 MB for 50000 images) and feeding only the shuffled batch indices
    makes each step cheaper. The variables belong to no collection, so checkpoints and SavedModels never
    contain the data; `initializer` loads them once per session from the two placeholders.

    Returns a dict of tensors:
        images_source: uint8 [num_examples, 784] placeholder, fed once to `initializer`.
        labels_source: int64 [num_examples] placeholder, likewise.
        initializer: op that copies the sources into the variables.
        batch_indices: int32 [None] placeholder, the rows of the next batch.
        batch_images: float32 [None, 784] in [0, 1], the gathered rows divided by 255.
        batch_labels: int64 [None].
    """
    with tf1.name_scope("training_data"):
        images_source = tf1.placeholder(tf.uint8, [num_examples, IMAGE_PIXELS], name="images_source")
        labels_source = tf1.placeholder(tf.int64, [num_examples], name="labels_source")
        stored_images = tf1.Variable(images_source, trainable=False, collections=[], name="images")
        stored_labels = tf1.Variable(labels_source, trainable=False, collections=[], name="labels")
        initializer = tf.group(stored_images.initializer, stored_labels.initializer, name="initializer")
        batch_indices = tf1.placeholder(tf.int32, [None], name="batch_indices")
        batch_images = scale_pixels_in_graph(tf.gather(stored_images, batch_indices))
        batch_labels = tf.gather(stored_labels, batch_indices)
    return {
        "images_source": images_source,
        "labels_source": labels_source,
        "initializer": initializer,
        "batch_indices": batch_indices,
        "batch_images": batch_images,
        "batch_labels": batch_labels,
    }


def scale_pixels_in_graph(images_uint8):
    """uint8 [n, 784] tensor -> float32 in [0, 1]: the graph's twin of `digitnet.data.scale_pixels`."""
    return tf.cast(images_uint8, tf.float32) / PIXEL_MAX


def placeholder_inputs(default_images=None, default_labels=None):
    """Create the graph's inputs.

    Args:
        default_images: optional float32 [batch, 784] tensor used when `images` is not fed (the training
            graph passes the next shuffled batch from its in-graph copy of the training set here, so
            training steps need not copy pixels from Python). None gives a plain placeholder.
        default_labels: optional int64 [batch] tensor, likewise for `labels`.

    Returns:
        images: float32 [None, 784] pixels in [0, 1], named ``images``.
        labels: int64 [None] digits 0-9, named ``labels``.
        dropout_rate: float32 scalar, named ``dropout_rate``; defaults to 0.0 (no dropout) so that
            evaluation and serving never drop units unless asked to.
    """
    if default_images is None:
        images = tf1.placeholder(tf.float32, shape=[None, IMAGE_PIXELS], name="images")
    else:
        images = tf1.placeholder_with_default(default_images, shape=[None, IMAGE_PIXELS], name="images")
    if default_labels is None:
        labels = tf1.placeholder(tf.int64, shape=[None], name="labels")
    else:
        labels = tf1.placeholder_with_default(default_labels, shape=[None], name="labels")
    dropout_rate = tf1.placeholder_with_default(0.0, shape=[], name="dropout_rate")
    return images, labels, dropout_rate


def _weights(shape: Sequence[int], fan_in: int, seed: int | None):
    """He-initialised weights: truncated normal with stddev sqrt(2 / fan_in), suited to ReLU."""
    stddev = math.sqrt(2.0 / fan_in)
    initial = tf1.truncated_normal(list(shape), stddev=stddev, seed=seed)
    return tf1.Variable(initial, name="weights")


def _biases(size: int):
    return tf1.Variable(tf.zeros([size]), name="biases")


def _op_seed(seed: int | None, offset: int) -> int | None:
    """A distinct, reproducible op-level seed per random op (None keeps TensorFlow's own choice)."""
    return None if seed is None else seed + offset


def _dropout(tensor, dropout_rate, seed: int | None):
    """Dropout that is skipped entirely when the rate is None (serving graphs have no dropout)."""
    if dropout_rate is None:
        return tensor
    return tf.nn.dropout(tensor, rate=dropout_rate, seed=seed)


def dense_layer(inputs, units: int, name: str, seed: int | None, activation=tf.nn.relu):
    """One fully connected layer under its own name scope: activation(inputs @ weights + biases).

    Args:
        inputs: float32 [batch, fan_in].
    Returns:
        float32 [batch, units].
    """
    fan_in = int(inputs.shape[-1])
    with tf1.name_scope(name):
        weights = _weights([fan_in, units], fan_in, seed)
        biases = _biases(units)
        # bias_add rather than `+`: its gradient is one BiasAddGrad op instead of a reshape and a sum, and
        # Grappler fuses matmul + bias_add (+ ReLU) into one oneDNN kernel (the step trace shows _Fused*MatMul).
        output = tf.nn.bias_add(tf.matmul(inputs, weights), biases)
        return activation(output) if activation is not None else output


def mlp_inference(images, hidden_units: Sequence[int], dropout_rate=None, seed: int | None = None,
                  outputs: int = NUM_CLASSES):
    """Fully connected network: ``hidden1 .. hiddenN`` (ReLU, dropout) then ``softmax_linear``.

    Args:
        images: float32 [batch, 784] in [0, 1].
        hidden_units: sizes of the hidden layers, e.g. (512, 256).
        dropout_rate: scalar tensor (or None for no dropout ops at all).
        seed: base for the op-level seeds of initialisers and dropout.
        outputs: 10, or 11 with "not a digit" as the last class.

    Returns:
        logits: float32 [batch, outputs], unscaled (softmax is applied by the loss and at serving).
    """
    hidden = images
    for index, units in enumerate(hidden_units, start=1):
        hidden = dense_layer(hidden, units, f"hidden{index}", _op_seed(seed, index))
        hidden = _dropout(hidden, dropout_rate, _op_seed(seed, 100 + index))
    return dense_layer(hidden, outputs, "softmax_linear", _op_seed(seed, 99), activation=None)


def conv_layer(inputs, filters: int, kernel: int, name: str, seed: int | None):
    """3x3 or 5x5 'SAME' convolution + bias + ReLU, then 2x2 max-pooling, under one name scope.

    Args:
        inputs: float32 [batch, height, width, channels].
    Returns:
        float32 [batch, ceil(height/2), ceil(width/2), filters].
    """
    channels = int(inputs.shape[-1])
    with tf1.name_scope(name):
        weights = _weights([kernel, kernel, channels, filters], kernel * kernel * channels, seed)
        biases = _biases(filters)
        conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(inputs, weights, strides=1, padding="SAME"), biases))
        return tf.nn.max_pool2d(conv, ksize=2, strides=2, padding="SAME")


def cnn_inference(images, network: NetworkSpec, dropout_rate=None, seed: int | None = None):
    """Convolutional network: ``conv1 .. convN`` (conv + ReLU + 2x2 max-pool), then the MLP head.

    Args:
        images: float32 [batch, 784] in [0, 1] (reshaped to [batch, 28, 28, 1] inside).
        network: its conv_filters (channels per block), kernel_size and hidden_units (the dense head).

    Returns:
        logits: float32 [batch, 10].
    """
    feature_map = tf.reshape(images, [-1, IMAGE_SIZE, IMAGE_SIZE, 1])
    for index, filters in enumerate(network.conv_filters, start=1):
        seed_of_block = _op_seed(seed, 200 + index)
        feature_map = conv_layer(feature_map, filters, network.kernel_size, f"conv{index}", seed_of_block)
    size = int(feature_map.shape[1]) * int(feature_map.shape[2]) * int(feature_map.shape[3])
    flat = tf.reshape(feature_map, [-1, size])
    return mlp_inference(flat, network.hidden_units, dropout_rate, seed, network.outputs)


def inference(images, network: NetworkSpec, dropout_rate=None, seed: int | None = None):
    """Build `network` on `images` (float32 [batch, 784] in [0, 1]) and return its logits, float32 [batch, 10].

    Args:
        dropout_rate: scalar tensor, or None to leave dropout out of the graph (serving, or a rate of 0).
        seed: base of the op-level seeds of the initialisers and dropout (None: TensorFlow chooses).
    """
    if network.architecture == "cnn":
        return cnn_inference(images, network, dropout_rate, seed)
    return mlp_inference(images, network.hidden_units, dropout_rate, seed, network.outputs)


def loss(logits, labels):
    """Mean cross-entropy of the batch, float32 scalar.

    Fed logits, not softmax: ``sparse_softmax_cross_entropy_with_logits`` applies softmax itself, in a
    numerically stable way (the classic notebooks applied it twice and trained on a flattened signal).
    """
    with tf1.name_scope("loss"):
        cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return tf.reduce_mean(cross_entropy, name="cross_entropy")


def training(loss_tensor, learning_rate: float, decay_rate: float = 1.0, decay_steps: int = 1,
             total_steps: int | None = None, warmup_steps: int = 0):
    """Adam optimiser step with a learning-rate schedule.

    Args:
        loss_tensor: float32 scalar to minimise.
        learning_rate: the peak Adam learning rate.
        decay_rate: multiply the learning rate by this every `decay_steps` steps (1.0 = constant);
            training passes the number of steps in an epoch, so the rate decays once per epoch.
        total_steps: when given, a cosine schedule instead: the rate rises linearly over `warmup_steps`
            (large early steps on an untrained network are wasted), then falls along half a cosine to 0
            at `total_steps`, so the last epochs fine-tune.

    Returns:
        train_op: runs one update of every trainable variable and increments `global_step`.
        global_step: int64 scalar variable counting steps (for TensorBoard's x axis).
        learning_rate: float32 scalar tensor, the rate in effect at the current step.
    """
    with tf1.name_scope("training"):
        global_step = tf1.Variable(0, name="global_step", trainable=False, dtype=tf.int64)
        if total_steps is None:
            rate = tf1.train.exponential_decay(
                learning_rate, global_step, decay_steps=max(1, decay_steps), decay_rate=decay_rate, staircase=True
            )
        else:
            step = tf.cast(global_step, tf.float32)
            warmup = float(max(warmup_steps, 1))
            progress = tf.clip_by_value((step - warmup) / float(max(total_steps - warmup, 1)), 0.0, 1.0)
            rate = learning_rate * tf.minimum(1.0, (step + 1.0) / warmup) * 0.5 * (1.0 + tf.cos(math.pi * progress))
        optimizer = tf1.train.AdamOptimizer(rate)
        train_op = optimizer.minimize(loss_tensor, global_step=global_step)
    return train_op, global_step, rate


def evaluation(logits, labels):
    """Accuracy of `logits` against `labels`.

    Returns:
        accuracy: float32 scalar, fraction correct in the batch.
        correct: int32 scalar, number correct (sum it over batches for an exact total).
    """
    with tf1.name_scope("evaluation"):
        correct_mask = tf.equal(tf.argmax(logits, axis=1), labels)
        accuracy = tf.reduce_mean(tf.cast(correct_mask, tf.float32), name="accuracy")
        correct = tf.reduce_sum(tf.cast(correct_mask, tf.int32), name="correct")
    return accuracy, correct


def prediction_outputs(logits) -> dict:
    """Serving outputs, from logits float32 [batch, 10 or 11].

    Returns a dict of tensors:
        probabilities: float32 [batch, 10], the digits' probabilities (summing to 1 over the ten digits).
        classes: int64 [batch], the most probable digit.
        not_digit: float32 [batch], only with an 11th output: the probability that the image is not a
            digit at all (the digits' probabilities then say which digit, if it is one).
    """
    digit_logits = logits[:, :NUM_CLASSES]
    outputs = {
        "probabilities": tf.nn.softmax(digit_logits, name="probabilities"),
        "classes": tf.argmax(digit_logits, axis=1, name="classes"),
    }
    if logits.shape[-1] == NUM_CLASSES + 1:
        outputs["not_digit"] = tf.identity(tf.nn.softmax(logits)[:, NUM_CLASSES], name="not_digit")
    return outputs


def model_variables(graph=None):
    """The trainable weights and biases (what a checkpoint of the model must hold)."""
    graph = graph or tf1.get_default_graph()
    return graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)


def describe(**tensors) -> str:
    """One line per tensor or op: name, dtype and static shape, for showing what a cell built.

    Example: ``describe(images=images)`` -> ``images  images:0  float32  [None, 784]``.
    """
    lines = []
    for label, tensor in tensors.items():
        if hasattr(tensor, "dtype") and hasattr(tensor, "shape"):
            dtype = tensor.dtype.base_dtype.name
            shape = tensor.shape.as_list() if tensor.shape.rank is not None else "?"
            lines.append(f"{label:<16} {tensor.name:<40} {dtype:<8} {shape}")
        else:  # an Operation such as train_op
            lines.append(f"{label:<16} {tensor.name:<40} op: {tensor.type}")
    return "\n".join(lines)


def variable_table(graph=None):
    """The model's variables as a pandas DataFrame: name, shape, parameter count (plus a total row)."""
    import pandas as pd

    rows = [(v.op.name, tuple(v.shape.as_list()), int(v.shape.num_elements())) for v in model_variables(graph)]
    table = pd.DataFrame(rows, columns=["variable", "shape", "parameters"])
    total = pd.DataFrame([("total", "", int(table["parameters"].sum()))], columns=table.columns)
    return pd.concat([table, total], ignore_index=True)
