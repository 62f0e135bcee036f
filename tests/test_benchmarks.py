"""Smoke tests of the benchmark harness (benchmarks/): every section produces numbers and the outputs get
written. They run `benchmarks.run --tiny` on the synthetic MNIST folder: one repetition, a few batches.
PyTorch is optional (CI installs only requirements.txt): its rows are then skipped with a note.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# benchmarks/ is a folder of the checkout, not part of the installed package: make it importable when
# pytest is started as `pytest` (which, unlike `python -m pytest`, does not put the checkout on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import run, torch_mlp  # noqa: E402
from benchmarks.common import Plan, floor, fmt, summarize  # noqa: E402
from benchmarks.flops import forward_flops, layer_shapes, training_flops  # noqa: E402
from benchmarks.step_profile import categorize, training_matmul_shapes  # noqa: E402
from benchmarks.user_images import ensure_images  # noqa: E402

SECTIONS = ("data_loading", "training", "time_to_accuracy", "inference", "user_images")


@pytest.fixture(scope="module")
def user_images_dir(tmp_path_factory, mnist_dir):
    """The user-like set rendered from the synthetic test digits, one image per kind."""
    return ensure_images(tmp_path_factory.mktemp("user_images"), mnist_dir, per_kind=1)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory, mnist_dir, trained_export, user_images_dir):
    """One `--tiny` run of every section; returns (exit status, output folder, results dict)."""
    out = tmp_path_factory.mktemp("bench_out")
    model_dir = trained_export[0]
    status = run.main(["--tiny", "--data", str(mnist_dir), "--model", str(model_dir),
                       "--images", str(user_images_dir), "--out", str(out)])
    return status, out, json.loads((out / "results.json").read_text())


def test_flop_counts_follow_the_documented_formula():
    assert layer_shapes((512, 256)) == [(784, 512), (512, 256), (256, 10)]
    forward = 2 * (784 * 512 + 512 * 256 + 256 * 10)
    assert forward_flops((512, 256)) == forward == 1_070_080
    # forward + weight gradients + input gradients of every layer but the first
    assert training_flops((512, 256)) == 2 * forward + 2 * (512 * 256 + 256 * 10) == 2_407_424


def test_step_profile_shapes_and_categories():
    # forward, weight gradient, and input gradient for all layers but the first: 3 layers -> 8 products
    shapes = training_matmul_shapes((512, 256), batch_size=64)
    assert shapes[:3] == [(64, 784, 512), (784, 64, 512), (64, 512, 256)]
    assert len(shapes) == 8
    assert sum(2 * m * k * n for m, k, n in shapes) == 64 * training_flops((512, 256))
    assert categorize("hidden1/Relu", "_MklNativeFusedMatMul") == "matrix products"
    assert categorize("training/Adam/update_hidden1/weights/ResourceApplyAdam", "ResourceApplyAdam").startswith("optim")
    assert categorize("training_data/Gather", "ResourceGather") == "batch gather and scaling"
    assert categorize("loss/cross_entropy", "Mean") == "other ops"


def test_summaries_and_floors():
    stat = summarize([3.0, 1.0, 2.0], "s")
    assert (stat["median"], stat["min"], stat["max"], stat["n"]) == (2.0, 1.0, 3.0, 3)
    assert fmt(stat, 1) == "2.0 (1.0–3.0, n=3) s"
    assert fmt(summarize([])) == "n/a"
    assert floor("x", "speed", 2.5, 2.0)["passed"] is True
    assert floor("x", "time", 6.0, 5.0, higher_is_better=False)["passed"] is False
    assert floor("x", "missing", None, 1.0)["passed"] is None


def test_plan_options():
    default, quick = Plan.make(), Plan.make(quick=True)
    assert default.repeats >= 5 and quick.repeats < default.repeats
    assert default.loadtxt_repeats <= 2 and default.accuracy_runs <= 2
    assert Plan.make(repeats=7).repeats == 7
    assert Plan.make(tiny=True).repeats == 1


def test_tiny_run_measures_every_section(tiny_results):
    status, _, results = tiny_results
    assert status == 0
    assert results["machine"]["cpu"]["logical_cpus"] >= 1
    assert results["matmul_peak"]["gflops"] > 0
    sections = results["sections"]
    for name in SECTIONS:
        assert "error" not in sections[name], sections[name].get("error")
    training = sections["training"]["frameworks"]
    for name in ("ours", "keras"):
        assert training[name]["examples_per_second"]["median"] > 0
        assert 0 <= training[name]["test_accuracy"]["median"] <= 1
    torch_row = training["torch"]
    assert torch_row["repetitions"] == 1 or "not importable" in torch_row["note"]
    assert sections["training"]["ours_gflops"]["median"] > 0
    profile = sections["training"]["profile"]
    assert profile["ms_per_step"]["matrix products"] > 0 and profile["numpy_matmul_ms"] > 0
    assert profile["bounds"]["ceiling_traced_matmuls"] > 0
    assert sections["data_loading"]["digitnet_seconds"]["median"] > 0
    assert sections["data_loading"]["loadtxt_seconds"]["median"] > 0
    assert sections["time_to_accuracy"]["total_seconds"]["median"] > 0
    inference = sections["inference"]
    for key in ("tensorflow_import_seconds", "cold_load_seconds", "cli_evaluate_seconds", "cli_predict_seconds"):
        assert inference[key]["median"] > 0
    assert inference["latency_ms"]["prepare_sample_photo"]["median"] > 0
    assert inference["batch_images_per_second"]["median"] > 0
    assert sections["user_images"]["images"] == 10
    assert set(sections["user_images"]["kinds"]) and 0 <= sections["user_images"]["overall"]["naive_accuracy"] <= 1


def test_tiny_run_writes_markdown_json_and_chart(tiny_results):
    _, out, results = tiny_results
    markdown = (out / "results.md").read_text()
    for heading in ("## Machine", "## Floors", "Training throughput", "Where our step's time goes",
                    "Time to accuracy", "Data loading",
                    "Inference", "User-like images"):
        assert heading in markdown
    assert "results.png" in markdown and (out / "results.png").stat().st_size > 10_000
    assert all(item["passed"] in (True, False, None) for s in results["sections"].values() for item in s["floors"])
    assert "/tmp/" not in markdown  # no machine paths in what gets committed


def test_only_reruns_one_section_and_keeps_the_rest(tiny_results, mnist_dir):
    _, out, before = tiny_results
    assert run.main(["--tiny", "--only", "data_loading", "--data", str(mnist_dir), "--out", str(out)]) == 0
    after = json.loads((out / "results.json").read_text())
    assert set(after["sections"]) == set(before["sections"])
    assert after["sections"]["training"] == before["sections"]["training"]
    assert after["sections"]["data_loading"]["run"] != before["sections"]["data_loading"]["run"]
    assert "Kept from an earlier run" in (out / "results.md").read_text()


def test_missing_data_is_one_line(tmp_path, capsys):
    assert run.main(["--data", str(tmp_path), "--only", "data_loading", "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip()
    assert "make data" in error and len(error.splitlines()) == 1


def test_unknown_section_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "nonsense"])
    assert exit_info.value.code == 2


def test_torch_worker_skips_cleanly_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    result = torch_mlp.measure({})
    assert "skipped" in result and "not importable" in result["skipped"]


def test_user_images_standalone(tmp_path, trained_export, user_images_dir):
    from benchmarks import user_images

    out = tmp_path / "user_images.md"
    assert user_images.main(["--model", str(trained_export[0]), "--images", str(user_images_dir),
                             "--out", str(out)]) == 0
    assert "| **overall** | 10 |" in out.read_text()


def test_model_table_smoke(tmp_path, mnist_dir, user_images_dir):
    from benchmarks import model_table

    status = model_table.main(["--configs", "default", "--data", str(mnist_dir), "--images", str(user_images_dir),
                               "--export-dir", str(tmp_path / "models"), "--out", str(tmp_path), "--max-epochs", "1",
                               "--validation-size", "100", "--quiet"])
    assert status == 0
    assert "| default |" in (tmp_path / "models.md").read_text()
    row = json.loads((tmp_path / "results.json").read_text())["models"]["rows"][0]
    assert row["epochs_run"] == 1 and 0 <= row["test_accuracy"] <= 1 and row["user_images"] == 10
