"""Settings of a training run, validated once: the network spec and the run's parameters.

`NetworkSpec` is what the graph needs to be rebuilt (architecture, layer sizes); it is saved beside every
checkpoint and in every export's record, so a checkpoint can be exported on its own. `TrainConfig` holds
everything a run may change. Each field's metadata carries its help text and command-line flag: the
notebook's ``parameters`` cell maps onto the fields by upper-case name (`TrainConfig.from_parameters`) and
`python -m digitnet train` generates its options from them (`add_options` / `from_options`), so the three
cannot drift apart. Values arrive as users type them (papermill's ``-p`` passes ``"[1024, 512]"`` or
``"1024,512"`` as strings) and are parsed here, once; everything after reads the config.

Default values were chosen by measurement; the figures are in benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digitnet.errors import DigitnetError

ARCHITECTURES = ("mlp", "cnn")
AUGMENT_PRESETS = ("none", "light", "standard", "handwriting")
LR_SCHEDULES = ("decay", "cosine")


def parse_int_list(value: str | int | Sequence[int], name: str) -> tuple[int, ...]:
    """Accept ``"512,256"``, ``"[512, 256]"``, ``256``, ``[512, 256]``; return a tuple of positive ints."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.strip().strip("[]()").split(",") if part.strip()]
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    else:
        parts = list(value) if isinstance(value, Sequence) else [value]
    try:
        numbers = tuple(_whole(part) for part in parts)
    except (TypeError, ValueError):
        raise DigitnetError(f"invalid parameter: {name} must be integers such as 1024,512 or [1024, 512], "
                            f"got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise DigitnetError(f"invalid parameter: {name} must list positive integers, got {value!r}")
    return numbers


def parse_path_list(value: str | os.PathLike | Sequence | None) -> list[Path]:
    """Accept ``["a.png", "b.png"]``, ``'["a.png", "b.png"]'`` (JSON), ``"a.png,b.png"``, ``"a.png"`` or empty."""
    if value is None:
        return []
    if isinstance(value, os.PathLike):
        return [Path(value)]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                raise DigitnetError(f"invalid parameter: cannot read {value!r} as a list of paths") from None
        else:
            items = [part.strip() for part in text.split(",")]
        return [Path(item) for item in items if str(item).strip()]
    return [Path(item) for item in value]


def _whole(value) -> int:
    """An int from an int or a string of one; refuses 2.5 and True rather than truncating them."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value} is not a whole number")
        return int(value)
    return int(str(value).strip())


def _boolean(value) -> bool:
    """True/False from a bool or what people type: "true", "no", "1", 0 ..."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _coerce(value, kind, name: str):
    """Parse one parameter to its field's type (int, float, str, int | None, tuple[int, ...])."""
    optional = isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)
    base = next(arg for arg in typing.get_args(kind) if arg is not type(None)) if optional else kind
    if optional and (value is None or value in ("", "None", 0, "0")):
        return None  # 0 means "no limit" in the notebook and on the command line
    if typing.get_origin(base) is tuple:
        return parse_int_list(value, name)
    try:
        if base is bool:
            return _boolean(value)
        if base is int:
            return _whole(value)
        if base is float:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
            if not math.isfinite(number):
                raise ValueError("not finite")
            return number
    except (TypeError, ValueError):
        what = {int: "a whole number", bool: "true or false"}.get(base, "a number")
        raise DigitnetError(f"invalid parameter: {name} must be {what}, got {value!r}") from None
    return str(value) if isinstance(value, os.PathLike) else value


