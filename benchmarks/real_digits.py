"""Section: reading handwriting that is not MNIST's (the yardstick), digits, non-digits and whole numbers.

The yardstick (`python -m tools.yardstick`, built into build/yardstick if absent; seed 0) is for measuring
only: training never sees its images, templates or fonts. Every image is read once with
`digitnet.reading.read_image` and the model under test: single digits (per capture style, per source:
stroke templates or fonts, and per way of writing), things that are not one digit (refused with a reason,
or a 2-4 digit number read right), numbers of 2-8 digits (per layout: gaps or touching, and per
length), photos of the sheet lying on a desk (section D) and photos of writing on ruled or squared paper whose
lines are turned a few degrees (section E), each reported apart: no floor is set for them.
Also: how the "not a digit" output compares with refusing on the digits' top probability alone,
the warm time to prepare a phone photo and to read a 6-digit number, and how the touching-digit reader spells
touching numbers by itself, and lines made as its training lines are but of MNIST's test digits (given the
CSVs: not a yardstick figure, it tells its own task from other writers). Runnable alone:

    python -m benchmarks.real_digits [--model DIR] [--images build/yardstick] [--data MNIST] [--out FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from benchmarks import PROJECT_ROOT, display_path, log
from benchmarks.context import Context
from benchmarks.markdown import floors_table, table
from benchmarks.stats import floor
from benchmarks.workers import child_env
from digitnet import reading
from digitnet.data import load_mnist
from digitnet.errors import DigitnetError
from digitnet.images import analyse, flatten_image, open_image, prepare_image
from digitnet.images.segment import find_glyphs
from digitnet.line_batches import compose_line, digit_crops
from digitnet.line_reader import spelling
from digitnet.model import SavedModelClassifier
from digitnet.runs import run_line
from digitnet.versions import resolve_model_dir

DEFAULT_YARDSTICK = PROJECT_ROOT / "build" / "yardstick"
PHOTO_STYLES = ("ballpoint", "pencil")  # "a phone photo" for the timing floors
TIMED = 40  # images timed (warm) for each of the two timings
IN_DOMAIN_LENGTHS = (2, 4, 6)  # digits per line for `reader_in_domain`
IN_DOMAIN_LINES = 300  # lines of each length
FLOOR_LENGTH = 6  # the number floors are for 2 to this many digits
SHRUNK_SIDES = (28, 48)  # the single digits are read again shrunk to these long sides: a 28x28 drawing, a thumbnail


def ensure_yardstick(folder: Path, tiny: bool = False) -> Path:
    """Generate the yardstick into `folder` unless it has a labels.csv already."""
    if not (folder / "labels.csv").exists():
        log(f"real digits: generating the yardstick in {display_path(folder)}")
        command = [sys.executable, "-m", "tools.yardstick", "--out", str(folder), *(["--tiny"] if tiny else [])]
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True)
        if completed.returncode != 0:
            reason = (completed.stderr.strip().splitlines() or ["no message"])[-1]
            raise DigitnetError(f"{display_path(folder)}: could not generate the yardstick ({reason})")
    return folder


def read_all(classifier, folder: Path) -> pd.DataFrame:
    """One row per image: its labels.csv columns, what was read, the refusal, and the top probability
    and not-a-digit probability of its first candidate."""
    labels = pd.read_csv(folder / "labels.csv", dtype={"label": str}, keep_default_na=False)
    rows = []
    for row in labels.to_dict("records"):
        result = reading.read_image(classifier, folder / row["file"])
        first = result.candidates[0] if result.candidates else None
        rows.append({**row, "read": result.number, "refusal": result.refusal or "",
                     "top": first.confidence if first else 0.0, "not_digit": first.not_digit if first else 1.0})
    table_ = pd.DataFrame(rows)
    table_["right"] = (table_["read"] == table_["label"]) & (table_["refusal"] == "")
    table_["refused"] = table_["refusal"] != ""
    table_["family"] = table_["source"].str.split(":").str[0]
    return table_


def _rates(frame: pd.DataFrame, by: str, value: str = "right") -> list[list]:
    return [[str(key), len(group), f"{group[value].mean():.1%}"] for key, group in frame.groupby(by)]


def _by_length_and_layout(numbers: pd.DataFrame) -> list[list]:
    """[digits, images with gaps, share read right, touching images, share read right] for each length."""
    rows = []
    for length, group in numbers.groupby("length"):
        row: list = [str(length)]
        for layout in ("gap", "touching"):
            chosen = group[group["layout"] == layout]
            row += [len(chosen), f"{chosen['right'].mean():.1%}" if len(chosen) else "n/a"]
        rows.append(row)
    return rows


def _mean(values: pd.Series) -> float | None:
    """A plain float (JSON) mean, or None for no values."""
    return float(values.mean()) if len(values) else None


def timings(classifier, frame: pd.DataFrame, folder: Path) -> dict:
    """Warm medians in ms: preparing one phone photo of a digit, and reading a 6-digit number photo."""
    photos = frame[(frame["section"] == "A") & frame["style"].isin(PHOTO_STYLES)]["file"].head(TIMED)
    numbers = frame[(frame["section"] == "C") & (frame["label"].str.len() == 6) & frame["style"].isin(PHOTO_STYLES)]
    result = {}
    for name, files, work in (
        ("prepare_photo_ms", photos, lambda path: prepare_image(path)),
        ("read_six_digits_ms", numbers["file"].head(TIMED), lambda path: reading.read_image(classifier, path)),
    ):
        paths = [folder / f for f in files]
        for path in paths[:3]:
            work(path)  # warm: imports, caches, the model's first run
        times = []
        for path in paths:
            started = time.perf_counter()
            work(path)
            times.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(times) if times else None
    return result


def shrunk(classifier, digits: pd.DataFrame, folder: Path) -> list[list]:
    """[long side, images, read right, refused, read wrong] for the single digits shrunk (box filter) to each of
    SHRUNK_SIDES px on their long side, as a small crop, a thumbnail or a digit drawn at MNIST's size would be."""
    rows = []
    for side in SHRUNK_SIDES:
        answers = []
        for file, label in zip(digits["file"], digits["label"], strict=True):
            image = flatten_image(open_image(folder / file))
            size = [max(1, round(length * side / max(image.size))) for length in image.size]
            result = reading.read_image(classifier, image.resize(size, Image.Resampling.BOX), name=file)
            answers.append("refused" if result.refusal else "right" if result.number == label else "wrong")
        shares = [f"{answers.count(answer) / max(len(answers), 1):.1%}" for answer in ("right", "refused", "wrong")]
        rows.append([f"{side} px", len(answers), *shares])
    return rows


