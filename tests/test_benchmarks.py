"""Tests of the benchmark harness (benchmarks/): its import graph, its helpers, and smoke runs of
`benchmarks.run --tiny` on the synthetic MNIST folder (one repetition, a few batches) that check every
section produces numbers and the outputs get written. PyTorch is optional (CI installs only
requirements.txt): its rows are then skipped with a note.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# benchmarks/ is a folder of the checkout, not part of the installed package: make it importable when
# pytest is started as `pytest` (which, unlike `python -m pytest`, does not put the checkout on sys.path).
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS.parent))

from benchmarks import machine, model_table, real_digits, report, run, torch_worker, user_images  # noqa: E402
from benchmarks.context import Plan  # noqa: E402
from benchmarks.flops import forward_flops, layer_shapes, training_flops, training_matmul_shapes  # noqa: E402
from benchmarks.image_set import ensure_images  # noqa: E402
from benchmarks.markdown import floors_table, fmt, table  # noqa: E402
from benchmarks.sections import SECTIONS  # noqa: E402
from benchmarks.stats import floor, rejudge, summarize  # noqa: E402
from benchmarks.step_profile import categorize  # noqa: E402
from digitnet.images import analyse  # noqa: E402
from digitnet.images.segment import find_glyphs  # noqa: E402
from digitnet.line_reader import LineDigit  # noqa: E402

# The only imports allowed inside functions: optional heavy frameworks, loaded by their worker process only.
OPTIONAL_FRAMEWORKS = ("torch", "keras")
FLOORS_HEADER = "| section | what | measured | target | result |"


# ---------------------------------------------------------------------------------------------------
# The import graph


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """(module -> the benchmarks modules it imports anywhere, the function-level imports that are not allowed)."""
    modules = {("benchmarks" if path.stem == "__init__" else f"benchmarks.{path.stem}"): path
               for path in BENCHMARKS.glob("*.py")}
    graph, forbidden = {}, []
    for module, path in modules.items():
        source = path.read_text()
        tree = ast.parse(source)
        lines = source.splitlines()
        graph[module] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("benchmarks"):
                graph[module] |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                                  else node.module for alias in node.names}
            elif isinstance(node, ast.Import):
                graph[module] |= {alias.name for alias in node.names if alias.name in modules}
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                allowed = all(name.split(".")[0] in OPTIONAL_FRAMEWORKS for name in names)
                commented = any("optional" in line for line in lines[max(0, node.lineno - 3) : node.lineno])
                if not (allowed and commented):
                    forbidden.append(f"{path.name}:{node.lineno} imports {', '.join(names)} inside a function")
    return graph, forbidden


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` as [a, b, ..., a], or [] when there is none (depth-first search)."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[node] = "done"
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return []


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_benchmarks_import_graph_has_no_cycles_and_no_function_level_imports():
    graph, forbidden = import_graph()
    assert "benchmarks.run" in graph and "benchmarks.sections" in graph["benchmarks.run"]
    assert "benchmarks.machine" in graph["benchmarks.context"]  # `from benchmarks import machine` is an edge
    assert find_cycle(graph) == []
    assert forbidden == []


# ---------------------------------------------------------------------------------------------------
# Helpers


def test_flop_counts_follow_the_documented_formula():
    assert layer_shapes((512, 256)) == [(784, 512), (512, 256), (256, 10)]
    forward = 2 * (784 * 512 + 512 * 256 + 256 * 10)
    assert forward_flops((512, 256)) == forward == 1_070_080
    # forward + weight gradients + input gradients of every layer but the first
    assert training_flops((512, 256)) == 2 * forward + 2 * (512 * 256 + 256 * 10) == 2_407_424
    # the default CNN: 5x5 convolutions 1->16 on 28x28 and 16->32 on 14x14, then 7*7*32 -> 128 -> 10
    conv1, conv2, dense = 2 * 28 * 28 * 16 * 25, 2 * 14 * 14 * 32 * 25 * 16, 2 * (7 * 7 * 32 * 128 + 128 * 10)
    assert forward_flops((128,), (16, 32)) == conv1 + conv2 + dense
    assert training_flops((128,), (16, 32)) == 2 * (conv1 + conv2 + dense) + conv2 + dense


def test_step_profile_shapes_and_categories():
    # forward, weight gradient, and input gradient for all layers but the first: 3 layers -> 8 products
    shapes = training_matmul_shapes((512, 256), batch_size=64)
    assert shapes[:3] == [(64, 784, 512), (784, 64, 512), (64, 512, 256)]
    assert len(shapes) == 8
    assert sum(2 * m * k * n for m, k, n in shapes) == 64 * training_flops((512, 256))
    assert categorize("hidden1/Relu", "_MklNativeFusedMatMul") == "matrix products and convolutions"
    assert categorize("conv1/Relu", "_MklNativeFusedConv2D") == "matrix products and convolutions"
    backprop = "_MklNativeConv2DBackpropFilter"
    assert categorize("training/gradients/conv2/Conv2D_grad/Conv2DBackpropFilter", backprop).startswith("matrix")
    assert categorize("conv1/MaxPool2d", "_MklNativeMaxPool") == "other ops"
    assert categorize("training/Adam/update_hidden1/weights/ResourceApplyAdam", "ResourceApplyAdam").startswith("optim")
    assert categorize("training_data/Gather", "ResourceGather") == "batch gather and scaling"
    assert categorize("loss/cross_entropy", "Mean") == "other ops"


def test_the_matmul_peak_is_also_measured_with_openblas_own_kernels_where_the_environment_names_others(monkeypatch):
    # OPENBLAS_CORETYPE is read when OpenBLAS loads, so this process keeps its kernels; the child is told none
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert "OPENBLAS_CORETYPE" not in machine.blas_own_choice(dict(os.environ))
    peak = machine.matmul_peak(sizes=(64, 128), repeats=1)
    here, own = peak["kernels"]
    assert "OPENBLAS_CORETYPE=Haswell in the environment" in here and "own choice" in own, peak["kernels"]
    measured = [value for value in peak["kernels"].values() if isinstance(value, float)]
    assert len(measured) == 2, peak["kernels"]  # both measured: the child ran
    assert peak["gflops"] == pytest.approx(max(measured), abs=0.1)
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert len(machine.matmul_peak(sizes=(64,), repeats=1)["kernels"]) == 1  # nothing names other kernels


def test_summaries_and_floors():
    stat = summarize([3.0, 1.0, 2.0], "s")
    assert (stat["median"], stat["min"], stat["max"], stat["n"]) == (2.0, 1.0, 3.0, 3)
    assert fmt(stat, 1) == "2.0 (1.0–3.0, n=3) s"
    assert fmt(summarize([])) == "n/a"
    assert floor("x", "speed", 2.5, 2.0)["passed"] is True
    assert floor("x", "time", 6.0, 5.0, higher_is_better=False)["passed"] is False
    assert floor("x", "missing", None, 1.0)["passed"] is None
    item = floor("x", "fraction", 0.7, 0.6, unit="of peak")
    rejudge(item, 0.5)
    assert (item["value"], item["passed"], item["comparison"]) == (0.5, False, ">=")


def test_markdown_tables():
    assert table(["a", "b"], [[1, 2], ["only"]]) == ["| a | b |", "| --- | --- |", "| 1 | 2 |", "| only |  |"]
    lines = floors_table([floor("s", "ratio", 2.5, 2.0, unit="x"), floor("s", "share", None, 0.9)])
    assert lines[0] == FLOORS_HEADER
    assert lines[2:] == ["| s | ratio | 2.50x | >= 2.00x | PASS |", "| s | share | n/a | >= 90.0% | n/a |"]
    assert floors_table([]) == []


def test_plan_options():
    default, quick = Plan.make(), Plan.make(quick=True)
    assert default.repeats >= 5 and quick.repeats < default.repeats
    assert default.loadtxt_repeats <= 2 and default.accuracy_runs == 3  # three seeds per model
    assert Plan.make(repeats=7).repeats == 7
    assert Plan.make(tiny=True).repeats == 1


def test_every_section_has_measure_and_markdown():
    assert list(SECTIONS) == ["training", "time_to_accuracy", "data_loading", "inference", "user_images", "real_digits"]
    for module in SECTIONS.values():
        assert callable(module.measure) and callable(module.to_markdown)


def test_torch_worker_skips_cleanly_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    result = torch_worker.measure({})
    assert "skipped" in result and "not importable" in result["skipped"]


# ---------------------------------------------------------------------------------------------------
# Smoke runs


@pytest.fixture(scope="module")
def user_images_dir(tmp_path_factory, mnist_dir):
    """The user-like set rendered from the synthetic test digits, one image per kind."""
    return ensure_images(tmp_path_factory.mktemp("user_images"), mnist_dir, per_kind=1)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory, mnist_dir, trained_export, user_images_dir):
    """One `--tiny` run of every section; returns (exit status, output folder, results dict)."""
    out = tmp_path_factory.mktemp("bench_out")
    status = run.main(["--tiny", "--data", str(mnist_dir), "--model", str(trained_export[0]),
                       "--images", str(user_images_dir), "--out", str(out)])
    return status, out, json.loads((out / "results.json").read_text())


def test_tiny_run_measures_every_section(tiny_results):
    status, _, results = tiny_results
    assert status == 0
    assert results["machine"]["cpu"]["logical_cpus"] >= 1
    assert results["matmul_peak"]["gflops"] > 0 and len(results["matmul_peak"]["measurements_gflops"]) == 2
    sections = results["sections"]
    assert list(sections) == list(SECTIONS)
    for name in SECTIONS:
        assert "error" not in sections[name], sections[name].get("error")
    workload, cnn = sections["training"]["workloads"]  # the smoke run measures the first MLP and the CNN
    assert workload["settings"]["hidden_units"] == [1024, 512] and workload["settings"]["batch_size"] == 256
    assert cnn["settings"]["conv_filters"] == [16, 32] and cnn["settings"]["hidden_units"] == [128]
    for measured in (workload, cnn):
        training = measured["frameworks"]
        for name in ("ours", "keras"):
            assert training[name]["examples_per_second"]["median"] > 0
            assert 0 <= training[name]["test_accuracy"]["median"] <= 1
        torch_row = training["torch"]
        assert torch_row["repetitions"] == 1 or "not importable" in torch_row["note"]
        assert measured["ours_gflops"]["median"] > 0
    assert cnn["flops_per_example"] == training_flops((128,), (16, 32))
    assert sections["training"]["matmul_peak_gflops"] == results["matmul_peak"]["gflops"]  # the final peak
    # the CNN's step is traced too: its convolutions count with the matrix products, and numpy has no rate for them
    cnn_profile = cnn["profile"]
    assert cnn_profile["ms_per_step"]["matrix products and convolutions"] > 0 and cnn_profile["numpy_matmul_ms"] is None
    cnn_bounds = cnn_profile["bounds"]
    assert cnn_bounds["ceiling_traced_matmuls"] > 0 and cnn_bounds["ceiling_numpy_matmuls"] is None
    assert any("Conv2D" in kind for kind in cnn_profile["matmul_op_types"]), cnn_profile["matmul_op_types"]
    profile = workload["profile"]
    assert profile["ms_per_step"]["matrix products and convolutions"] > 0 and profile["numpy_matmul_ms"] > 0
    assert profile["bounds"]["ceiling_traced_matmuls"] > 0
    # every forward product of the 2-hidden-layer MLP fused with its bias add: 3 fused ops
    assert sum(n for kind, n in profile["matmul_op_types"].items() if "Fused" in kind) == 3, profile["matmul_op_types"]
    assert sections["data_loading"]["digitnet_seconds"]["median"] > 0
    assert sections["data_loading"]["loadtxt_seconds"]["median"] > 0
    (default,) = sections["time_to_accuracy"]["models"]  # the smoke run trains the default once
    assert default["name"] == "default" and default["total_seconds"]["median"] > 0
    assert default["runs"][0]["curve"] and default["epoch_seconds"]["median"] <= default["total_seconds"]["median"]
    inference = sections["inference"]
    for key in ("tensorflow_import_seconds", "cold_load_seconds", "cli_evaluate_seconds", "cli_predict_seconds"):
        assert inference[key]["median"] > 0
    assert inference["model"]["chosen"] == "given with --model"
    assert inference["latency_ms"]["prepare_sample_photo"]["median"] > 0
    assert inference["batch_images_per_second"]["median"] > 0
    user = sections["user_images"]
    assert user["images"] == 10 and sum(tally["images"] for tally in user["kinds"].values()) == 10
    assert 0 <= user["overall"]["naive_accuracy"] <= 1 and user["overall"]["prepared_refused"] >= 0
    for layout, _, *shares in sections["real_digits"]["numbers"]["by_layout"]:  # right, refused, wrong: all of them
        assert abs(sum(float(share.rstrip("%")) for share in shares) - 100) < 0.2, layout
    # the photos on a desk and on turned ruled paper are reported apart, and kept out of the single-digit figures
    desk, digits = sections["real_digits"]["on_desk"], sections["real_digits"]["digits"]
    assert desk["images"] == 3 and sum(count for _, count, *_ in desk["by_kind"]) == 3
    ruled = sections["real_digits"]["ruled_turned"]
    assert ruled["images"] == 3 and sum(count for _, count, *_ in ruled["by_kind"]) == 3
    assert sum(count for _, count, *_ in ruled["by_ruling"]) == sum(count for _, count, *_ in ruled["by_style"]) == 3
    assert digits["images"] == sum(count for _, count, *_ in digits["by_style"]) <= 12
    # the same single digits read again shrunk to a thumbnail's size: right, refused and wrong for each size
    assert [row[:2] for row in digits["shrunk"]] == [["28 px", digits["images"]], ["48 px", digits["images"]]]
    for _, _, *shares in digits["shrunk"]:
        assert abs(sum(float(share.rstrip("%")) for share in shares) - 100) < 0.2


def test_the_reader_alone_spells_each_touching_number_that_is_one_mark(tmp_path):
    """`real_digits.reader_alone` gives the reader each touching number whose ink is one mark, as a line, and
    counts the spellings equal to the label; a model without a reader gets None."""
    class StandInReader:
        def __init__(self, spelling: str):
            self.spelling, self.lines = spelling, []

        def read(self, line):
            self.lines.append(line)
            return [LineDigit(int(d), 0.99, np.eye(10, dtype=np.float32)[int(d)], (0, 4)) for d in self.spelling]

    def marks(path: Path) -> int:
        found = analyse(path, path.name)
        return sum(not glyph.separator for glyph in find_glyphs(found.ink_pixels, found.smoothed, path.name))

    folder = real_digits.ensure_yardstick(tmp_path / "yardstick", tiny=True)
    frame = pd.read_csv(folder / "labels.csv", dtype={"label": str}, keep_default_na=False)
    gapped = frame.index[(frame["section"] == "C") & frame["variant"].str.startswith("gap")][0]
    frame.loc[gapped, "variant"] = "touching_straight"  # several marks: not given to the reader
    touching = (frame["section"] == "C") & frame["variant"].str.startswith("touching")
    frame.loc[touching, "label"] = "7"  # what the stand-in spells right
    one_mark = sum(marks(folder / name) == 1 for name in frame[touching]["file"])
    assert 0 < one_mark < touching.sum()
    assert real_digits.reader_alone(types.SimpleNamespace(line_reader=None), frame, folder) is None
    for spelling, share in (("7", 1.0), ("71", 0.0)):
        reader = StandInReader(spelling)
        alone = real_digits.reader_alone(types.SimpleNamespace(line_reader=reader), frame, folder)
        assert alone == {"one_mark": one_mark, "spelled_right": share} and len(reader.lines) == one_mark
        assert all(line.shape[0] == 28 and line.min() >= 0 and line.max() <= 1 for line in reader.lines)


def test_the_reader_in_domain_spells_lines_of_each_length_made_of_the_digits_given():
    """`real_digits.reader_in_domain` composes touching lines of 2, 4 and 6 of the given digits and counts the
    reader's spellings equal to them; a model without a reader gets None."""
    class StandInReader:
        def __init__(self, spelling: str):
            self.spelling, self.lines = spelling, []

        def read_lines(self, lines):
            self.lines += lines
            return [[LineDigit(int(d), 0.99, np.eye(10, dtype=np.float32)[int(d)], (0, 4)) for d in self.spelling]
                    for _ in lines]

    images = np.zeros((5, 28, 28), np.uint8)
    images[:, 4:24, 8:20] = 255  # every "digit" a block labelled 7
    images, labels = images.reshape(5, 784), np.full(5, 7)
    assert real_digits.reader_in_domain(types.SimpleNamespace(line_reader=None), images, labels) is None
    reader = StandInReader("7777")
    shares = real_digits.reader_in_domain(types.SimpleNamespace(line_reader=reader), images, labels, lines_each=3)
    assert shares == {"2": 0.0, "4": 1.0, "6": 0.0}
    assert len(reader.lines) == 9 and all(line.shape[0] == 28 and line.max() <= 1 for line in reader.lines)


