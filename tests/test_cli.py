"""`python -m digitnet`: the contract's commands, JSON lines, exit statuses and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from digitnet.cli import main
from digitnet.model import SavedModelClassifier

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "MNIST" / "samples").iterdir() if p.is_file())


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitnet", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def answers_everything(monkeypatch):
    """The tiny model, trained on synthetic bars, is unsure of real images and would refuse them: these
    tests check the output contract, so the refusal thresholds are opened up (test_reading checks them),
    and a lone digit is not tried as touching digits (every piece of it would now pass as a digit)."""
    from digitnet import answers, reading

    monkeypatch.setattr(answers, "CONFIDENCE_FLOOR", 0.0)
    monkeypatch.setattr(answers, "NOT_DIGIT_LIMIT", 1.0)
    monkeypatch.setattr(reading, "NOT_DIGIT_LIMIT", 1.0)
    monkeypatch.setattr(reading, "SURE_CUT_ASPECT", float("inf"))


def test_predict_json_lines_match_the_contract(trained_export, capsys, answers_everything):
    export_dir, _, _ = trained_export
    status = main(["predict", "--model", str(export_dir), "--json", *map(str, SAMPLES[:3])])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and len(lines) == 3
    for line, path in zip(lines, SAMPLES[:3], strict=True):
        answer = json.loads(line)
        assert set(answer) == {"path", "digit", "confidence", "probabilities", "number"}
        assert answer["number"] == str(answer["digit"])
        assert answer["path"] == str(path) and 0 <= answer["digit"] <= 9
        assert len(answer["probabilities"]) == 10 and abs(sum(answer["probabilities"]) - 1) < 1e-4
        assert answer["confidence"] == max(answer["probabilities"])


def test_mixed_batch_answers_the_good_and_refuses_the_bad(trained_export, tmp_path, capsys, answers_everything):
    export_dir, _, _ = trained_export
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    status = main(["predict", "--model", str(export_dir), "--json", str(SAMPLES[0]), str(empty), str(blank),
                   str(SAMPLES[1])])
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1
    assert [("error" in a) for a in answers] == [False, True, True, False]
    assert answers[1] == {"path": str(empty), "error": "empty file"}  # the path once, the reason alone
    assert "digit" in answers[3]


def test_plain_predict_prints_one_line_per_image_and_errors_on_stderr(trained_export, tmp_path, capsys,
                                                                     answers_everything):
    export_dir, _, _ = trained_export
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    status = main(["predict", "--model", str(export_dir), str(SAMPLES[0]), str(text_file)])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out.splitlines()[0].startswith(f"{SAMPLES[0]}: ")
    assert str(text_file) in captured.err and len(captured.err.strip().splitlines()) == 1


def test_predict_reads_every_file_of_a_folder_in_name_order(trained_export, tmp_path, capsys, answers_everything):
    export_dir, _, _ = trained_export
    folder = tmp_path / "photos"
    folder.mkdir()
    for sample in SAMPLES[:2]:
        shutil.copy(sample, folder / sample.name)
    (folder / ".DS_Store").write_bytes(bytes(16))  # hidden: left out
    (folder / "notes.txt").write_text("not an image")  # no image: refused on its own line
    empty = tmp_path / "empty"
    empty.mkdir()
    status = main(["predict", "--model", str(export_dir), "--json", str(folder), str(empty)])
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    in_folder = sorted([folder / sample.name for sample in SAMPLES[:2]] + [folder / "notes.txt"])
    assert [answer["path"] for answer in answers] == [*map(str, in_folder), str(empty)]
    by_path = {answer["path"]: answer for answer in answers}
    assert all("number" in by_path[str(folder / sample.name)] for sample in SAMPLES[:2])
    assert "error" in by_path[str(folder / "notes.txt")] and by_path[str(empty)]["error"] == "no files in this folder"
    assert status == 1


def test_evaluate_prints_accuracy_of_the_model(trained_export, mnist_dir, capsys):
    export_dir, result, _ = trained_export
    status = main(["evaluate", "--model", str(export_dir), "--x", str(mnist_dir / "digit_xtest.csv"),
                   "--y", str(mnist_dir / "digit_ytest.csv")])
    assert status == 0
    assert f"test accuracy {result.test_accuracy:.2%}" in capsys.readouterr().out


def test_train_exports_and_reports(tmp_path, mnist_dir, capsys):
    status = main(["train", "--epochs", "1", "--hidden", "16,8", "--batch-size", "50", "--validation-size", "100",
                   "--line-reader-steps", "3", "--data-dir", str(mnist_dir),
                   "--export-dir", str(tmp_path / "SavedModel"),
                   "--log-dir", str(tmp_path / "logs"), "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    assert "validation accuracy" in out and "test accuracy" in out
    assert "trained 1 epoch in " in out  # not "1 epochs"
    assert "line reader for touching digits: 3 batches" in out
    assert f"exported to {tmp_path / 'SavedModel' / '1'}" in out
    # the touching-digit reader travels with the model, where serving does not look, and loads with it
    assert (tmp_path / "SavedModel" / "1" / "assets.extra" / "line_reader.npz").is_file()
    with SavedModelClassifier(tmp_path / "SavedModel" / "1") as classifier:
        assert classifier.line_reader is not None


def test_dry_run_does_not_export(tmp_path, mnist_dir, capsys):
    status = main(["train", "--dry-run", "--hidden", "8", "--validation-size", "100", "--line-reader-steps", "0",
                   "--data-dir", str(mnist_dir),
                   "--export-dir", str(tmp_path / "SavedModel"), "--log-dir", str(tmp_path / "logs"), "--quiet"])
    assert status == 0 and "not exported" in capsys.readouterr().out
    assert not (tmp_path / "SavedModel").exists()


@pytest.mark.parametrize("argv", [["train", "--epochs", "0"], ["train", "--hidden", "a,b"], ["predict"],
                                  ["train", "--dropout", "1.5"], ["nonsense"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_bad_csv_is_one_line_on_stderr_and_status_1(tmp_path):
    (tmp_path / "x.csv").write_text(",".join(["0"] * 784) + "\n4,5\n")  # line 2 is ragged
    (tmp_path / "y.csv").write_text("1\n2\n")
    x, y = str(tmp_path / "x.csv"), str(tmp_path / "y.csv")
    shown = run_cli("evaluate", "--model", str(tmp_path), "--x", x, "--y", y)
    assert shown.returncode == 1
    assert shown.stderr.strip().count("\n") == 0, shown.stderr
    assert "Traceback" not in shown.stderr and "x.csv, line 2" in shown.stderr


def test_missing_model_says_how_to_get_one(tmp_path, mnist_dir):
    shown = run_cli("predict", "--export-dir", str(tmp_path / "SavedModel"), str(SAMPLES[0]))
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    assert "no exported model" in shown.stderr and "train" in shown.stderr


def test_missing_data_folder_says_how_to_build_it(tmp_path):
    shown = run_cli("train", "--data-dir", str(tmp_path / "MNIST"), "--quiet")
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    assert "digitnet data" in shown.stderr


def test_missing_input_is_said_before_tensorflow_loads(tmp_path):
    """A missing model, data folder or CSV is answered at once: TensorFlow (seconds to import) is not loaded."""
    cases = [["predict", "--export-dir", str(tmp_path / "SavedModel"), str(SAMPLES[0])],
             ["train", "--data-dir", str(tmp_path / "MNIST"), "--quiet"],
             ["evaluate", "--x", str(tmp_path / "x.csv")]]
    script = ("import json, sys\nfrom digitnet.cli import main\n"
              f"statuses = [main(argv) for argv in {cases!r}]\n"
              "print(json.dumps([statuses, 'tensorflow' in sys.modules]))")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert json.loads(shown.stdout.splitlines()[-1]) == [[1, 1, 1], False], shown.stderr
    assert shown.stderr.count("error: ") == 3 and "Traceback" not in shown.stderr