def reader_alone(classifier, frame: pd.DataFrame, folder: Path) -> dict | None:
    """How the touching-digit reader spells, by itself, the touching numbers whose ink is one mark: the line
    `digitnet.runs.read_run` gives it (`run_line`, at the run's own width), before any check, cut or widened
    reading. Returns {"one_mark": how many such numbers, "spelled_right": the share spelled right}, or None
    without a reader."""
    reader = getattr(classifier, "line_reader", None)
    if reader is None:
        return None
    touching = frame[(frame["section"] == "C") & frame["variant"].str.startswith("touching")]
    spelled_right = []
    for file, label in zip(touching["file"], touching["label"], strict=True):
        try:
            found = analyse(folder / file, file)
            marks = [glyph for glyph in find_glyphs(found.ink_pixels, found.smoothed, file) if not glyph.separator]
        except DigitnetError:
            continue
        line = run_line(found, marks[0].mask) if len(marks) == 1 else None
        if line is not None:
            spelled_right.append(spelling(reader.read(line)) == label)
    return {"one_mark": len(spelled_right), "spelled_right": _mean(pd.Series(spelled_right, dtype=float))}


def reader_in_domain(classifier, images: np.ndarray, labels: np.ndarray, lines_each: int = IN_DOMAIN_LINES,
                     seed: int = 0) -> dict | None:
    """How the touching-digit reader spells lines composed exactly as its training lines are (touching,
    `digitnet.line_batches.compose_line`) but of other digits: MNIST's test rows (uint8 [n, 784], labels int
    [n]). Not a yardstick figure: it says whether the reader's gap on touching numbers is other people's
    handwriting or its own task. Returns {"2": share spelled right, "4": …, "6": …}, or None without a reader."""
    reader = getattr(classifier, "line_reader", None)
    if reader is None or not len(labels):
        return None
    crops, rng = digit_crops(images), np.random.default_rng(seed)
    shares = {}
    for length in IN_DOMAIN_LENGTHS:
        made = [compose_line(crops, labels, rng, length, touching=True) for _ in range(lines_each)]
        spelled = reader.read_lines([line for line, _ in made])
        right = [spelling(digits) == "".join(map(str, truth))
                 for digits, (_, truth) in zip(spelled, made, strict=True)]
        shares[str(length)] = _mean(pd.Series(right, dtype=float))
    return shares


