"""What an executed notebook shows: its printed text and its figures (shared by the notebook and README tests)."""

from __future__ import annotations

from pathlib import Path

import nbformat

MAX_PRINTED_COLUMNS = 100  # what fits a JupyterLab output beside the file browser without wrapping


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """Every text output (streams and plain-text results), one after another."""
    chunks = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            chunks.append(output.get("text", ""))
            chunks.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(chunks)


def count_images(notebook: nbformat.NotebookNode) -> int:
    """PNG figures among the outputs."""
    return sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))


def check_training_notebook(notebook: nbformat.NotebookNode, export_dir: str) -> None:
    """An executed training notebook reported its test accuracy, exported into `export_dir` and drew its
    figures: sample digits, augmentation, the learning curves, the confusion matrix, the mistakes."""
    text = notebook_text(notebook)
    assert "test accuracy" in text and f"exported to {export_dir}" in text, text[-2000:]
    assert count_images(notebook) >= 5


def printed_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """Every line the notebook printed (stream outputs)."""
    return [line for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "stream"
            for line in output.text.splitlines()]


def answers_table(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The first output that is an HTML table: the readings of the images (its plain-text twin alongside)."""
    return next(o for c in notebook.cells for o in c.get("outputs", []) if "<table" in o.get("data", {}).get(
        "text/html", ""))


def check_load_notebook(notebook: nbformat.NotebookNode, samples_dir: Path) -> None:
    """An executed `load_saved_model.ipynb` that read the images of `samples_dir`: a row for each in the answers
    table, the canvas cell ran, a handful of figures, the recorded test accuracy reproduced to the last digit,
    the TF2 loader agreeing with the TF1 session, and no printed line too wide for JupyterLab."""
    text = notebook_text(notebook)
    assert "reproduced exactly" in text  # the recorded test accuracy, to the last digit
    assert "classes identical: True" in text  # TF2 loader == TF1 session
    samples = sorted(p.name for p in samples_dir.iterdir() if p.is_file())
    assert f"{len(samples)} images, " in text and " read right" in text
    table = answers_table(notebook)
    assert all(name in table.data["text/html"] and name in table.data["text/plain"] for name in samples)
    assert table.data["text/html"].count("<tr>") == len(samples) + 1  # one row per image, answers first
    assert any("DigitCanvas" in o.get("data", {}).get("text/plain", "") for c in notebook.cells
               for o in c.get("outputs", []))  # the canvas cell ran without a front end
    assert 5 <= count_images(notebook) <= 8  # a few detail panels, the steps, the comparison, the test digits
    too_long = [line for line in printed_lines(notebook) if len(line) > MAX_PRINTED_COLUMNS]
    assert not too_long, f"printed lines wider than {MAX_PRINTED_COLUMNS} columns wrap in JupyterLab: {too_long}"