@dataclass(frozen=True)
class NetworkSpec:
    """The network's shape: enough to rebuild its graph (training or serving) from a checkpoint.

    Attributes:
        architecture: "mlp" (fully connected) or "cnn" (convolution blocks, then the fully connected head).
        hidden_units: sizes of the fully connected hidden layers.
        conv_filters: channels of each convolution block (cnn only).
        kernel_size: side of every square convolution kernel (cnn only).
        outputs: 10 (the digits) or 11 (the digits and "not a digit", trained on synthesised negatives).
    """

    architecture: str = "mlp"
    hidden_units: tuple[int, ...] = (1024, 512)
    conv_filters: tuple[int, ...] = (32, 64)
    kernel_size: int = 5
    outputs: int = 10

    FILE_NAME: typing.ClassVar[str] = "network.json"
    CHECKPOINT_PREFIX: typing.ClassVar[str] = "best"  # the Saver checkpoint beside it in a run's checkpoints folder

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_units", parse_int_list(self.hidden_units, "hidden_units"))
        object.__setattr__(self, "conv_filters", parse_int_list(self.conv_filters, "conv_filters"))
        if self.architecture not in ARCHITECTURES:
            raise DigitnetError(f"invalid parameter: architecture must be one of {', '.join(ARCHITECTURES)}, "
                                f"got {self.architecture!r}")
        if self.kernel_size < 1:
            raise DigitnetError("invalid parameter: kernel_size must be at least 1")
        if self.outputs not in (10, 11):
            raise DigitnetError("invalid parameter: outputs must be 10 (digits) or 11 (digits and not a digit)")

    @property
    def has_not_digit_class(self) -> bool:
        """Whether the network's 11th output says "not a digit"."""
        return self.outputs == 11

    def to_dict(self) -> dict:
        return {"architecture": self.architecture, "hidden_units": list(self.hidden_units),
                "conv_filters": list(self.conv_filters), "kernel_size": self.kernel_size, "outputs": self.outputs}

    @classmethod
    def from_dict(cls, values: Mapping) -> NetworkSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``network.json`` into `folder` (beside a checkpoint) and return its path."""
        path = Path(folder) / self.FILE_NAME
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike) -> NetworkSpec:
        """Read the ``network.json`` saved beside a checkpoint."""
        path = Path(folder) / cls.FILE_NAME
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DigitnetError(f"{path}: not found (is {folder} a digitnet checkpoint folder?)") from None
        except (OSError, ValueError, TypeError) as error:
            raise DigitnetError(f"{path}: unreadable network description ({error})") from None


def option(default, help: str, flag: str | None = None, choices: Sequence[str] | None = None):
    """A TrainConfig field with its command-line help, flag (default ``--field-name``) and choices."""
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters and paths of one training run (see each field's help)."""

    architecture: str = option("cnn", "network kind", flag="--arch", choices=ARCHITECTURES)
    hidden_units: tuple[int, ...] = option((128,), "fully connected hidden layer sizes, e.g. 512,256", flag="--hidden")
    conv_filters: tuple[int, ...] = option((16, 32), "cnn channels per convolution block, e.g. 32,64")
    epochs: int = option(5, "maximum passes over the training images")
    batch_size: int = option(128, "images per optimiser step")
    learning_rate: float = option(3e-3, "peak Adam learning rate")
    lr_decay: float = option(0.88, "learning-rate factor per epoch (schedule 'decay')")
    lr_schedule: str = option("cosine", "learning-rate schedule: 'decay' (x lr_decay per epoch) or 'cosine' "
                              "(warm-up, then down to 0 at the last epoch)", choices=LR_SCHEDULES)
    warmup_epochs: float = option(0.5, "epochs of linear learning-rate warm-up (schedule 'cosine')")
    dropout: float = option(0.0, "fraction of hidden units dropped while training (0 = none)")
    augment: str = option("handwriting", "random distortions of training images", choices=AUGMENT_PRESETS)
    variants: bool = option(True, "add copies of training 1s with a flag (and base) and 7s with a crossbar")
    negatives: float = option(0.15, "synthesised not-a-digit images per training row (0 = no 'not a digit' class)")
    line_reader_steps: int = option(1300, "batches of composed lines the touching-digit reader trains on "
                                    "(0 = no reader: touching digits are only cut apart)")
    patience: int = option(0, "stop after this many epochs without a better validation accuracy (0 = never)")
    seed: int = option(42, "graph, op and shuffling seed: the same seed gives the same model")
    threads: int = option(0, "CPU threads for TensorFlow's kernels (0 = one per core)")
    limit: int | None = option(None, "train on the first N training rows only (0 or none = all)")
    validation_size: int = option(10000, "first N training-file rows held out for validation")
    data_dir: str = option("MNIST", "folder with the four MNIST CSVs")
    export_dir: str = option("SavedModel", "base folder of the numbered SavedModel versions")
    log_dir: str = option("logs", "base folder of the TensorBoard runs and checkpoints")

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for item in dataclasses.fields(self):
            object.__setattr__(self, item.name, _coerce(getattr(self, item.name), hints[item.name], item.name))
        self.validate()

    def validate(self) -> None:
        """Raise DigitnetError naming the first parameter that is out of range."""
        checks = [
            (self.architecture in ARCHITECTURES, f"architecture must be one of {', '.join(ARCHITECTURES)}"),
            (self.augment in AUGMENT_PRESETS, f"augment must be one of {', '.join(AUGMENT_PRESETS)}"),
            (self.lr_schedule in LR_SCHEDULES, f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}"),
            (self.warmup_epochs >= 0, "warmup_epochs must be 0 or more"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (0 < self.lr_decay <= 1, "lr_decay must be in (0, 1]"),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)"),
            (0 <= self.negatives <= 1, "negatives must be in [0, 1]"),
            (self.line_reader_steps >= 0, "line_reader_steps must be 0 (none) or more"),
            (self.patience >= 0, "patience must be 0 (off) or more"),
            (self.threads >= 0, "threads must be 0 (all cores) or more"),
            (self.limit is None or self.limit >= 1, "limit must be at least 1"),
            (self.validation_size >= 1, "validation_size must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise DigitnetError(f"invalid parameter: {message}")

    @property
    def network(self) -> NetworkSpec:
        """The network part of the settings."""
        outputs = 11 if self.negatives else 10
        return NetworkSpec(self.architecture, self.hidden_units, self.conv_filters, outputs=outputs)

    def training_rows(self, available: int) -> int:
        """How many training rows the run uses: all `available`, or the first `limit`."""
        return available if self.limit is None else min(self.limit, available)

    def steps_per_epoch(self, rows: int) -> int:
        """Optimiser steps in one pass over `rows` rows (the last batch may be smaller)."""
        return -(-rows // self.batch_size)

    def schedule(self, rows: int) -> dict:
        """The learning-rate schedule's arguments for `digitnet.graph.training`, for `rows` training rows."""
        steps = self.steps_per_epoch(rows)
        if self.lr_schedule == "cosine":
            return {"total_steps": self.epochs * steps, "warmup_steps": round(self.warmup_epochs * steps)}
        return {"decay_rate": self.lr_decay, "decay_steps": steps}

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples become lists)."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, object]) -> TrainConfig:
        """The config from a notebook's parameters: each field from its upper-case name (``HIDDEN_UNITS``).

        Pass ``globals()`` from the notebook; names that are not fields are ignored, missing ones keep
        their defaults, and values are parsed as the user typed them (see `parse_int_list`).
        """
        return cls(**{f.name: parameters[f.name.upper()] for f in dataclasses.fields(cls)
                      if f.name.upper() in parameters})

    @classmethod
    def add_options(cls, parser: argparse.ArgumentParser) -> None:
        """One command-line option per field, from the field's metadata (values are parsed by the config)."""
        for item in dataclasses.fields(cls):
            flag = item.metadata.get("flag") or "--" + item.name.replace("_", "-")
            default = item.default if not isinstance(item.default, tuple) else ",".join(map(str, item.default))
            parser.add_argument(flag, dest=item.name, default=None, choices=item.metadata.get("choices"),
                                metavar=None if item.metadata.get("choices") else item.name.upper(),
                                help=f"{item.metadata['help']} (default: {default})")

    @classmethod
    def from_options(cls, options: argparse.Namespace) -> TrainConfig:
        """The config from parsed `add_options` options (those not given keep their defaults)."""
        given = {f.name: getattr(options, f.name) for f in dataclasses.fields(cls)
                 if getattr(options, f.name, None) is not None}
        return cls(**given)
