"""Section: using an exported model: load time, single-image latency, batch throughput and the CLI.

- TensorFlow's import time as digitnet imports it, in a fresh subprocess (what every CLI call pays first).
- Cold load: ``SavedModelClassifier(path)`` in this process, TensorFlow already imported.
- Warm single-image latency, split into preparation (``prepare_image`` on a sample photo and on a
  12-megapixel photo made from it) and the model (``classifier.predict`` on one row); each call timed.
- Batch throughput: ``classifier.predict`` on the whole test split, float32 input; GFLOP/s counts the
  forward pass only, 2 * sum(fan_in * fan_out) per image, against the float32 matmul peak.
- The CLI, wall time of the whole process: ``python -m digitnet evaluate`` (the test CSV) and
  ``python -m digitnet predict`` on 100 images of the user-like set (model load included).
The model is ``ctx.model`` (--model, the latest SavedModel/<N>, or one trained by the run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from benchmarks import PROJECT_ROOT, display_path, log
from benchmarks.context import Context
from benchmarks.flops import forward_flops
from benchmarks.image_set import read_labels
from benchmarks.markdown import fmt, peak_text, table
from benchmarks.stats import Stopwatch, floor, peak_fraction, per_call_milliseconds, summarize, time_calls
from benchmarks.workers import child_env
from digitnet.images import prepare_image
from digitnet.model import SavedModelClassifier

FLOOR_PEAK_FRACTION = 0.6
FLOOR_PREDICT_100_SECONDS = 5.0
LARGE_PHOTO_SIZE = (4032, 3024)  # a 12-megapixel phone photo
SAMPLE_PHOTO = "7-photo.jpg"
PREDICT_IMAGES = 100


def tensorflow_import_seconds(repeats: int) -> dict:
    """TensorFlow imported as every digitnet command imports it (``digitnet._tf``, without Keras), in a fresh
    interpreter, timed inside it (interpreter start-up excluded); seconds."""
    code = "import time; t = time.perf_counter(); import digitnet._tf; print(time.perf_counter() - t)"
    seconds = [float(subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True,
                                    check=True).stdout.strip().splitlines()[-1]) for _ in range(repeats)]
    return summarize(seconds, "s")


def cold_load_seconds(model_dir: Path, repeats: int) -> dict:
    """Seconds to construct SavedModelClassifier (graph, session, variables restored), in this process."""
    seconds = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            classifier = SavedModelClassifier(model_dir)
        classifier.close()
        seconds.append(watch.seconds)
    return summarize(seconds, "s")


def batch_images_per_second(classifier, images, repeats: int) -> dict:
    """Images per second of ``predict`` on all of `images` (float32 [n, 784]), after one warm-up pass."""
    classifier.predict(images)
    return summarize([len(images) / s for s in time_calls(lambda: classifier.predict(images), repeats)["values"]],
                     "images/s")


def cli_seconds(arguments: list[str], repeats: int) -> dict:
    """Wall seconds of ``python -m digitnet ARGUMENTS`` (whole process); exit status 1 (some image refused)
    still counts as a timed, complete run."""
    def call() -> None:
        completed = subprocess.run([sys.executable, "-m", "digitnet", *arguments], cwd=PROJECT_ROOT, env=child_env(),
                                   capture_output=True, text=True)
        if completed.returncode not in (0, 1):
            raise RuntimeError(f"digitnet {arguments[0]} failed: {completed.stderr.strip()[-300:]}")

    return time_calls(call, repeats)


def measure(ctx: Context) -> dict:
    """Run the section and return its results dict."""
    peak, model_dir, plan = ctx.matmul_peak["gflops"], ctx.model.path, ctx.plan
    model = ctx.model.description()
    rows = read_labels(ctx.user_images)
    predict_paths = [ctx.user_images / row["file"] for row in rows[:: max(1, len(rows) // PREDICT_IMAGES)]]
    predict_paths = predict_paths[:PREDICT_IMAGES]
    sample = ctx.data_dir / "samples" / SAMPLE_PHOTO
    sample = sample if sample.exists() else predict_paths[0]
    large = ctx.work_dir / "large-photo.jpg"  # the sample enlarged to 12 megapixels, saved like a phone's JPEG
    with Image.open(sample) as image:
        image.convert("RGB").resize(LARGE_PHOTO_SIZE, Image.Resampling.BICUBIC).save(large, quality=90)

    log(f"inference: TensorFlow import x{plan.repeats}, cold load x{plan.repeats}")
    tf_import, cold = tensorflow_import_seconds(plan.repeats), cold_load_seconds(model_dir, plan.repeats)
    log("inference: single-image latency and batch throughput")
    test = ctx.data.test
    with SavedModelClassifier(model_dir) as classifier:
        row = test.scaled()[:1]
        latency = {
            "prepare_sample_photo": per_call_milliseconds(lambda: prepare_image(sample), plan.latency_calls),
            "prepare_12mp_photo": per_call_milliseconds(lambda: prepare_image(large), plan.large_latency_calls),
            "model_one_row": per_call_milliseconds(lambda: classifier.predict(row), plan.latency_calls),
        }
        throughput = batch_images_per_second(classifier, test.scaled(), plan.batch_repeats)
    parameters = model["parameters"]
    cnn = parameters.get("architecture", "mlp") == "cnn"
    flops_per_image = forward_flops(parameters["hidden_units"], parameters.get("conv_filters", ()) if cnn else (),
                                    classes=11 if parameters.get("negatives") else 10)
    gflops = summarize([v * flops_per_image / 1e9 for v in throughput["values"]], "GFLOP/s")

    log(f"inference: CLI evaluate and predict ({len(predict_paths)} images) x{plan.repeats}")
    model_arg = ["--model", str(model_dir)]
    evaluate = cli_seconds(["evaluate", *model_arg, "--data-dir", str(ctx.data_dir)], plan.repeats)
    predict = cli_seconds(["predict", *model_arg, *map(str, predict_paths)], plan.repeats)
    return {
        "title": "Inference: loading, latency, batch throughput, CLI",
        "model": {"path": display_path(model_dir), "chosen": ctx.model.chosen, **model},
        "settings": {"repetitions": plan.repeats, "latency_calls": plan.latency_calls,
                     "large_photo_calls": plan.large_latency_calls, "batch_repetitions": plan.batch_repeats,
                     "sample_photo": sample.name, "large_photo_pixels": list(LARGE_PHOTO_SIZE),
                     "test_rows": len(test), "predict_images": len(predict_paths)},
        "tensorflow_import_seconds": tf_import,
        "cold_load_seconds": cold,
        "latency_ms": latency,
        "batch_images_per_second": throughput,
        "forward_flops_per_image": flops_per_image,
        "batch_gflops": gflops,
        "matmul_peak_gflops": peak,
        "cli_evaluate_seconds": evaluate,
        "cli_predict_seconds": predict,
        "floors": [
            floor("inference", "batch GFLOP/s / float32 matmul peak", peak_fraction(gflops, peak), FLOOR_PEAK_FRACTION,
                  unit="of peak"),
            floor("inference", f"`digitnet predict` on {len(predict_paths)} images, wall seconds (median)",
                  predict["median"], FLOOR_PREDICT_100_SECONDS, higher_is_better=False, unit="s"),
        ],
    }


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    s, model, latency = section["settings"], section["model"], section["latency_ms"]
    accuracy = model.get("test_accuracy")
    settings = ", ".join(f"{key} {value}" for key, value in model["parameters"].items())
    lines = [
        f"Model: `{model['path']}` ({model['chosen']}; {settings}"
        f"{'' if accuracy is None else f', test accuracy {accuracy:.2%}'}). Figures: median (min–max, n).",
        "",
        *table(["what", "time"], [
            [f"TensorFlow's import as digitnet does it (`digitnet._tf`, without Keras) in a fresh process "
             f"({section['tensorflow_import_seconds']['n']} processes)",
             fmt(section["tensorflow_import_seconds"], 2)],
            ["SavedModelClassifier(path), cold, TensorFlow already imported", fmt(section["cold_load_seconds"], 3)],
            [f"prepare_image, {s['sample_photo']} ({s['latency_calls']} calls)",
             fmt(latency["prepare_sample_photo"], 2)],
            [f"prepare_image, {s['large_photo_pixels'][0]}x{s['large_photo_pixels'][1]} JPEG photo "
             f"({s['large_photo_calls']} calls)", fmt(latency["prepare_12mp_photo"], 2)],
            [f"classifier.predict, one row ({s['latency_calls']} calls)", fmt(latency["model_one_row"], 3)],
            [f"`python -m digitnet evaluate` ({s['test_rows']:,} test rows, whole process)",
             fmt(section["cli_evaluate_seconds"], 2)],
            [f"`python -m digitnet predict` ({s['predict_images']} user-like images, whole process)",
             fmt(section["cli_predict_seconds"], 2)],
        ]),
        "",
        f"- Batch throughput, classifier.predict on {s['test_rows']:,} float32 rows "
        f"({s['batch_repetitions']} repetitions): {fmt(section['batch_images_per_second'], 0)}",
    ]
    if section["batch_gflops"]:
        fraction = peak_fraction(section["batch_gflops"], section["matmul_peak_gflops"])
        lines.append(f"- That is {fmt(section['batch_gflops'], 1)} = {peak_text(fraction)} of the float32 matmul "
                     f"peak ({section['matmul_peak_gflops']:.1f} GFLOP/s), counting "
                     f"{section['forward_flops_per_image']:,} forward FLOPs per image (convolutions and dense "
                     "layers, benchmarks/flops.py).")
    return lines
