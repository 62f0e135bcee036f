"""The notebooks: committed clean, parameters in step with the package, and they run top to bottom."""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import TINY_VALIDATION
from notebook_outputs import answers_table, check_training_notebook, notebook_text

from digitnet.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
TRAIN_NOTEBOOK = ROOT / "train_neural_network.ipynb"
LOAD_NOTEBOOK = ROOT / "load_saved_model.ipynb"


def committed_notebooks() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    names = listed.stdout.split() if listed.returncode == 0 else []
    return [ROOT / name for name in names] or sorted(ROOT.glob("*.ipynb"))


def committed_text(path: Path) -> str:
    """The notebook as it will be committed: git's index (what `git add` staged, through the nbstripout
    filter that `make` installs), not the working file, which JupyterLab may have saved with outputs."""
    shown = subprocess.run(["git", "show", f":{path.relative_to(ROOT)}"], cwd=ROOT, capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else path.read_text()


def parameters_cell(path: Path) -> dict:
    notebook = nbformat.reads(committed_text(path), as_version=4)
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
    notebook = json.loads(committed_text(path))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs; clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name}: a cell has an execution count"


def test_git_strips_outputs_from_notebooks():
    """`.gitattributes` sends notebooks through nbstripout; `make` configures the filter (see Makefile)."""
    attributes = (ROOT / ".gitattributes").read_text().splitlines()
    assert "*.ipynb filter=nbstripout" in attributes and "*.ipynb diff=ipynb" in attributes
    configured = subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT,
                                capture_output=True, text=True)
    if configured.returncode != 0:
        pytest.skip("the nbstripout filter is not configured in this clone (make venv does it)")
    with_outputs = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=3, outputs=[
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)])])
    cleaned = subprocess.run(["sh", "-c", configured.stdout.strip()], cwd=ROOT, capture_output=True, text=True,
                             input=nbformat.writes(with_outputs))
    cell = nbformat.reads(cleaned.stdout, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None and cell.source == "1 + 1"


def test_training_parameters_match_the_package_defaults():
    """Every TrainConfig field is a parameter of the notebook, with the same default (the config is made from
    the parameters cell by name, so one missing or different would silently train something else)."""
    values = parameters_cell(TRAIN_NOTEBOOK)
    from_cell = TrainConfig.from_parameters(values)
    for item in dataclasses.fields(TrainConfig):
        assert item.name.upper() in values, f"{item.name.upper()} is missing from the parameters cell"
        assert getattr(from_cell, item.name) == getattr(TrainConfig(), item.name), item.name


def run_notebook(path: Path, output: Path, parameters: dict) -> nbformat.NotebookNode:
    papermill.execute_notebook(str(path), str(output), parameters=parameters, cwd=str(ROOT), kernel_name="python3",
                               progress_bar=False, log_output=False)
    return nbformat.read(output, as_version=4)


def test_training_notebook_runs_top_to_bottom(tmp_path, mnist_dir):
    """The CNN, with parameters as Python values (papermill's API). The MLP runs from README's papermill command
    line (test_readme), with parameters as the strings `-p` passes, and is checked the same way there; so is the
    load notebook reading the sample images, which README's `make run` executes after training."""
    parameters = dict(
        ARCHITECTURE="cnn", HIDDEN_UNITS=[16], CONV_FILTERS=[4, 8], EPOCHS=2, BATCH_SIZE=50, LINE_READER_STEPS=3,
        AUGMENT="light", VALIDATION_SIZE=TINY_VALIDATION,
        DATA_DIR=str(mnist_dir), EXPORT_DIR=str(tmp_path / "SavedModel"), LOG_DIR=str(tmp_path / "logs"),
    )
    executed = run_notebook(TRAIN_NOTEBOOK, tmp_path / "train.ipynb", parameters)
    check_training_notebook(executed, str(tmp_path / "SavedModel" / "1"))
    assert (tmp_path / "SavedModel" / "1" / "saved_model.pb").exists()


def test_load_notebook_reads_a_users_own_images_given_as_a_string(tmp_path, trained_export, mnist_dir):
    """`-p IMAGE_PATHS '["a.png", "b.png"]'` on papermill's command line arrives as a string; a user's image has
    no true digit, so that column is not shown (rather than saying "None")."""
    export_dir = trained_export[0]
    own = [shutil.copy(ROOT / "MNIST" / "samples" / "7-photo.jpg", tmp_path / "my_seven.jpg"),
           shutil.copy(ROOT / "MNIST" / "samples" / "3-scan_gray16.png", tmp_path / "3.png")]
    parameters = dict(MODEL_DIR=str(export_dir), DATA_DIR=str(mnist_dir), IMAGE_PATHS=json.dumps(list(map(str, own))))
    executed = run_notebook(LOAD_NOTEBOOK, tmp_path / "load.ipynb", parameters)
    table = answers_table(executed)
    assert "my_seven.jpg" in table.data["text/plain"] and "3.png" in table.data["text/plain"]
    assert "true" not in table.data["text/plain"].splitlines()[0] and "None" not in table.data["text/plain"]
    assert "2 images" in notebook_text(executed) and "read right" not in notebook_text(executed)
