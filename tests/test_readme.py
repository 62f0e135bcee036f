"""Every command README.md shows works as written: each is read from README's code blocks (so this test breaks
when README changes) and run in a scratch copy of the project on synthetic MNIST, with only the parameters that
make it tiny added (fewer epochs, a small validation split). Commands that cannot fit in a test say why below.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from notebook_outputs import check_load_notebook, check_training_notebook
from synthetic import write_mnist_folder

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
VENV = ROOT / ".venv"

# Commands run as shown, with these added to make them tiny. Papermill and argparse take the last value given.
TINY_NOTEBOOK = "-p VALIDATION_SIZE 100 -p EPOCHS 1 -p NEGATIVES 0 -p LINE_READER_STEPS 3"
TINY_TRAIN = "--validation-size 100 --epochs 1 --negatives 0 --line-reader-steps 3"
# Where `make run` leaves the executed notebooks (the Makefile's BUILD).
MAKE_RUN_NOTEBOOKS = "build/notebooks"
# Commands not run here, and why.
NOT_RUN = {
    "make run": "the same target runs below with README's cnn TRAIN_PARAMS (on tiny data): one run fits, two do not",
    "make test": "it is this test suite",
    "make bench": "tens of minutes (benchmarks/ has its own tests on tiny inputs)",
    "make yardstick": "3,030 images in about 2 minutes, and it may apt-get fonts (test_yardstick runs a tiny one)",
    ".venv/bin/python -m benchmarks.real_digits": "it reads the whole yardstick (test_benchmarks runs it tiny)",
}
# Servers: started as shown, and stopped once they say they are serving (or that their port is taken).
SERVERS = {
    "make lab": re.compile(r"is running at|http://(localhost|127\.0\.0\.1):\d+/lab"),
    "make tensorboard": re.compile(r"TensorBoard \S+ at http|could not bind to port|already in use"),
}


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)


def readme_commands() -> list[str]:
    """The shell commands in README's plain code blocks: continuation lines joined, comments dropped, the
    command-line synopses (``[options]``, ``IMAGE...``, ``…``) and the folder layout left out; in order, once."""
    commands = []
    for language, body in code_blocks(README.read_text()):
        if language:
            continue
        for line in body.replace("\\\n", "").splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if not command.startswith(("make", ".venv/bin/", "mkdir")) or re.search(r"\[[-a-z]|\.\.\.|…", command):
                continue
            if command not in commands:
                commands.append(command)
    return commands


def readme_python_blocks() -> list[str]:
    return [body for language, body in code_blocks(README.read_text()) if language == "python"]


def test_the_readme_shows_the_commands_this_test_knows():
    commands = readme_commands()
    assert "make run" in commands and "make tensorboard" in commands and "make lab" in commands
    assert any("HIDDEN_UNITS \"[1024, 512]\"" in command for command in commands)
    # the suite's only run of the training notebook with an MLP (test_notebooks runs the CNN)
    assert any(executed_training_notebook(command) and "ARCHITECTURE mlp" in command for command in commands)
    # the suite's only run of the load notebook on the sample images (after make run's training)
    assert any(command.startswith("make run TRAIN_PARAMS=") for command in commands)
    cnn = [command for command in commands if "ARCHITECTURE cnn" in command]
    assert cnn and all("HIDDEN_UNITS '[256]'" in command for command in cnn)  # the documented cnn model
    assert all(not command.startswith("python") for command in commands)  # the venv's python, as written
    assert len(commands) == 14, commands  # a new command in README: make sure this test runs it (or says why not)


@pytest.fixture(scope="module")
def project(tmp_path_factory, trained_export) -> Path:
    """A scratch copy of the project: its Makefile and notebooks, this .venv, synthetic MNIST with the sample
    images, a photo and a folder of photos to predict, and a tiny model as SavedModel/1."""
    if subprocess.run(["make", "-q", "venv"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("the virtual environment is out of date: run make venv (make test does) first")
    folder = tmp_path_factory.mktemp("project")
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "train_neural_network.ipynb",
                 "load_saved_model.ipynb"):
        shutil.copy2(ROOT / name, folder / name)  # modification times kept: make sees .venv as up to date
    (folder / ".venv").symlink_to(VENV)
    write_mnist_folder(folder / "MNIST")
    shutil.copytree(ROOT / "MNIST" / "samples", folder / "MNIST" / "samples")
    shutil.copy(ROOT / "MNIST" / "samples" / "7-photo.jpg", folder / "my_seven.jpg")
    (folder / "photos").mkdir()
    for sample in (ROOT / "MNIST" / "samples").glob("*.jpg"):
        shutil.copy(sample, folder / "photos" / sample.name)
    shutil.copytree(trained_export[0], folder / "SavedModel" / "1")
    return folder


def environment(**extra) -> dict:
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": python_path, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def tiny(command: str) -> str:
    """The command with what makes it tiny added."""
    if command.startswith("make run TRAIN_PARAMS="):
        assert command.endswith('"'), command
        return f'{command[:-1]} {TINY_NOTEBOOK}"'
    if "papermill" in command:
        return f"{command} {TINY_NOTEBOOK}"
    if "-m digitnet train" in command:
        return f"{command} {TINY_TRAIN}"
    return command


def executed_training_notebook(command: str) -> str | None:
    """Where the command leaves the training notebook it executed (relative to the project), if it runs one."""
    if command.startswith("make run"):
        return f"{MAKE_RUN_NOTEBOOKS}/train_neural_network.ipynb"
    found = re.search(r"papermill train_neural_network\.ipynb (\S+)", command)
    return found and found.group(1)


def run_shell(command: str, cwd: Path, env: dict, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def start_and_stop_server(command: str, ready: re.Pattern, cwd: Path, timeout: float = 60) -> str:
    """Run a server command until it says it is serving; stop it (and its children) either way."""
    process = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=environment(BROWSER="true"), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen = []
    try:
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            seen.append(line)
            if ready.search(line) or time.monotonic() > deadline:
                break
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return "".join(seen)


@pytest.mark.parametrize("command", readme_commands(), ids=lambda command: command.replace(".venv/bin/", "")[:50])
def test_readme_command_works_as_written(command, project):
    if command in NOT_RUN:
        pytest.skip(f"{command!r} is not run here: {NOT_RUN[command]}")
    if command in SERVERS:
        output = start_and_stop_server(command, SERVERS[command], project)
        assert SERVERS[command].search(output), output[-3000:]
        return
    line = tiny(command)
    result = run_shell(line, project, environment())
    if "-m digitnet predict" in command and result.returncode == 1:
        # The tiny model, trained on synthetic bars, may refuse real photos: status 1 is the contract for that,
        # as long as every image got its answer or its one-line refusal.
        refusals = [text for text in result.stderr.splitlines() if text.startswith("error:")]
        assert result.stdout.splitlines() + refusals and "Traceback" not in result.stderr, result.stderr[-3000:]
        return
    assert result.returncode == 0, f"{line}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    if command.startswith("make run"):
        assert "exported to" in result.stdout  # the notebooks' printed lines reach the terminal as they run
        assert (project / MAKE_RUN_NOTEBOOKS / "load_saved_model.html").exists()
        # the suite's run of the load notebook on the sample images, with the model this command trained
        executed_load = nbformat.read(project / MAKE_RUN_NOTEBOOKS / "load_saved_model.ipynb", as_version=4)
        check_load_notebook(executed_load, project / "MNIST" / "samples")
    if executed := executed_training_notebook(command):  # what the user opens afterwards: text and figures
        check_training_notebook(nbformat.read(project / executed, as_version=4), "SavedModel/")


@pytest.mark.parametrize("index", range(len(readme_python_blocks())))
def test_readme_python_block_runs(index, project):
    code = "import numpy as np\npixels = np.zeros((2, 784), np.float32)\n" + readme_python_blocks()[index]
    result = subprocess.run([str(VENV / "bin" / "python"), "-c", code], cwd=project, env=environment(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
