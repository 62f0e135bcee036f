"""The code's shape: no import cycles, modules of a size one can hold in one's head."""

from __future__ import annotations

import ast
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("digitnet", "benchmarks", "tools")
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports anywhere in it (top level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def test_no_import_cycles():
    known = modules()
    graph = {name: imported_modules(path, set(known)) - {name} for name, path in known.items()}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycle = trail[trail.index(target):] + [target] if target in trail else [name, target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_is_small_enough_to_read(name):
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines; split it along its seams"


def run_in_a_fresh_python(code: str, environment: dict | None = None) -> None:
    """Run `code` in a new interpreter from the checkout (its own imports, nothing of this process's), in
    `environment` (default: this process's)."""
    environment = {**(os.environ if environment is None else environment), "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=environment)


def test_importing_digitnet_leaves_warning_filters_alone():
    # Third-party libraries set filters of their own on import (scipy does), so they are imported first.
    code = ("import warnings, numpy, scipy.ndimage, skimage.filters, skimage.morphology, PIL.Image, pandas, "
            "pyarrow.csv, matplotlib.pyplot, tqdm.auto, tensorflow\n"
            "before = list(warnings.filters)\n"
            "import digitnet.cli, digitnet.images, digitnet.training, digitnet.export, digitnet.model, digitnet.plots\n"
            "assert warnings.filters == before, 'import digitnet changed the warning filters'")
    run_in_a_fresh_python(code)


def test_tensorflow_is_imported_without_keras_which_still_loads_on_first_use():
    # digitnet never uses Keras; TensorFlow's eager import of it cost a second in every command
    code = ("import sys\n"
            "from digitnet._tf import tf\n"
            "assert not [name for name in sys.modules if name.split('.')[0] == 'keras'], 'Keras was imported'\n"
            "assert sys.modules.get('keras.src.optimizers', 'absent') == 'absent'\n"
            "assert tf.keras.layers.Dense(3).units == 3 and 'keras.src.optimizers' in sys.modules")
    run_in_a_fresh_python(code)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN's default differs off x86")
@pytest.mark.parametrize("setting, expected", [(None, True), ("0", False)])
def test_tensorflow_runs_through_onednn_unless_the_user_switched_it_off(setting, expected):
    # TensorFlow's own default is oneDNN only on AVX-512/AMX processors; elsewhere its convolutions are 2.6x slower
    environment = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    environment.update({"TF_ENABLE_ONEDNN_OPTS": setting} if setting else {})
    run_in_a_fresh_python("from digitnet._tf import tf\n"
                          "from tensorflow.python.util import _pywrap_util_port\n"
                          f"assert _pywrap_util_port.IsMklEnabled() is {expected}", environment)