def _mnist_test(data_dir: Path | None) -> tuple[np.ndarray, np.ndarray] | None:
    """MNIST's test rows from `data_dir`, or None when it has no CSVs."""
    if data_dir is None or not (Path(data_dir) / "digit_ytest.csv").exists():
        return None
    test = load_mnist(data_dir, validation_size=0).test
    return test.images, test.labels


def measure_folder(model_dir: Path, folder: Path, data_dir: Path | None = None,
                   lines_each: int = IN_DOMAIN_LINES) -> dict:
    """The section dict for `model_dir` read on the yardstick in `folder` (and, given `data_dir`'s CSVs, the
    reader on lines of MNIST's test digits, `lines_each` of each length)."""
    test = _mnist_test(data_dir)
    with SavedModelClassifier(model_dir) as classifier:
        frame = read_all(classifier, folder)
        timed = timings(classifier, frame, folder)
        spelled_alone = reader_alone(classifier, frame, folder)
        small = shrunk(classifier, frame[(frame["kind"] == "digit") & (frame["section"] == "A")], folder)
        in_domain = reader_in_domain(classifier, *test, lines_each) if test else None
    digits = frame[(frame["kind"] == "digit") & (frame["section"] == "A")]
    others = frame[frame["section"] == "B"]  # not digits, and 2-4 digit numbers
    others_ok = others["refused"] | others["right"]
    numbers = frame[frame["section"] == "C"].assign(layout=lambda f: f["variant"].str.split("_").str[0],
                                                    length=lambda f: f["label"].str.len())
    digits = digits.assign(not_a_digit=digits["refusal"].str.startswith("does not look"))
    real_refused_not_digit = _mean(digits["not_a_digit"])
    one_digit = _mean(digits["read"].str.len() <= 1)
    # The same model refusing on the digits' top probability alone, at the cut that refuses as many real
    # digits as the "not a digit" output does: how much the extra output adds.
    cut = float(np.quantile(digits["top"], real_refused_not_digit or 0.0)) if len(digits) else 0.0
    blank = others["refusal"].str.startswith("no digit")
    top_only = float(((others["top"] < cut) | blank).mean()) if len(others) else None
    style_rates = {style: float(group["right"].mean()) for style, group in digits.groupby("style")}
    floors = [
        floor("real_digits", "non-MNIST digits read right (all styles)", _mean(digits["right"]), 0.97),
        floor("real_digits", "digits read right in the weakest capture style",
              min(style_rates.values(), default=None), 0.95),
        floor("real_digits", "not-one-digit images refused (or a number read right)", _mean(others_ok), 0.95),
        floor("real_digits", "real digits refused as not a digit", real_refused_not_digit, 0.015, False),
        floor("real_digits", "single digits read as one digit (not split)", one_digit, 0.995),
        # the floors are set for numbers of 2-6 digits, with gaps and touching alike; 7 and 8 digits are
        # reported in the by-length table
        floor("real_digits", "numbers with gaps read whole (2-6 digits)",
              _mean(numbers[(numbers["layout"] == "gap") & (numbers["length"] <= FLOOR_LENGTH)]["right"]), 0.95),
        floor("real_digits", "numbers with touching digits read whole (2-6 digits)",
              _mean(numbers[(numbers["layout"] == "touching") & (numbers["length"] <= FLOOR_LENGTH)]["right"]),
              0.85),
        floor("real_digits", "warm preparation of one phone photo (ms, median)", timed["prepare_photo_ms"], 5.0,
              False, unit="ms"),
        floor("real_digits", "reading a 6-digit number photo, warm (ms, median)", timed["read_six_digits_ms"], 30.0,
              False, unit="ms"),
    ]
    return {
        "title": "Real digits: handwriting that is not MNIST's (the yardstick)",
        "model": display_path(model_dir), "images_dir": display_path(folder), "images": len(frame),
        "digits": {"images": len(digits), "accuracy": _mean(digits["right"]), "refused": _mean(digits["refused"]),
                   "by_style": [[*rates, refused[2]] for rates, refused in
                                zip(_rates(digits, "style"), _rates(digits, "style", "not_a_digit"), strict=True)],
                   "by_source": _rates(digits, "family"),
                   "by_way_of_writing": _rates(digits, "variant"), "shrunk": small},
        "not_one_digit": {"images": len(others), "refused_or_read": _mean(others_ok),
                          "by_category": _rates(others.assign(ok=others_ok), "source", "ok"),
                          "by_style": _rates(others.assign(ok=others_ok), "style", "ok"),
                          "top_probability_only_refused": top_only, "top_probability_cut": cut},
        "numbers": {"images": len(numbers),
                    # a wrong number is worse than a refused one: both are counted
                    "by_layout": [[*right, refused[2], wrong[2]] for right, refused, wrong in zip(
                        _rates(numbers, "layout"), _rates(numbers, "layout", "refused"),
                        _rates(numbers.assign(wrong=~numbers["right"] & ~numbers["refused"]), "layout", "wrong"),
                        strict=True)],
                    "by_length": _by_length_and_layout(numbers),
                    "by_style": _rates(numbers, "style"),
                    "reader_alone": spelled_alone, "reader_in_domain": in_domain},
        "on_desk": on_desk(frame[frame["section"] == "D"]),
        "ruled_turned": on_ruled_paper(frame[frame["section"] == "E"]),
        "timings_ms": timed,
        "floors": floors,
    }


