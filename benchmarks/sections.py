"""The sections `benchmarks.run` can measure: name (as ``--only`` takes it) -> module, in run and report order.

A section is a module with ``measure(ctx: Context) -> dict`` and ``to_markdown(section: dict) -> list[str]``
(see `Section`). It asks the `Context` for what it shares with other sections (data, model, image set,
matmul peak) and never reads another section's results, so any subset runs in any order. Adding a
section: write its module, add one line to `SECTIONS`.
"""

from __future__ import annotations

from typing import Protocol

from benchmarks import data_loading, inference, real_digits, time_to_accuracy, training_speed, user_images
from benchmarks.context import Context


class Section(Protocol):
    """A section module, as `run` and `report` use it."""

    def measure(self, ctx: Context) -> dict:
        """The section's results, JSON-friendly: a "title" (its heading), "floors" (`stats.floor` dicts, maybe
        none), and, if it compares GFLOP/s with the matmul peak, "matmul_peak_gflops" and unit="of peak"
        floors (`run` re-judges those against the run's final peak)."""

    def to_markdown(self, section: dict) -> list[str]:
        """Its body in results.md, from the dict `measure` returned (possibly an earlier run's, from results.json)."""


SECTIONS: dict[str, Section] = {
    "training": training_speed,
    "time_to_accuracy": time_to_accuracy,
    "data_loading": data_loading,
    "inference": inference,
    "user_images": user_images,
    "real_digits": real_digits,
}
