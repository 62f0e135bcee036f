"""The notebooks' figures, with matplotlib. Each function returns its Figure (shown inline in Jupyter).

Images are uint8 [n, 784] or float [n, 784] (0-1) rows; they are drawn as 28x28 white digits on black,
the way the network sees them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from digitnet.data import IMAGE_SIZE, NUM_CLASSES


def _square(image: np.ndarray) -> np.ndarray:
    return np.asarray(image).reshape(IMAGE_SIZE, IMAGE_SIZE)


def digit_grid(images, titles: Sequence[str] | None = None, columns: int = 10, title: str | None = None,
               title_colors: Sequence[str] | None = None, cell: float = 1.1):
    """A grid of digits, each with an optional caption (e.g. its label)."""
    count = len(images)
    rows = max(1, -(-count // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * cell, rows * (cell + 0.25)), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        axis.imshow(_square(images[index]), cmap="gray", vmin=0, vmax=np.max(images[index]) or 1)
        if titles is not None:
            color = title_colors[index] if title_colors is not None else "black"
            axis.set_title(titles[index], fontsize=9, color=color)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def learning_curves(history: dict[str, list[float]], best_epoch: int | None = None):
    """Accuracy and loss per epoch, training vs validation (history from TrainResult.history_columns())."""
    epochs = history["epoch"]
    figure, (accuracy_axis, loss_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
    accuracy_axis.plot(epochs, np.array(history["train_accuracy"]) * 100, "o-", label="training")
    accuracy_axis.plot(epochs, np.array(history["validation_accuracy"]) * 100, "o-", label="validation")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    loss_axis.plot(epochs, history["train_loss"], "o-", label="training")
    loss_axis.plot(epochs, history["validation_loss"], "o-", label="validation")
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    for axis in (accuracy_axis, loss_axis):
        if best_epoch:
            axis.axvline(best_epoch, color="gray", linestyle=":", label=f"best (epoch {best_epoch})")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    return figure


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Counts int64 [10, 10]: row = true digit, column = predicted digit."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def confusion_matrix_figure(labels: np.ndarray, predictions: np.ndarray, title: str = "Confusion matrix"):
    """Heat map of `confusion_matrix`, counts written in the cells; the diagonal is what went right."""
    matrix = confusion_matrix(labels, predictions)
    figure, axis = plt.subplots(figsize=(6.2, 5.4))
    # log-ish colour scale: the diagonal is ~1000, the mistakes ~1-10, and both should be readable
    shown = np.log1p(matrix)
    axis.imshow(shown, cmap="Blues")
    for true_digit in range(NUM_CLASSES):
        for predicted in range(NUM_CLASSES):
            count = matrix[true_digit, predicted]
            if count:
                color = "white" if shown[true_digit, predicted] > shown.max() * 0.6 else "black"
                axis.text(predicted, true_digit, str(count), ha="center", va="center", fontsize=8, color=color)
    axis.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit", title=title)
    figure.tight_layout()
    return figure


def misclassified_gallery(images, labels, predictions, probabilities=None, limit: int = 30, columns: int = 10):
    """The test digits the model got wrong, captioned 'true→predicted' (most confident mistakes first)."""
    wrong = np.flatnonzero(np.asarray(labels) != np.asarray(predictions))
    if probabilities is not None and len(wrong):
        confidence = np.asarray(probabilities)[wrong, np.asarray(predictions)[wrong]]
        wrong = wrong[np.argsort(-confidence)]
    wrong = wrong[:limit]
    titles = [f"{labels[i]}→{predictions[i]}" for i in wrong]
    title = f"{int(np.sum(np.asarray(labels) != np.asarray(predictions)))} misclassified test digits" + (
        f" (the {len(wrong)} most confident mistakes)" if len(wrong) else "")
    return digit_grid([images[i] for i in wrong], titles, columns=columns, title=title,
                      title_colors=["crimson"] * len(wrong))


def predictions_grid(images, labels, predictions, columns: int = 10):
    """Digits captioned with the prediction; wrong ones in red with the true label."""
    titles = [f"{p}" if p == t else f"{p} (true {t})" for p, t in zip(predictions, labels, strict=True)]
    colors = ["black" if p == t else "crimson" for p, t in zip(predictions, labels, strict=True)]
    return digit_grid(images, titles, columns=columns, title_colors=colors)


def preparation_steps_figure(steps: dict, title: str = ""):
    """The stages of `digitnet.images.preparation_steps` side by side, from the photo to the 28x28."""
    panels = [
        ("working copy", np.asarray(steps["working_image"]), None),
        ("ink strength", steps["ink"], "magma"),
        ("kept as the digit", steps["mask"], "gray"),
        ("cut out", steps["digit"], "gray"),
        ("fitted into 20×20", steps["fitted"], "gray"),
        ("centred in 28×28", steps["centred"], "gray"),
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(15, 2.8))
    for axis, (caption, picture, colormap) in zip(axes, panels, strict=True):
        axis.imshow(picture, cmap=colormap)
        axis.set_title(caption, fontsize=10)
        axis.axis("off")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def reading_figure(reading, title: str | None = None):
    """What was read in one image (a `digitnet.answers.Reading`): the image with a box round each glyph
    (green: read as a digit, red: not), each 28x28 the model saw with its digit, and the answer or the reason
    it was refused."""
    candidates = reading.candidates
    figure, axes = plt.subplots(1, 1 + max(1, len(candidates)), figsize=(3.2 + 1.3 * max(1, len(candidates)), 2.6),
                                gridspec_kw={"width_ratios": [2.5] + [1] * max(1, len(candidates))})
    picture = axes[0]
    if reading.original is not None:
        picture.imshow(reading.original)
        scale = reading.original.size[0] / reading.size[0] if reading.size else 1.0
        for item in candidates:
            x0, y0, x1, y1 = (value * scale for value in item.box)
            colour = "tab:green" if item.is_digit else "crimson"
            picture.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=1.5))
    for axis, item in zip(axes[1:], candidates, strict=False):
        axis.imshow(item.digit28, cmap="gray", vmin=0, vmax=255)
        axis.set_title(f"{item.digit} ({item.confidence:.0%})" if item.is_digit else "not a digit", fontsize=9,
                       color="black" if item.is_digit else "crimson")
    for axis in axes:
        axis.axis("off")
    answer = f"read {reading.number}" if reading.ok else f"refused: {reading.refusal}"
    figure.suptitle(f"{title or reading.source}: {answer}", fontsize=10)
    figure.tight_layout()
    return figure


def line_readings(lines: Sequence[np.ndarray], captions: Sequence[str], title: str | None = None):
    """Lines of digits (float [28, w] each, white on black) one under another, each with its caption
    (e.g. *true → spelled*)."""
    figure, axes = plt.subplots(len(lines), 1, figsize=(5, 0.75 * len(lines) + 0.4), squeeze=False)
    width = max(line.shape[1] for line in lines)
    for axis, line, caption in zip(axes[:, 0], lines, captions, strict=True):
        axis.imshow(np.pad(line, ((0, 0), (0, width - line.shape[1]))), cmap="gray", vmin=0, vmax=1)
        axis.set_title(caption, fontsize=9, loc="left")
        axis.axis("off")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