# The sections reported apart, in results.md: (key, heading, what they are, [(table column, key of its rates)])
APART = (
    ("on_desk", "Photos of the sheet on a desk", "section A, C and B's photo-style pictures laid on a desk or table, "
     "the desk in the picture, turned up to 12 degrees; writing often comes near the sheet's edge. Answered right: "
     "a digit or number read right, anything else refused.", [("surface", "by_surface")]),
    ("ruled_turned", "Photos on ruled or squared paper, turned", "section A, C and B's photo-style pictures on plain "
     "paper with a ruled or squared sheet's lines under the writing, turned 0.5 to 8 degrees against the picture, as "
     "in a photo taken by hand.", [("ruling", "by_ruling"), ("capture style", "by_style")]),
)


def _answered(photos: pd.DataFrame) -> tuple[pd.DataFrame, list[list]]:
    """The photos with "ok" (answered as they should be: a digit or a number read right; anything else refused,
    or a 2-4 digit number read right) and "wrong" (answered, not right), and by kind [kind, images, ok, wrong]."""
    photos = photos.assign(ok=photos["right"] | (photos["refused"] & (photos["kind"] == "not_digit")))
    photos = photos.assign(wrong=~photos["ok"] & ~photos["refused"])
    by_kind = zip(_rates(photos, "kind", "ok"), _rates(photos, "kind", "wrong"), strict=True)
    return photos, [[*ok, wrong[2]] for ok, wrong in by_kind]


def on_desk(photos: pd.DataFrame) -> dict:
    """Section D, photos of the sheet lying on a desk: by kind, the share answered as it should be and the share
    answered wrongly (`_answered`); by surface, the share answered as it should be."""
    photos, by_kind = _answered(photos)
    return {"images": len(photos), "by_kind": by_kind, "by_surface": _rates(photos, "source", "ok")}


def on_ruled_paper(photos: pd.DataFrame) -> dict:
    """Section E, photos of writing on ruled or squared paper turned a few degrees: as `on_desk`, by ruling and by
    capture style."""
    photos, by_kind = _answered(photos)
    return {"images": len(photos), "by_kind": by_kind, "by_ruling": _rates(photos, "source", "ok"),
            "by_style": _rates(photos, "style", "ok")}


def measure(ctx: Context) -> dict:
    """The section on `ctx.model`, reading the yardstick (built first if absent; tiny in the tests)."""
    folder = ensure_yardstick(ctx.work_dir / "yardstick", tiny=True) if ctx.tiny else \
        ensure_yardstick(DEFAULT_YARDSTICK)
    return measure_folder(ctx.model.path, folder, ctx.data_dir, 20 if ctx.tiny else IN_DOMAIN_LINES)


