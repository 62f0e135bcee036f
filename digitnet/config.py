"""Everything a training run may change, with the defaults `make run` uses.

The defaults were chosen by measurement on a 2-core CPU (see README, "Models"): the best test accuracy
that trains in under 90 s. A 1024-512 MLP on batches of 256 keeps the matrix multiplies large enough
to run at over half the machine's float32 peak, and light augmentation regularises it better than
dropout does (dropout is therefore off by default; its ops are left out of the graph when the rate is 0).
The CNN option's channels default to the measured best of the model table (32 and 64, 5x5 kernels).

The notebook's ``parameters`` cell, the CLI's options and the JSON written beside each export all map
onto `TrainConfig`, so the three cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from digitnet.errors import DigitnetError


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters and paths of one training run.

    Attributes:
        architecture: "mlp" (fully connected) or "cnn" (convolutions, then the fully connected head).
        hidden_units: sizes of the fully connected hidden layers.
        conv_filters: channels of each convolution block (cnn only).
        epochs: maximum number of passes over the training split.
        batch_size: examples per Adam step.
        learning_rate: initial Adam learning rate.
        lr_decay: the learning rate is multiplied by this after every epoch.
        dropout: fraction of hidden units dropped while training (0 = none).
        augment: distortion preset applied to training batches ("none", "light", "standard").
        patience: stop after this many epochs without a better validation accuracy (0 = never).
        seed: graph, op and shuffling seed; the same seed gives the same model.
        data_dir: folder with the four MNIST CSVs.
        export_dir: base folder of the numbered SavedModel versions.
        log_dir: base folder of the TensorBoard runs (one sub-folder per run).
        threads: CPU threads for TensorFlow's kernels (0 = one per core).
        limit: use only the first N training rows (a quick smoke run); None = all.
        validation_size: how many of the first training-file rows form the validation split.
    """

    architecture: str = "mlp"
    hidden_units: tuple[int, ...] = (1024, 512)
    conv_filters: tuple[int, ...] = (32, 64)
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 2e-3
    lr_decay: float = 0.88
    dropout: float = 0.0
    augment: str = "light"
    patience: int = 8
    seed: int = 42
    data_dir: str = "MNIST"
    export_dir: str = "SavedModel"
    log_dir: str = "logs"
    threads: int = 0
    limit: int | None = field(default=None)
    validation_size: int = 10000

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_units", parse_int_list(self.hidden_units, "hidden_units"))
        object.__setattr__(self, "conv_filters", parse_int_list(self.conv_filters, "conv_filters"))
        self.validate()

    def validate(self) -> None:
        """Raise DigitnetError naming the first parameter that is out of range."""
        checks = [
            (self.architecture in ("mlp", "cnn"), "architecture must be 'mlp' or 'cnn'"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (0 < self.lr_decay <= 1, "lr_decay must be in (0, 1]"),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)"),
            (self.patience >= 0, "patience must be 0 (off) or more"),
            (self.threads >= 0, "threads must be 0 (all cores) or more"),
            (self.limit is None or self.limit >= 1, "limit must be at least 1"),
            (self.validation_size >= 1, "validation_size must be at least 1"),
            (self.architecture == "mlp" or len(self.conv_filters) >= 1, "cnn needs at least one conv filter"),
        ]
        for ok, message in checks:
            if not ok:
                raise DigitnetError(f"invalid parameter: {message}")

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples become lists)."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}


def parse_int_list(value: str | Sequence[int], name: str) -> tuple[int, ...]:
    """Accept ``"512,256"``, ``[512, 256]`` or ``(512, 256)``; return a tuple of positive ints."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
    else:
        parts = list(value)
    try:
        numbers = tuple(int(part) for part in parts)
    except (TypeError, ValueError):
        raise DigitnetError(f"invalid parameter: {name} must be comma-separated integers, got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise DigitnetError(f"invalid parameter: {name} must list positive integers, got {value!r}")
    return numbers
