"""Worker: the same network in Keras 3 on the same TensorFlow, trained the usual way with ``model.fit``.

keras.Sequential of Dense/Dropout layers (after Conv2D/MaxPooling2D blocks for a CNN), compiled with
SparseCategoricalCrossentropy(from_logits=True) and the accuracy metric, Adam with epsilon 1e-8 (Keras'
default is 1e-7), then ``fit(x, y, batch_size, epochs, shuffle=True, verbose=0)`` on float32 inputs in
[0, 1]. Keras' own
thread settings and initialisers are left at their defaults, as a user would. A callback times each epoch;
the first epoch(s) are warm-up (they include tracing the tf.function). Run by `benchmarks.training_speed`
as ``python -m benchmarks.keras_worker SPEC.json OUT.json`` (its environment sets KERAS_BACKEND=tensorflow).
"""

from __future__ import annotations

import time

from benchmarks.stats import Stopwatch
from benchmarks.workers import load_arrays, scaled_float32, throughput_result, worker_main


def build_model(keras, network: dict):
    """For a CNN, Conv2D('same', ReLU) + MaxPooling2D per block, flattened; then Dense(ReLU) + Dropout per
    hidden layer, then a 10-unit linear output (logits)."""
    layers = [keras.Input(shape=(784,))]
    if network.get("conv_filters"):
        layers.append(keras.layers.Reshape((28, 28, 1)))
        for filters in network["conv_filters"]:
            layers += [keras.layers.Conv2D(filters, network["kernel_size"], padding="same", activation="relu"),
                       keras.layers.MaxPooling2D(2, padding="same")]
        layers.append(keras.layers.Flatten())
    for units in network["hidden_units"]:
        layers += [keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(network["dropout"])]
    return keras.Sequential([*layers, keras.layers.Dense(10)])


def measure(spec: dict) -> dict:
    """Fit warm-up + timed epochs in one ``fit`` call, timing each epoch (seconds); evaluate on the test split."""
    import keras  # optional heavy framework: only this worker process loads it

    arrays, network = load_arrays(spec["arrays"]), spec["network"]
    x_train, y_train = scaled_float32(arrays["train_images"]), arrays["train_labels"]
    x_test, y_test = scaled_float32(arrays["test_images"]), arrays["test_labels"]
    keras.utils.set_random_seed(spec["seed"])
    with Stopwatch() as setup:
        model = build_model(keras, network)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=network["learning_rate"], beta_1=network["beta1"],
                                                      beta_2=network["beta2"], epsilon=network["epsilon"]),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    seconds: list[float] = []  # each epoch's start time, replaced by its wall seconds when it ends
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seconds.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(time.perf_counter() - seconds.pop()))
    model.fit(x_train, y_train, batch_size=network["batch_size"], epochs=spec["warmup_epochs"] + spec["timed_epochs"],
              shuffle=True, verbose=0, callbacks=[timer])
    warmup, timed = seconds[: spec["warmup_epochs"]], seconds[spec["warmup_epochs"] :]
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return throughput_result("keras", setup.seconds, warmup, timed, len(y_train), test_accuracy,
                             keras_backend=keras.backend.backend())


if __name__ == "__main__":
    worker_main(measure)
