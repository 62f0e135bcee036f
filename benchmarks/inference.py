"""Section 4: using an exported model: load time, single-image latency, batch throughput and the CLI.

- TensorFlow's import time, in a fresh subprocess (what every CLI call pays before anything else).
- Cold load: ``SavedModelClassifier(path)`` in this process, TensorFlow already imported.
- Warm single-image latency, split into preparation (``prepare_image`` on a sample photo and on a
  12-megapixel photo made from it) and the model (``classifier.predict`` on one row); each call timed.
- Batch throughput: ``classifier.predict`` on the whole test split, float32 input; GFLOP/s counts the
  forward pass only, 2 * sum(fan_in * fan_out) per image, against the float32 matmul peak.
- The CLI, wall time of the whole process: ``python -m digitnet evaluate`` (the test CSV) and
  ``python -m digitnet predict`` on 100 images of the user-like set (model load included).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (
    PROJECT_ROOT,
    Context,
    Stopwatch,
    display_path,
    floor,
    fmt,
    log,
    peak_text,
    scaled,
    summarize,
    worker_env,
)
from benchmarks.flops import forward_flops
from benchmarks.model_source import describe_model, resolve_model

FLOOR_PEAK_FRACTION = 0.6
FLOOR_PREDICT_100_SECONDS = 5.0
LARGE_PHOTO_SIZE = (4032, 3024)  # a 12-megapixel phone photo
SAMPLE_PHOTO = "7-photo.jpg"
PREDICT_IMAGES = 100


def tensorflow_import_seconds(repeats: int) -> dict:
    """``import tensorflow`` in a fresh interpreter, timed inside it (interpreter start-up excluded)."""
    code = "import time; t = time.perf_counter(); import tensorflow; print(time.perf_counter() - t)"
    seconds = []
    for _ in range(repeats):
        completed = subprocess.run([sys.executable, "-c", code], env=worker_env(), capture_output=True, text=True,
                                   check=True)
        seconds.append(float(completed.stdout.strip().splitlines()[-1]))
    return summarize(seconds, "s")


def cold_load_seconds(model_dir: Path, repeats: int) -> dict:
    """Seconds to construct SavedModelClassifier (graph, session, variables restored), in this process."""
    from digitnet.model import SavedModelClassifier

    seconds = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            classifier = SavedModelClassifier(model_dir)
        classifier.close()
        seconds.append(watch.seconds)
    return summarize(seconds, "s")


def make_large_photo(source: Path, target: Path) -> Path:
    """The sample photo enlarged to 12 megapixels and saved as a JPEG, like a phone camera's file."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").resize(LARGE_PHOTO_SIZE, Image.Resampling.BICUBIC).save(target, quality=90)
    return target


def per_call_milliseconds(function, calls: int) -> dict:
    """Time each of `calls` calls after one untimed warm-up call; milliseconds."""
    function()
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return scaled(summarize(seconds), 1000.0, "ms")


def batch_images_per_second(classifier, images: np.ndarray, repeats: int) -> dict:
    """Images per second of ``predict`` on all of `images` (float32 [n, 784]), after one warm-up pass."""
    classifier.predict(images)
    rates = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            classifier.predict(images)
        rates.append(len(images) / watch.seconds)
    return summarize(rates, "images/s")


def cli_seconds(arguments: list[str], repeats: int) -> tuple[dict, int]:
    """Wall seconds of ``python -m digitnet ARGUMENTS`` (whole process), and its last exit status."""
    seconds, status = [], 0
    for _ in range(repeats):
        with Stopwatch() as watch:
            completed = subprocess.run([sys.executable, "-m", "digitnet", *arguments], cwd=PROJECT_ROOT,
                                       env=worker_env(), capture_output=True, text=True)
        seconds.append(watch.seconds)
        status = completed.returncode
        if status not in (0, 1):  # 1 = some image refused: still a timed, complete run
            raise RuntimeError(f"digitnet {arguments[0]} failed: {completed.stderr.strip()[-300:]}")
    return summarize(seconds, "s"), status


def sample_photos(ctx: Context, user_images: list[Path]) -> dict[str, Path]:
    """The small sample photo (MNIST/samples, else the first user image) and its 12-megapixel copy."""
    sample = ctx.data_dir / "samples" / SAMPLE_PHOTO
    if not sample.exists():
        sample = user_images[0]
    large = make_large_photo(sample, ctx.work_dir / "large-photo.jpg")
    return {"sample": sample, "large": large}


