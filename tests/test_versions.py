"""Which model version a user means: real folder names, ASCII numbers only, incomplete and partial runs skipped
with a note, one line for folders that cannot be read."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

from digitnet import versions
from digitnet.errors import DigitnetError
from digitnet.files import interrupts_deferred
from digitnet.versions import latest_version, list_versions, publish, resolve_model_dir


def make_version(base, name, accuracy=0.95, limit=None, complete=True, record=True):
    folder = base / name
    folder.mkdir(parents=True)
    if complete:
        (folder / versions.MODEL_FILE).write_bytes(b"")
    if record:
        facts = {"test_accuracy": accuracy, "parameters": {"limit": limit}, "training_rows": limit or 50000}
        (folder / versions.RECORD_NAME).write_text(json.dumps(facts))
    return folder


def resolve(base, model=None):
    notes = []
    return resolve_model_dir(model, base, notes.append), notes


def test_zero_padded_version_resolves_to_the_real_folder(tmp_path):
    folder = make_version(tmp_path, "02")
    chosen, notes = resolve(tmp_path, tmp_path)
    assert chosen == folder and chosen.exists()  # ".../02", never a rebuilt ".../2"
    assert list_versions(tmp_path) == [(2, folder)]
    assert notes == [f"using {folder} (recorded test accuracy 95.00%, trained on 50000 rows)"]


@pytest.mark.parametrize("name", ["²", "١٢", "１２", "1.0", "-1", " 3", "3 ", ".partial-abc", "notes"])
def test_names_that_are_not_ascii_numbers_are_not_versions(tmp_path, name):
    make_version(tmp_path, name)
    assert list_versions(tmp_path) == []


def test_incomplete_highest_version_is_skipped_with_a_note(tmp_path):
    good = make_version(tmp_path, "1")
    make_version(tmp_path, "2", complete=False)
    notes = []
    assert latest_version(tmp_path, notes.append) == good
    assert "skipped incomplete model version(s)" in notes[0] and str(tmp_path / "2") in notes[0]
    assert notes[-1].startswith(f"using {good}")


def test_a_newer_partial_run_does_not_become_the_default(tmp_path):
    full = make_version(tmp_path, "3", accuracy=0.992)
    smoke = make_version(tmp_path, "4", accuracy=0.81, limit=2000)
    notes = []
    assert latest_version(tmp_path, notes.append) == full
    assert notes == [
        f"skipped {smoke} (recorded test accuracy 81.00%, a partial run on the first 2000 rows): "
        f"pass --model {smoke} to use it",
        f"using {full} (recorded test accuracy 99.20%, trained on 50000 rows)",
    ]
    chosen, notes = resolve(tmp_path, smoke)  # named explicitly: used, silently
    assert chosen == smoke and notes == []


def test_only_partial_runs_use_the_highest_and_say_so(tmp_path):
    make_version(tmp_path, "1", limit=1000)
    newest = make_version(tmp_path, "2", limit=2000)
    notes = []
    assert latest_version(tmp_path, notes.append) == newest
    assert "every model version" in notes[0] and "partial run" in notes[1]


def test_a_version_without_a_record_counts_as_a_full_run(tmp_path):
    make_version(tmp_path, "1")
    foreign = make_version(tmp_path, "2", record=False)
    notes = []
    assert latest_version(tmp_path, notes.append) == foreign
    assert notes == [f"using {foreign} (no digitnet record: accuracy unknown)"]


def test_no_version_says_how_to_make_one(tmp_path):
    make_version(tmp_path, "1", complete=False)
    with pytest.raises(DigitnetError, match="only incomplete versions.*digitnet train"):
        latest_version(tmp_path, lambda message: None)


def one_line(error: DigitnetError, path) -> str:
    message = str(error)
    assert "\n" not in message and message.startswith(str(path)), message
    return message


def test_unlistable_folder_is_one_line(tmp_path, monkeypatch):
    make_version(tmp_path, "1")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(versions.os, "scandir", refuse)
    with pytest.raises(DigitnetError) as caught:
        latest_version(tmp_path, lambda message: None)
    assert "Permission denied" in one_line(caught.value, tmp_path)


def test_model_path_that_cannot_be_examined_is_one_line(tmp_path, monkeypatch):
    target = tmp_path / "locked" / "model"

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(target), "exists", refuse)
    with pytest.raises(DigitnetError) as caught:
        resolve_model_dir(target, tmp_path, lambda message: None)
    one_line(caught.value, target)


def test_base_that_is_a_file_is_one_line(tmp_path):
    base = tmp_path / "SavedModel"
    base.write_text("not a folder")
    with pytest.raises(DigitnetError) as caught:
        resolve_model_dir(None, base, lambda message: None)
    assert "is a file" in one_line(caught.value, base)
    with pytest.raises(DigitnetError) as caught:
        resolve_model_dir(base, tmp_path, lambda message: None)
    assert "is a file" in one_line(caught.value, base)


def test_publish_takes_the_next_number_after_the_highest(tmp_path):
    make_version(tmp_path, "07")
    finished = tmp_path / ".partial-x" / "model"
    finished.mkdir(parents=True)
    told = []
    assert publish(finished, tmp_path, told.append) == tmp_path / "8" and told == [tmp_path / "8"]


def test_ctrl_c_during_the_rename_is_delivered_after_it(tmp_path):
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append("handler"))
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            received.append("block finished")
        assert received == ["block finished", "handler"]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_evaluate_names_the_model_it_uses_on_stderr(tmp_path, trained_export, mnist_dir, capsys):
    """The issue's case end to end: SavedModel/ holding `02` (full) and a newer smoke run `3`."""
    from digitnet.cli import main

    export_dir, result, _ = trained_export
    base = tmp_path / "SavedModel"
    shutil.copytree(export_dir, base / "02")
    smoke = base / "3"
    shutil.copytree(export_dir, smoke)
    record = json.loads((smoke / versions.RECORD_NAME).read_text())
    record["parameters"]["limit"] = 2000
    (smoke / versions.RECORD_NAME).write_text(json.dumps(record))
    status = main(["evaluate", "--export-dir", str(base), "--x", str(mnist_dir / "digit_xtest.csv"),
                   "--y", str(mnist_dir / "digit_ytest.csv")])
    out, err = capsys.readouterr()
    assert status == 0 and out.startswith(f"{base / '02'}: test accuracy {result.test_accuracy:.2%}")
    assert err.splitlines() == [
        f"note: skipped {versions.describe(smoke)}: pass --model {smoke} to use it",
        f"note: using {versions.describe(base / '02')}",
    ]
    assert f"recorded test accuracy {result.test_accuracy:.2%}" in err
    status = main(["evaluate", "--model", str(smoke), "--x", str(mnist_dir / "digit_xtest.csv"),
                   "--y", str(mnist_dir / "digit_ytest.csv")])
    assert status == 0 and capsys.readouterr().err == f"note: using {versions.describe(smoke)}\n"


def test_publish_steps_over_a_file_that_has_the_next_number(tmp_path):
    make_version(tmp_path, "1")
    (tmp_path / "2").write_text("not a version")
    finished = tmp_path / ".partial-x" / "model"
    finished.mkdir(parents=True)
    assert publish(finished, tmp_path) == tmp_path / "3"
