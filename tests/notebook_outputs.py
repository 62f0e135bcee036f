"""What an executed notebook shows: its printed text and its figures (shared by the notebook and README tests)."""

from __future__ import annotations

import nbformat


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
