"""The notebooks: committed clean, parameters in step with the package, and they run top to bottom."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import TINY_VALIDATION

from digitnet.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
TRAIN_NOTEBOOK = ROOT / "train_neural_network.ipynb"
LOAD_NOTEBOOK = ROOT / "load_saved_model.ipynb"


def committed_notebooks() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    names = listed.stdout.split() if listed.returncode == 0 else []
    return [ROOT / name for name in names] or sorted(ROOT.glob("*.ipynb"))


def parameters_cell(path: Path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    values = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_both_notebooks_are_committed():
    names = {path.name for path in committed_notebooks()}
    assert {TRAIN_NOTEBOOK.name, LOAD_NOTEBOOK.name} <= names


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs; clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name}: a cell has an execution count"


def test_training_parameters_match_the_package_defaults():
    values = parameters_cell(TRAIN_NOTEBOOK)
    defaults = TrainConfig()
    assert values["ARCHITECTURE"] == defaults.architecture
    assert tuple(values["HIDDEN_UNITS"]) == defaults.hidden_units
    assert tuple(values["CONV_FILTERS"]) == defaults.conv_filters
    for name in ("epochs", "batch_size", "learning_rate", "lr_decay", "dropout", "augment", "patience", "seed",
                 "validation_size", "data_dir", "export_dir", "log_dir"):
        assert values[name.upper()] == getattr(defaults, name), name


def run_notebook(path: Path, output: Path, parameters: dict) -> nbformat.NotebookNode:
    papermill.execute_notebook(str(path), str(output), parameters=parameters, cwd=str(ROOT), kernel_name="python3",
                               progress_bar=False, log_output=False)
    return nbformat.read(output, as_version=4)


def notebook_text(notebook) -> str:
    chunks = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            chunks.append(output.get("text", ""))
            chunks.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(chunks)


def count_images(notebook) -> int:
    return sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_training_notebook_runs_top_to_bottom(tmp_path, mnist_dir, architecture):
    parameters = dict(
        ARCHITECTURE=architecture, HIDDEN_UNITS=[16], CONV_FILTERS=[4, 8], EPOCHS=2, BATCH_SIZE=50,
        AUGMENT="light" if architecture == "cnn" else "none", VALIDATION_SIZE=TINY_VALIDATION,
        DATA_DIR=str(mnist_dir), EXPORT_DIR=str(tmp_path / "SavedModel"), LOG_DIR=str(tmp_path / "logs"),
    )
    executed = run_notebook(TRAIN_NOTEBOOK, tmp_path / "train.ipynb", parameters)
    text = notebook_text(executed)
    assert "test accuracy" in text and f"exported to {tmp_path / 'SavedModel' / '1'}" in text
    assert (tmp_path / "SavedModel" / "1" / "saved_model.pb").exists()
    assert count_images(executed) >= 5  # samples, augmentation, curves, confusion matrix, mistakes


def test_load_notebook_runs_against_a_model_exported_in_the_test(tmp_path, trained_export, mnist_dir):
    export_dir, result, _ = trained_export
    parameters = dict(MODEL_DIR=str(export_dir), DATA_DIR=str(mnist_dir), SAMPLES_DIR="MNIST/samples")
    executed = run_notebook(LOAD_NOTEBOOK, tmp_path / "load.ipynb", parameters)
    text = notebook_text(executed)
    assert "reproduced exactly" in text  # the recorded test accuracy, to the last digit
    assert "classes identical: True" in text  # TF2 loader == TF1 session
    samples = [p for p in (ROOT / "MNIST" / "samples").iterdir() if p.is_file()]
    assert count_images(executed) >= len(samples) + 2  # a panel per sample, the test grid, the comparison