def measure(ctx: Context, peak: dict) -> dict:
    """Run section 4 and return its results dict."""
    from benchmarks.user_images import ensure_context_images, image_rows
    from digitnet.images import prepare_image
    from digitnet.model import SavedModelClassifier

    model_dir, chosen = resolve_model(ctx)
    model = describe_model(model_dir)
    images_dir = ensure_context_images(ctx)
    rows = image_rows(images_dir)
    every = max(1, len(rows) // PREDICT_IMAGES)
    predict_paths = [images_dir / row["file"] for row in rows[::every][:PREDICT_IMAGES]]
    photos = sample_photos(ctx, predict_paths)
    plan = ctx.plan

    log(f"inference: TensorFlow import x{plan.repeats}, cold load x{plan.repeats}")
    tf_import = tensorflow_import_seconds(plan.repeats)
    cold = cold_load_seconds(model_dir, plan.repeats)
    log("inference: single-image latency and batch throughput")
    test = ctx.data().test
    with SavedModelClassifier(model_dir) as classifier:
        row = test.scaled()[:1]
        latency = {
            "prepare_sample_photo": per_call_milliseconds(lambda: prepare_image(photos["sample"]), plan.latency_calls),
            "prepare_12mp_photo": per_call_milliseconds(lambda: prepare_image(photos["large"]),
                                                        plan.large_latency_calls),
            "model_one_row": per_call_milliseconds(lambda: classifier.predict(row), plan.latency_calls),
        }
        throughput = batch_images_per_second(classifier, test.scaled(), plan.batch_repeats)
    mlp = model["parameters"].get("architecture", "mlp") == "mlp"
    flops_per_image = forward_flops(model["parameters"]["hidden_units"]) if mlp else None
    gflops = summarize([v * flops_per_image / 1e9 for v in throughput["values"]], "GFLOP/s") if mlp else None
    fraction = gflops["median"] / peak["gflops"] if gflops and peak.get("gflops") else None

    log(f"inference: CLI evaluate and predict ({len(predict_paths)} images) x{plan.repeats}")
    model_arg = ["--model", str(model_dir)]
    evaluate, _ = cli_seconds(["evaluate", *model_arg, "--data-dir", str(ctx.data_dir)], plan.repeats)
    predict, status = cli_seconds(["predict", *model_arg, *map(str, predict_paths)], plan.repeats)
    return {
        "title": "Inference: loading, latency, batch throughput, CLI",
        "model": {"path": display_path(model_dir), "chosen": chosen, **model},
        "settings": {"repetitions": plan.repeats, "latency_calls": plan.latency_calls,
                     "large_photo_calls": plan.large_latency_calls, "batch_repetitions": plan.batch_repeats,
                     "sample_photo": photos["sample"].name, "large_photo_pixels": list(LARGE_PHOTO_SIZE),
                     "test_rows": len(test), "predict_images": len(predict_paths)},
        "tensorflow_import_seconds": tf_import,
        "cold_load_seconds": cold,
        "latency_ms": latency,
        "batch_images_per_second": throughput,
        "forward_flops_per_image": flops_per_image,
        "batch_gflops": gflops,
        "batch_peak_fraction": fraction,
        "matmul_peak_gflops": peak.get("gflops"),
        "cli_evaluate_seconds": evaluate,
        "cli_predict_seconds": predict,
        "cli_predict_exit_status": status,
        "floors": [
            floor("inference", "batch GFLOP/s / float32 matmul peak", fraction, FLOOR_PEAK_FRACTION, unit="of peak"),
            floor("inference", f"`digitnet predict` on {len(predict_paths)} images, wall seconds (median)",
                  predict["median"], FLOOR_PREDICT_100_SECONDS, higher_is_better=False, unit="s"),
        ],
    }


def to_markdown(section: dict) -> list[str]:
    """The section's lines for results.md."""
    s, model, latency = section["settings"], section["model"], section["latency_ms"]
    fraction = section["batch_peak_fraction"]
    accuracy = model.get("test_accuracy")
    settings = ", ".join(f"{key} {value}" for key, value in model["parameters"].items())
    lines = [
        f"Model: `{model['path']}` ({model['chosen']}; {settings}"
        f"{'' if accuracy is None else f', test accuracy {accuracy:.2%}'}). Figures: median (min–max, n).",
        "",
        "| what | time |",
        "| --- | --- |",
        f"| `import tensorflow` in a fresh process ({section['tensorflow_import_seconds']['n']} processes) | "
        f"{fmt(section['tensorflow_import_seconds'], 2)} |",
        f"| SavedModelClassifier(path), cold, TensorFlow already imported | {fmt(section['cold_load_seconds'], 3)} |",
        f"| prepare_image, {s['sample_photo']} ({s['latency_calls']} calls) | "
        f"{fmt(latency['prepare_sample_photo'], 2)} |",
        f"| prepare_image, {s['large_photo_pixels'][0]}x{s['large_photo_pixels'][1]} JPEG photo "
        f"({s['large_photo_calls']} calls) | {fmt(latency['prepare_12mp_photo'], 2)} |",
        f"| classifier.predict, one row ({s['latency_calls']} calls) | {fmt(latency['model_one_row'], 3)} |",
        f"| `python -m digitnet evaluate` ({s['test_rows']:,} test rows, whole process) | "
        f"{fmt(section['cli_evaluate_seconds'], 2)} |",
        f"| `python -m digitnet predict` ({s['predict_images']} user-like images, whole process) | "
        f"{fmt(section['cli_predict_seconds'], 2)} |",
        "",
        f"- Batch throughput, classifier.predict on {s['test_rows']:,} float32 rows "
        f"({s['batch_repetitions']} repetitions): {fmt(section['batch_images_per_second'], 0)}",
    ]
    if section["batch_gflops"]:
        lines.append(
            f"- That is {fmt(section['batch_gflops'], 1)} = {peak_text(fraction)} of the "
            f"float32 matmul peak ({section['matmul_peak_gflops']:.1f} GFLOP/s), counting "
            f"{section['forward_flops_per_image']:,} forward FLOPs per image (2·Σ fan_in·fan_out)."
        )
    return lines