def test_tiny_run_writes_markdown_json_and_chart(tiny_results):
    _, out, results = tiny_results
    markdown = (out / "results.md").read_text()
    for heading in ("## Machine", "## Floors", "Training throughput", "Where our step's time goes",
                    "Time to accuracy", "Data loading", "Inference", "User-like images", "Real digits",
                    "Photos of the sheet on a desk", "Photos on ruled or squared paper, turned"):
        assert heading in markdown
    assert markdown.count(FLOORS_HEADER) == 1  # every floor of every section in one table
    floors = [item for section in results["sections"].values() for item in section["floors"]]
    assert len(floors) == 22 and all(f"| {item['what']} |" in markdown for item in floors)
    assert all(item["passed"] in (True, False, None) for item in floors)
    assert "results.png" in markdown and (out / "results.png").stat().st_size > 10_000
    assert "/tmp/" not in markdown  # no machine paths in what gets committed


def test_only_reruns_one_section_and_keeps_the_rest(tiny_results, mnist_dir):
    _, out, before = tiny_results
    assert run.main(["--tiny", "--only", "data_loading", "--data", str(mnist_dir), "--out", str(out)]) == 0
    after = json.loads((out / "results.json").read_text())
    assert set(after["sections"]) == set(before["sections"])
    assert after["sections"]["training"] == before["sections"]["training"]
    assert after["sections"]["data_loading"]["run"] != before["sections"]["data_loading"]["run"]
    markdown = (out / "results.md").read_text()
    assert "Kept from an earlier run" in markdown and "| training (earlier run) |" in markdown


