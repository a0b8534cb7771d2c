"""The range of every numeric recipe key, checked before any data is read or file written.

A value out of range is refused naming its recipe key (``report.images must be
at least 1 and at most 400, got -5``), not the argument of whatever function
would have received it, and not at all silently: a negative image count once
made the report draw ever more images until it was killed.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

__all__ = ["RANGES", "Range", "check_settings"]


class Range(NamedTuple):
    """``low <= value <= high`` (``high`` None: no upper bound); an open end excludes itself."""

    low: float
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the range."""
        above = value > self.low if self.low_open else value >= self.low
        if self.high is None:
            return above
        return above and (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        """The range in words: ``at least 1 and at most 400``."""
        words = f"above {self.low}" if self.low_open else f"at least {self.low}"
        if self.high is not None:
            words += f" and below {self.high}" if self.high_open else f" and at most {self.high}"
        return words


RANGES: dict[str, Range] = {
    "data.test_size": Range(0, low_open=True),  # a fraction in (0, 1) or a count
    "data.valid_size": Range(0),  # 0: none
    "data.train_subset": Range(0),  # 0: all
    "data.split_seed": Range(0),
    "model.dropout": Range(0, 1, high_open=True),
    "model.init_param": Range(0),  # a limit or a standard deviation; 0: the default
    "model.bias_init_param": Range(0),
    "train.epochs": Range(1),
    "train.batch_size": Range(0),  # 0: the whole training set
    "train.learning_rate": Range(0, low_open=True),
    "train.momentum": Range(0, 1, high_open=True),
    "train.decay": Range(0, low_open=True),
    "train.decay_every": Range(1),
    "train.l2": Range(0),
    "train.early_stopping": Range(0),  # 0: off
    "train.seed": Range(0),
    "train.checkpoint_every": Range(1),
    "train.evaluate_test_every": Range(0),  # 0: only at the end
    "train.augment_shift": Range(0),  # below the image size too, checked with the data
    "train.augment_rotate": Range(0, 180),  # degrees either way
    "train.augment_scale": Range(0, 1, high_open=True),
    # A grid of 400 images (20 x 20) is as many as a report page shows legibly.
    "report.images": Range(1, 400),
}
"""Every numeric recipe key and the values it may take.

The widths in ``model.hidden``, the layer tables and ``data.options`` are checked
where they are read, by the functions they go to, with the key named there.
"""


def check_settings(config: dict[str, Any]) -> None:
    """Refuse a numeric recipe value out of its range, naming the recipe key.

    Parameters
    ----------
    config : dict
        A resolved recipe (``load_recipe``, ``apply_overrides``).

    Raises
    ------
    ValueError
        The first key whose value is not finite or lies outside ``RANGES``.
    """
    for dotted, allowed in RANGES.items():
        table, key = dotted.split(".")
        value = config[table][key]
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{dotted} must be a finite number, got {value!r}")
        if not allowed.holds(value):
            raise ValueError(f"{dotted} must be {allowed.describe()}, got {value!r}")
