"""The notebooks and the drawing canvas in a real browser: JupyterLab 4 from this virtual environment,
headless Chromium driven by Playwright, Run All as a person would, and the ten digits drawn with the mouse.

Skipped, with the reason, when no Chromium is installed (`.ci/run` installs one, so CI always runs these).
Screenshots go to build/browser/ for a person to look at.
"""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser.digits import arc, layout_strokes, line, place
from browser.lab import CHROMIUM_ARGS, find_chromium, open_notebook, run_all, running_lab, screenshot_notebook
from browser.lab import wait_for_run_all as wait_for_notebook
from PIL import Image, ImageDraw
from synthetic import write_mnist_folder

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "MNIST"
SCREENSHOTS = ROOT / "build" / "browser"
CSV_NAMES = ("digit_xtrain.csv", "digit_ytrain.csv", "digit_xtest.csv", "digit_ytest.csv")
LATENCY_FLOOR_MS = 150  # pen-up to answer on screen, warm

CHROMIUM = find_chromium()
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements.txt installs it
    sync_playwright = None
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="browser tests skipped: no Chromium installed "
                       "(apt-get install chromium; .ci/run installs it)"),
    pytest.mark.skipif(sync_playwright is None, reason="browser tests skipped: playwright is not installed"),
]
needs_mnist = pytest.mark.skipif(not all((MNIST / name).exists() for name in CSV_NAMES),
                                 reason="needs the real MNIST CSVs: make data")


def parameterized_copy(source: Path, target: Path, parameters: dict) -> Path:
    """The notebook with its parameters set as papermill sets them (an injected cell after `parameters`)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(source)), parameters)
    nbformat.write(notebook, target)
    return target


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="module")
def lab(workspace):
    state = workspace.parent / f"{workspace.name}-state"
    with running_lab(workspace, state, workspace.parent / f"{workspace.name}-server.log") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


# Trains the real-MNIST model in a process of its own: sys.argv = [-c, MNIST folder, export folder, log folder].
TRAIN_REAL_MODEL = """
import sys
from digitnet.config import TrainConfig
from digitnet.data import load_mnist
from digitnet.export import export_result
from digitnet.training import run_training

config = TrainConfig(epochs=1, patience=0, data_dir=sys.argv[1], export_dir=sys.argv[2], log_dir=sys.argv[3])
data = load_mnist(config.data_dir, config.validation_size)
print(export_result(run_training(config, progress=False, data=data), data))
"""


@pytest.fixture(scope="module", autouse=True)
def real_model_training(workspace):
    """Starts training the real-MNIST model (`real_model`) as the module starts, in a process of its own, so that
    it trains while JupyterLab runs the training notebook instead of after it: on a 2-core machine the two
    share the cores, and the three tests took 113 s instead of 154 s. None without the real MNIST CSVs."""
    if not all((MNIST / name).exists() for name in CSV_NAMES):
        yield None
        return
    log = (workspace / "real-model.log").open("w")
    process = subprocess.Popen([sys.executable, "-c", TRAIN_REAL_MODEL, str(MNIST), str(workspace / "SavedModel-mnist"),
                                str(workspace / "logs-mnist")], cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                               text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    yield process
    if process.poll() is None:  # the tests that need it were deselected or skipped
        process.kill()
    process.communicate()
    log.close()


@pytest.fixture(scope="module")
def real_model(real_model_training, workspace) -> Path:
    """A model trained on the real MNIST for one epoch of the default network, exported: 30 s on a 2-core
    machine where three epochs took 67 s. It reads the ten drawn digits and "2026" as three epochs did (seeds
    42, 1 and 2), but it is not the default model: in the sample table it misreads the open 4 as "41" (as
    three epochs did), which the five-epoch model of `make run` reads right."""
    if real_model_training is None:
        pytest.skip("needs the real MNIST CSVs: make data")
    output, _ = real_model_training.communicate(timeout=600)
    log = (workspace / "real-model.log").read_text()
    assert real_model_training.returncode == 0, f"training the real-MNIST model failed:\n{log[-3000:]}"
    return Path(output.strip().splitlines()[-1])


def image_count(page) -> int:
    """Images in the notebook's outputs that the browser actually decoded."""
    return page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
                                  .filter((img) => img.complete && img.naturalWidth > 0).length""")


def output_text(page) -> str:
    """The text of every output; tqdm's widget writes figure spaces (U+2007) for spaces."""
    text = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText)"
                         ".join('\\n')")
    return text.replace("\u2007", " ")


