"""Faults: destinations checked before training, no work lost when an export fails, kills that leave no
half-written version (and leftovers the next run removes), and exit statuses that tell the truth."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from digitnet import export as export_module
from digitnet import files
from digitnet.cli import main
from digitnet.files import LOCK_NAME, PARTIAL_PREFIX, STAGING_PREFIX, remove_stale
from digitnet.versions import MODEL_FILE, RECORD_NAME, list_versions

ROOT = Path(__file__).resolve().parent.parent


def train_args(mnist_dir: Path, tmp_path: Path, *extra: str) -> list[str]:
    """`train` options for a one-second run on the synthetic folder."""
    return ["train", "--epochs", "2", "--hidden", "16", "--batch-size", "50", "--validation-size", "100",
            "--negatives", "0", "--variants", "false", "--augment", "none", "--line-reader-steps", "0",
            "--data-dir", str(mnist_dir),
            "--export-dir", str(tmp_path / "SavedModel"), "--log-dir", str(tmp_path / "logs"), "--quiet", *extra]


def replace_option(args: list[str], option: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def assert_refused_before_training(capsys, tmp_path, status, *fragments) -> str:
    out, err = capsys.readouterr()
    assert status == 1 and "training" not in out, out  # not a step was run
    assert not (tmp_path / "logs").exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------------
# The destination, before training


def test_export_folder_that_is_a_file_is_refused_before_training(tmp_path, mnist_dir, capsys):
    blocker = tmp_path / "SavedModel"
    blocker.write_text("a file")
    status = main(train_args(mnist_dir, tmp_path))
    assert_refused_before_training(capsys, tmp_path, status, f"{blocker}: is a file", "--export-dir")


def test_export_folder_under_a_file_is_refused_before_training(tmp_path, mnist_dir, capsys):
    (tmp_path / "blocker").write_text("a file")
    args = replace_option(train_args(mnist_dir, tmp_path), "--export-dir", str(tmp_path / "blocker" / "models"))
    status = main(args)
    assert_refused_before_training(capsys, tmp_path, status, "cannot be created", "blocker is a file")


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_read_only_export_folder_is_refused_before_training(tmp_path, mnist_dir, capsys, monkeypatch, code):
    (tmp_path / "SavedModel").mkdir()
    real = export_module.tempfile.TemporaryFile

    def probe(*args, dir=None, **kwargs):  # root writes anywhere: simulate the refusal for this folder only
        if Path(dir) == tmp_path / "SavedModel":
            raise OSError(code, os.strerror(code))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(export_module.tempfile, "TemporaryFile", probe)
    status = main(train_args(mnist_dir, tmp_path))
    assert_refused_before_training(capsys, tmp_path, status, f"{tmp_path / 'SavedModel'}: cannot write there",
                                   os.strerror(code))


def test_full_disk_is_refused_before_training(tmp_path, mnist_dir, capsys, monkeypatch):
    monkeypatch.setattr(export_module.shutil, "disk_usage", lambda path: SimpleNamespace(free=1 << 20))
    status = main(train_args(mnist_dir, tmp_path))
    assert_refused_before_training(capsys, tmp_path, status, "only 1 MB free", "the run needs about")


def test_the_training_notebook_checks_the_destination_before_training():
    cells = json.loads((ROOT / "train_neural_network.ipynb").read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    check = next(i for i, source in enumerate(sources) if "check_destination(config)" in source)
    configured = next(i for i, source in enumerate(sources) if "TrainConfig.from_parameters" in source)
    trained = next(i for i, source in enumerate(sources) if "train(model, data, config)" in source)
    assert check == configured < trained


# ---------------------------------------------------------------------------------------------------
# The export fails anyway: the weights are kept and the message says how to export them


def test_failed_export_names_the_kept_checkpoint_and_the_command(tmp_path, mnist_dir, capsys, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_module, "_write_saved_model", full_disk)
    status = main(train_args(mnist_dir, tmp_path))
    err = capsys.readouterr().err.strip()
    assert status == 1 and "\n" not in err, err
    (run,) = (tmp_path / "logs").iterdir()
    checkpoint = run / "checkpoints"
    assert err.startswith(f"error: {tmp_path / 'SavedModel'}: cannot write the model there (No space left")
    assert f"kept in {checkpoint}" in err and f"python -m digitnet export {checkpoint} --export-dir" in err
    assert {"best.index", "network.json", RECORD_NAME} <= {p.name for p in checkpoint.iterdir()}
    assert list_versions(tmp_path / "SavedModel") == [] and not list((tmp_path / "SavedModel").iterdir())
    monkeypatch.undo()
    assert main(["export", str(checkpoint), "--export-dir", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "1" / MODEL_FILE).is_file()
    assert "test_accuracy" in (tmp_path / "elsewhere" / "1" / RECORD_NAME).read_text()


# ---------------------------------------------------------------------------------------------------
# Leftovers


def test_stale_leftovers_go_and_live_ones_stay(tmp_path):
    killed_file = tmp_path / f"{PARTIAL_PREFIX}x.csv.abc"
    killed_file.write_bytes(b"half")
    killed_folder = tmp_path / f"{STAGING_PREFIX}dead"
    (killed_folder / "model").mkdir(parents=True)
    (killed_folder / LOCK_NAME).touch()
    lockless_folder = tmp_path / f"{STAGING_PREFIX}nolock"  # killed before it could take its lock
    lockless_folder.mkdir()
    live_folder = tmp_path / f"{STAGING_PREFIX}live"
    live_folder.mkdir()
    (live_folder / LOCK_NAME).touch()
    young = tmp_path / f"{PARTIAL_PREFIX}y.csv.def"  # just created: its writer may not have locked it yet
    young.write_bytes(b"new")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    link = tmp_path / f"{STAGING_PREFIX}link"
    link.symlink_to(outside)
    old = time.time() - 60
    for path in (killed_file, killed_folder, lockless_folder, live_folder, link):
        os.utime(path, (old, old), follow_symlinks=False)
    with open(live_folder / LOCK_NAME) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        removed = set(remove_stale(tmp_path))
    assert removed == {killed_file, killed_folder, lockless_folder}
    assert live_folder.exists() and young.exists() and link.is_symlink() and outside.exists()


def test_atomic_write_holds_its_lock_while_writing(tmp_path):
    seen = []

    def write(stream):
        (partial,) = tmp_path.glob(f"{PARTIAL_PREFIX}*")
        os.utime(partial, (time.time() - 60, time.time() - 60))
        seen.append(remove_stale(tmp_path))  # a cleaner running now must not take it
        stream.write(b"done")

    files.atomic_write(tmp_path / "out.txt", write)
    assert seen == [[]] and (tmp_path / "out.txt").read_bytes() == b"done"


def complete(version: Path) -> bool:
    variables = version / "variables"
    return ((version / MODEL_FILE).stat().st_size > 0 and (version / RECORD_NAME).is_file()
            and (variables / "variables.index").is_file() and any(variables.glob("variables.data-*")))


def test_killed_runs_leave_no_half_written_version_and_the_next_run_cleans_up(tmp_path, mnist_dir):
    """Three runs SIGKILLed at random moments (two in the export), side by side; then one that finishes."""
    rng = random.Random()
    seed = rng.randrange(2**32)
    rng.seed(seed)
    environment = {**os.environ, "DIGITNET_CACHE_DIR": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3",
                   "PYTHONUNBUFFERED": "1"}  # each line as it is printed: the kills are timed on them
    command = [sys.executable, "-m", "digitnet", *train_args(mnist_dir, tmp_path)]
    # The tiny model's export takes about 40 ms after the log folder is printed: kills land inside it.
    plans = [("after the start", rng.uniform(0.5, 6.0)), ("into the export", rng.uniform(0.0, 0.04)),
             ("into the export", rng.uniform(0.0, 0.04))]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                             env=environment) for _ in plans]
    started = time.monotonic()
    for run, (when, delay) in zip(runs, plans, strict=True):
        if when == "into the export":  # training is over once the log folder is printed: the export comes next
            for line in run.stdout:
                if line.startswith("TensorBoard logs:"):
                    break
            time.sleep(delay)
        else:
            time.sleep(max(0.0, started + delay - time.monotonic()))
        run.kill()
    for run in runs:
        run.wait(timeout=60)
        run.stdout.close()
    context = f"seed {seed}, kills {plans}"
    base = tmp_path / "SavedModel"
    for _, version in list_versions(base):
        assert complete(version), f"half-written {version} ({context})"
    left = sorted(p.name for p in base.iterdir()) if base.exists() else []
    print(f"\nkilled runs ({context}) left in {base.name}: {left}")
    finished = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    versions = list_versions(base)
    assert versions and all(complete(version) for _, version in versions), context
    assert [p.name for p in base.iterdir() if p.name.startswith(".")] == [], context  # leftovers removed
    cache = tmp_path / "cache"
    assert not cache.exists() or not list(cache.glob(f"{PARTIAL_PREFIX}*")), context


# ---------------------------------------------------------------------------------------------------
# Exit statuses


INTERRUPTED_EXPORT = """
import atexit, os, signal, sys
import digitnet.versions as versions
from digitnet.cli import main
publish = versions.publish
def publish_then_ctrl_c(*args, **kwargs):
    target = publish(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C just as the export is renamed into place
    return target
versions.publish = publish_then_ctrl_c
import digitnet.export
digitnet.export.publish = publish_then_ctrl_c
atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))  # and again while Python shuts down
sys.argv = ["digitnet", *sys.argv[1:]]
sys.exit(main())
"""


def test_ctrl_c_right_after_a_finished_export_exits_0(tmp_path, trained_export):
    _, result, _ = trained_export
    shown = subprocess.run([sys.executable, "-c", INTERRUPTED_EXPORT, "export", str(result.checkpoint_dir),
                            "--export-dir", str(tmp_path / "SavedModel")], capture_output=True, text=True,
                           cwd=ROOT, timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert f"exported to {tmp_path / 'SavedModel' / '1'}" in shown.stdout
    assert "interrupted after" in shown.stderr and "Traceback" not in shown.stderr
    assert complete(tmp_path / "SavedModel" / "1")


def test_ctrl_c_during_training_exits_130_and_exports_nothing(tmp_path, mnist_dir, capsys, monkeypatch):
    import digitnet.training

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the handler raises KeyboardInterrupt here
        raise AssertionError("Ctrl-C did not interrupt training")

    monkeypatch.setattr(digitnet.training, "train", interrupted)
    status = main(train_args(mnist_dir, tmp_path))
    assert status == 130 and "interrupted" in capsys.readouterr().err
    assert list_versions(tmp_path / "SavedModel") == []