def to_markdown(section: dict) -> list[str]:
    """results.md's lines for the section."""
    digits, others, numbers = section["digits"], section["not_one_digit"], section["numbers"]
    lines = [f"Model {section['model']}; {section['images']} images in {section['images_dir']} (seed 0). Training "
             "never saw these images, their stroke templates or their fonts.", "",
             f"**Single digits** ({digits['images']}): {digits['accuracy']:.1%} read right, "
             f"{digits['refused']:.1%} refused.", ""]
    lines += table(["capture style", "images", "read right", "refused as not a digit"], digits["by_style"]) + [""]
    lines += table(["source", "images", "read right"], digits["by_source"]) + [""]
    lines += table(["way of writing", "images", "read right"], digits["by_way_of_writing"]) + [""]
    if digits.get("shrunk"):
        lines += ["The same digits shrunk (box filter) to a small picture's size, as a thumbnail, a tight crop or a "
                  "digit drawn at MNIST's own 28 px would be:", ""]
        lines += table(["long side", "images", "read right", "refused", "read wrong"], digits["shrunk"]) + [""]
    lines += [f"**Not one digit** ({others['images']}): {others['refused_or_read']:.1%} refused with a reason "
              "(or, for a 2-4 digit number, read right).", ""]
    lines += table(["category", "images", "refused or read"], others["by_category"]) + [""]
    lines += table(["capture style", "images", "refused or read"], others["by_style"]) + [""]
    if others.get("top_probability_only_refused") is not None:
        lines += [f"Refusing on the digits' top probability alone (below {others['top_probability_cut']:.3f}, as many "
                  f"real digits refused) would refuse {others['top_probability_only_refused']:.1%} of these.", ""]
    lines += [f"**Numbers of 2-8 digits** ({numbers['images']}), every digit right and none missing or extra:", ""]
    lines += table(["layout", "images", "read right", "refused", "read wrong"], numbers["by_layout"]) + [""]
    alone = numbers.get("reader_alone")
    if alone and alone["one_mark"]:
        lines += [f"The touching-digit reader by itself (its spelling of the run at the run's own width, before the "
                  f"checks, cuts and widened readings of `digitnet.reading`) spells {alone['spelled_right']:.1%} of "
                  f"the {alone['one_mark']} touching numbers whose ink is one mark.", ""]
    in_domain = numbers.get("reader_in_domain")
    if in_domain:
        shares = ", ".join(f"{length} digits {share:.1%}" for length, share in in_domain.items())
        lines += [f"On lines composed exactly as its training lines are, touching, but of MNIST's test digits (not "
                  f"the yardstick: its own task, without other writers), it spells right: {shares}.", ""]
    lines += table(["digits", "with gaps", "read right", "touching", "read right"], numbers["by_length"]) + [""]
    lines += table(["capture style", "images", "read right"], numbers["by_style"]) + [""]
    for key, heading, about, extra in APART:
        photos = section.get(key)
        if photos and photos["images"]:
            lines += [f"**{heading}** ({photos['images']}): {about}", ""]
            lines += table(["kind", "images", "answered right", "read wrong"], photos["by_kind"]) + [""]
            for column, by in extra:
                lines += table([column, "images", "answered right"], photos[by]) + [""]
    timed = {key: "n/a" if value is None else f"{value:.1f} ms" for key, value in section["timings_ms"].items()}
    lines += [f"Warm medians: preparing a phone photo of a digit {timed['prepare_photo_ms']}; reading a 6-digit "
              f"number photo {timed['read_six_digits_ms']}."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_digits", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="SavedModel folder (default: latest SavedModel/<N>)")
    parser.add_argument("--images", type=Path, default=DEFAULT_YARDSTICK, help="the yardstick folder")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "MNIST",
                        help="MNIST CSVs for the reader's lines of test digits (skipped without them)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "build" / "real_digits.md",
                        help="markdown file written (default build/real_digits.md: a report, not committed)")
    args = parser.parse_args(argv)
    try:
        model_dir = resolve_model_dir(args.model, PROJECT_ROOT / "SavedModel")
        section = measure_folder(model_dir, ensure_yardstick(args.images), args.data)
    except DigitnetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    lines = [f"# {section['title']}", "", *to_markdown(section), "", *floors_table(section["floors"])]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(floors_table(section["floors"])))
    print(f"wrote {display_path(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