def test_training_notebook_runs_all_in_jupyterlab(lab, page, workspace):
    data_dir = write_mnist_folder(workspace / "mnist-synthetic")
    parameterized_copy(ROOT / "train_neural_network.ipynb", workspace / "train_neural_network.ipynb", dict(
        ARCHITECTURE="mlp", HIDDEN_UNITS=[16], EPOCHS=10, PATIENCE=1, LR_SCHEDULE="decay", BATCH_SIZE=50,
        AUGMENT="light", VALIDATION_SIZE=100, LINE_READER_STEPS=3,
        DATA_DIR=str(data_dir), EXPORT_DIR=str(workspace / "SavedModel-synthetic"),
        LOG_DIR=str(workspace / "logs-synthetic")))
    open_notebook(page, lab, "train_neural_network.ipynb")
    run_all(page)
    state = wait_for_notebook(page, timeout_s=240)
    screenshot_notebook(page, SCREENSHOTS / "train_neural_network.png")
    assert state["errors"] == [], state["errors"]
    assert state["executed"] == state["cells"], state
    assert image_count(page) >= 6  # samples, augmentation, added rows, curves, confusion matrix, mistakes
    text = output_text(page)
    assert "early stop" in text and "exported to" in text
    # The progress bar: this run stopped early, and a finished run's bar ends full and green, not red.
    bars = page.locator(".widget-hprogress .progress-bar")
    assert bars.count() == 1
    bar = bars.first
    bar.scroll_into_view_if_needed()
    page.locator(".jp-OutputArea", has=page.locator(".widget-hprogress")).screenshot(
        path=str(SCREENSHOTS / "train_progress.png"))
    classes = bar.get_attribute("class")
    assert "progress-bar-success" in classes and "progress-bar-danger" not in classes, classes
    assert bar.evaluate("(el) => el.style.width") == "100%"
    stopped = re.search(r"stopped early after (\d+) of 10 epochs", text)
    assert stopped and int(stopped.group(1)) < 10, text[-2000:]


@needs_mnist
def test_load_notebook_runs_all_and_shows_the_answers(lab, page, workspace, real_model):
    parameterized_copy(ROOT / "load_saved_model.ipynb", workspace / "load_saved_model.ipynb", dict(
        MODEL_DIR=str(real_model), DATA_DIR=str(MNIST), SAMPLES_DIR=str(MNIST / "samples")))
    open_notebook(page, lab, "load_saved_model.ipynb")
    run_all(page)
    state = wait_for_notebook(page, timeout_s=180)
    screenshot_notebook(page, SCREENSHOTS / "load_saved_model.png",
                        {".jp-OutputArea-output table": SCREENSHOTS / "load_answers_table.png"})
    assert state["errors"] == [], state["errors"]
    assert state["executed"] == state["cells"], state
    text = output_text(page)
    assert "reproduced exactly" in text and "classes identical: True" in text
    samples = sorted(path.name for path in (MNIST / "samples").iterdir() if path.is_file())
    table_text = page.locator(".jp-OutputArea-output table").first.inner_text()
    assert all(name in table_text for name in samples), table_text
    assert page.locator(".digitnet-canvas").count() == 1  # the "Draw your own digit" section
    assert image_count(page) >= 4
    # "Read your own photos": the button opens the browser's file chooser, three photos are chosen, all are read;
    # one is bigger than the 10 MB a websocket message may be unless `make venv` configured the server
    big = workspace / "big_phone_photo.jpg"
    big.write_bytes(big_phone_photo())
    assert big.stat().st_size > 10.5 * 2**20
    photos = page.locator(".digitnet-photos")
    with page.expect_file_chooser() as chooser:
        photos.locator(".widget-upload").click()
    chooser.value.set_files([MNIST / "samples" / "7-photo.jpg", MNIST / "samples" / "6873-number-ballpoint.jpg", big])
    answers = photos.locator("table.digitnet-readings tbody tr")
    answers.nth(2).wait_for(state="visible", timeout=30_000)
    photos.screenshot(path=str(SCREENSHOTS / "load_your_photos.png"))
    rows = [row.inner_text() for row in answers.all()]
    assert [row.split("\t")[0].strip() for row in rows] == ["7-photo.jpg", "6873-number-ballpoint.jpg",
                                                             "big_phone_photo.jpg"], rows
    assert [row.split("\t")[3].strip() for row in rows] == ["7", "6873", "7"], rows


def big_phone_photo() -> bytes:
    """A 7 on paper as a 19-megapixel phone's JPEG: about 16 MB of sensor noise at quality 98."""
    photo = Image.new("RGB", (5000, 3750), (235, 232, 225))
    ImageDraw.Draw(photo).line([(1900, 1000), (3100, 1000), (2350, 2900)], fill=(30, 30, 40), width=70)
    noise = np.random.default_rng(0).integers(-25, 25, (3750, 5000, 3), dtype=np.int16)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.asarray(photo, np.int16) + noise, 0, 255).astype(np.uint8)).save(buffer, "JPEG",
                                                                                                   quality=98)
    return buffer.getvalue()


