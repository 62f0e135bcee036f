"""Worker: the same network in PyTorch (eager), trained with the usual loop.

A DataLoader over a TensorDataset of float32 inputs in [0, 1] (shuffle=True, default workers), all
cores via ``torch.set_num_threads(os.cpu_count())``, and per batch ``model.train()`` /
``optimizer.zero_grad()`` / ``loss.backward()`` / ``optimizer.step()``, Adam with epsilon 1e-8. Like the
other two it keeps a running loss and correct count (what users print). PyTorch's default initialisers.
If torch cannot be imported the result says so and the PyTorch rows are skipped. This process never
imports TensorFlow. Run by `benchmarks.training_speed` as ``python -m benchmarks.torch_worker SPEC.json OUT.json``.
"""

from __future__ import annotations

import os

from benchmarks.stats import Stopwatch
from benchmarks.workers import load_arrays, scaled_float32, throughput_result, time_epochs, worker_main


def build_model(nn, network: dict):
    """For a CNN, Conv2d (zero padding to keep the size) + ReLU + MaxPool2d per block on the images as
    [batch, 1, 28, 28] (PyTorch's channels-first), flattened; then Linear + ReLU + Dropout per hidden layer,
    then a 10-unit linear output (logits)."""
    layers, fan_in = [], 784
    if network.get("conv_filters"):
        layers.append(nn.Unflatten(1, (1, 28, 28)))
        side, channels, kernel = 28, 1, network["kernel_size"]
        for filters in network["conv_filters"]:
            layers += [nn.Conv2d(channels, filters, kernel, padding=kernel // 2), nn.ReLU(),
                       nn.MaxPool2d(2, ceil_mode=True)]
            side, channels = -(-side // 2), filters
        layers.append(nn.Flatten())
        fan_in = side * side * channels
    for units in network["hidden_units"]:
        layers += [nn.Linear(fan_in, units), nn.ReLU(), nn.Dropout(network["dropout"])]
        fan_in = units
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def train_epoch(model, loader, optimizer, loss_fn) -> tuple[float, int]:
    """One pass over `loader`; returns (summed loss, number correct)."""
    model.train()
    loss_sum, correct = 0.0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(labels)
        correct += int((logits.argmax(dim=1) == labels).sum())
    return loss_sum, correct


def measure(spec: dict) -> dict:
    """Train warm-up + timed epochs, timing each (seconds); evaluate on the test split. Skips cleanly without torch."""
    try:  # optional heavy framework, may be missing (requirements-bench.txt installs it): imported here
        import torch
        from torch.utils.data import DataLoader, TensorDataset
    except ImportError as error:
        return {"framework": "torch", "skipped": f"PyTorch not importable ({error})"}

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(spec["seed"])
    arrays, network = load_arrays(spec["arrays"]), spec["network"]
    x_train = torch.from_numpy(scaled_float32(arrays["train_images"]))
    y_train = torch.from_numpy(arrays["train_labels"].astype("int64"))
    x_test = torch.from_numpy(scaled_float32(arrays["test_images"]))
    y_test = torch.from_numpy(arrays["test_labels"].astype("int64"))
    with Stopwatch() as setup:
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=network["batch_size"], shuffle=True)
        model = build_model(torch.nn, network)
        optimizer = torch.optim.Adam(model.parameters(), lr=network["learning_rate"],
                                     betas=(network["beta1"], network["beta2"]), eps=network["epsilon"])
        loss_fn = torch.nn.CrossEntropyLoss()
    warmup, timed = time_epochs(spec, lambda: train_epoch(model, loader, optimizer, loss_fn))
    model.eval()
    with torch.no_grad():
        test_accuracy = float((model(x_test).argmax(dim=1) == y_test).float().mean())
    return throughput_result("torch", setup.seconds, warmup, timed, len(y_train), test_accuracy,
                             torch_threads=torch.get_num_threads())


if __name__ == "__main__":
    worker_main(measure)