def test_a_kept_section_measured_on_another_processor_names_it():
    def cpu(*extensions, family="25"):
        return {"model": "AMD EPYC", "family": family, "model_number": "17", "logical_cpus": 2, "usable_cpus": 2,
                "physical_cores": 2, "vector_extensions": list(extensions)}

    kept = {"title": "Training", "error": "not measured", "run": "2026-01-01", "cpu": cpu("avx2", "avx512f")}
    elsewhere = "\n".join(report.section_lines(1, "training", kept, "2026-02-01", cpu("avx2")))
    assert "Kept from an earlier run (2026-01-01, on another processor: AMD EPYC (family 25, model 17)" in elsewhere
    assert "avx512f" in elsewhere
    # the same name and extensions, another generation (a virtual machine calls them all "AMD EPYC")
    newer = "\n".join(report.section_lines(1, "training", kept, "2026-02-01", cpu("avx2", "avx512f", family="26")))
    assert "on another processor: AMD EPYC (family 25, model 17)" in newer
    same = "\n".join(report.section_lines(1, "training", kept, "2026-02-01", cpu("avx2", "avx512f")))
    assert "Kept from an earlier run (2026-01-01); not re-measured" in same


def test_a_model_using_section_runs_alone(tmp_path, mnist_dir, user_images_dir, tiny_results):
    """No other section ran first, no model given: the section trains its own and measures the same things
    as within the whole run (user_images: the cheapest of the sections that need a model)."""
    assert run.main(["--tiny", "--only", "user_images", "--data", str(mnist_dir), "--images", str(user_images_dir),
                     "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results["sections"]) == ["user_images"]
    alone, within = results["sections"]["user_images"], tiny_results[2]["sections"]["user_images"]
    assert "error" not in alone, alone.get("error")
    assert alone["model"]["chosen"] == "trained by this run with TrainConfig() defaults"
    assert set(alone) == set(within) and set(alone["kinds"]) == set(within["kinds"])
    assert alone["images"] == within["images"] > 0


def test_missing_data_is_one_line(tmp_path, capsys):
    assert run.main(["--data", str(tmp_path), "--only", "data_loading", "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip()
    assert "make data" in error and len(error.splitlines()) == 1


def test_unknown_section_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "nonsense"])
    assert exit_info.value.code == 2


def test_user_images_standalone(tmp_path, trained_export, user_images_dir):
    out = tmp_path / "user_images.md"
    assert user_images.main(["--model", str(trained_export[0]), "--images", str(user_images_dir),
                             "--out", str(out)]) == 0
    text = out.read_text()
    assert "| **overall** | 10 |" in text and FLOORS_HEADER in text


def test_model_table_smoke(tmp_path, mnist_dir, user_images_dir):
    status = model_table.main(["--configs", "default", "--data", str(mnist_dir), "--images", str(user_images_dir),
                               "--export-dir", str(tmp_path / "models"), "--out", str(tmp_path), "--max-epochs", "1",
                               "--validation-size", "100", "--quiet"])
    assert status == 0
    assert "| default |" in (tmp_path / "models.md").read_text()
    results = json.loads((tmp_path / "results.json").read_text())
    row = results["models"]["rows"][0]
    assert row["epochs_run"] == 1 and 0 <= row["test_accuracy"] <= 1 and row["user_images"] == 10
    markdown = (tmp_path / "results.md").read_text()
    assert "## Trained models" in markdown and markdown.count(FLOORS_HEADER) == 1
    assert "| models | user-image accuracy, default |" in markdown