def stroke(page, box: dict, points, size: float = 280) -> None:
    """Drag the mouse along `points` (canvas pixels): press at the first, release at the last."""
    def at(point):
        return box["x"] + point[0] * box["width"] / size, box["y"] + point[1] * box["height"] / size

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point))
    page.mouse.up()


ANSWERED_JS = """() => {
  const canvas = document.querySelector('.digitnet-canvas');
  const answer = document.querySelector('.digitnet-answer');
  return canvas.dataset.sequence !== undefined && answer.dataset.sequence === canvas.dataset.sequence;
}"""


def draw_and_read(page, canvas, strokes) -> tuple[str, float, float]:
    """Draw the strokes; return the answer, the widget's pen-up-to-answer time and the time seen from here."""
    box = canvas.bounding_box()
    for points in strokes:
        stroke(page, box, points)
    released = time.perf_counter()
    page.wait_for_function(ANSWERED_JS, timeout=20_000, polling="raf")
    seen_ms = 1000 * (time.perf_counter() - released)
    answer = page.locator(".digitnet-answer")
    return answer.inner_text().strip(), float(answer.get_attribute("data-latency-ms")), seen_ms


@needs_mnist
def test_canvas_reads_ten_drawn_digits_and_clears(lab, page, workspace, real_model):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"from digitnet.widgets import DigitCanvas\n"
                                                f"DigitCanvas({json.dumps(str(real_model))})")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, workspace / "canvas.ipynb")
    open_notebook(page, lab, "canvas.ipynb")
    run_all(page)
    state = wait_for_notebook(page, timeout_s=120)
    assert state["errors"] == [], state["errors"]
    canvas = page.locator(".digitnet-canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    widget = page.locator(".digitnet-widget")
    box = canvas.bounding_box()
    assert 270 <= box["width"] <= 290 and 270 <= box["height"] <= 290

    draw_and_read(page, canvas, [[(100, 100), (180, 180)]])  # warm-up: the first run of a session is slower
    page.locator(".digitnet-clear").click()

    answers, widget_ms, seen_ms = {}, [], []
    for digit in range(10):
        answer, latency, seen = draw_and_read(page, canvas, layout_strokes(digit))
        answers[digit] = answer
        widget_ms.append(latency)
        seen_ms.append(seen)
        widget.screenshot(path=str(SCREENSHOTS / f"canvas_{digit}.png"))
        page.locator(".digitnet-clear").click()
        page.wait_for_function("() => document.querySelector('.digitnet-answer').textContent === ''", timeout=5000)
        blank = page.evaluate("""() => {
          const canvas = document.querySelector('.digitnet-canvas');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          return data.every((value) => value === 255);
        }""")
        assert blank, "Clear left ink on the canvas"
    page.wait_for_function(ANSWERED_JS, timeout=20_000)  # the Clear's own round trip
    assert page.locator(".digitnet-answer").inner_text().strip() == ""
    report = (f"pen-up to answer, warm, over the ten digits: widget median {statistics.median(widget_ms):.1f} ms, "
              f"max {max(widget_ms):.1f} ms; seen from the test median {statistics.median(seen_ms):.1f} ms, "
              f"max {max(seen_ms):.1f} ms; read {answers}")
    (SCREENSHOTS / "canvas_timings.txt").write_text(report + "\n")
    print(report)
    assert answers == {digit: str(digit) for digit in range(10)}, answers
    assert max(widget_ms) <= LATENCY_FLOOR_MS, report

    # several digits drawn side by side are read as one number, as predict reads a photo of it
    year = [points for position, digit in enumerate((2, 0, 2, 6))
            for points in place(digit, 16 + 64 * position, 100, 80)]
    answer, _, _ = draw_and_read(page, canvas, year)
    widget.screenshot(path=str(SCREENSHOTS / "canvas_number.png"))
    assert answer == "2026", answer

    # a digit with a box drawn round it is read without the box; a face is a drawing, not a 0
    boxed = place(7, 110, 70, 130) + [line((50, 40), (235, 40), (235, 240), (50, 240), (50, 40))]
    face = [arc(140, 140, 95, 95, 0, 360, steps=48), line((105, 105), (105, 115)), line((175, 105), (175, 115)),
            arc(140, 150, 50, 40, 30, 150)]
    for name, strokes, expected in (("boxed", boxed, "7"), ("face", face, "separate marks inside one loop")):
        page.locator(".digitnet-clear").click()
        page.wait_for_function("() => document.querySelector('.digitnet-answer').textContent === ''", timeout=5000)
        answer, _, _ = draw_and_read(page, canvas, strokes)
        widget.screenshot(path=str(SCREENSHOTS / f"canvas_{name}.png"))
        assert (answer == expected) if name == "boxed" else (expected in answer), answer
