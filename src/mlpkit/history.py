"""A training's ``History`` (one record per epoch) and the error that ends a diverging one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

import math

__all__ = ["History", "TrainingDivergedError"]

_STANDARD_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "time")


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN, infinite or absurdly large (see ``DIVERGENCE_FACTOR``); the
    weights are those of the epoch's start."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class History:
    """Per-epoch records: ``history.loss``, ``history["val_accuracy"]``, ...

    Every record is a list with one entry per epoch; an epoch in which a
    value was not measured (an extra set evaluated every k epochs) holds NaN.
    ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``time`` (seconds
    spent training in the epoch, validation excluded) always exist (empty if
    never measured).
    """

    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.records: dict[str, list[float]] = {}
        #: True when a callback stopped training in the middle of an epoch
        #: (that epoch is not recorded).
        self.interrupted = False

    @classmethod
    def from_dict(cls, columns: dict[str, list[float]]) -> History:
        """Rebuild a History from :meth:`as_dict` output."""
        history = cls()
        history.epochs = [int(e) for e in columns.get("epoch", [])]
        history.records = {k: [float(v) for v in vs] for k, vs in columns.items() if k != "epoch"}
        return history

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's ``logs``."""
        done = len(self.epochs)
        for key, value in logs.items():
            column = self.records.setdefault(key, [math.nan] * done)
            column.append(float(value))
        for key, column in self.records.items():
            if key not in logs:
                column.append(math.nan)
        self.epochs.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        if key in self.records:
            return self.records[key]
        if key in _STANDARD_KEYS:
            return []
        raise KeyError(f"no record {key!r}; recorded: {sorted(self.records)}")

    def __getattr__(self, key: str) -> list[float]:
        if key.startswith("_") or key in ("epochs", "records", "interrupted"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as error:
            raise AttributeError(str(error)) from None

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def keys(self) -> list[str]:
        """The names of the records."""
        return list(self.records)

    def plot(self) -> Figure:
        """Loss and accuracy per epoch, side by side (``mlpkit.plots.learning_curves``).

        Returns the matplotlib Figure; in a notebook, a cell that ends with
        ``history.plot()`` shows it.
        """
        from mlpkit.curves import learning_curves  # matplotlib loads only when asked

        return learning_curves(self)

    def as_dict(self) -> dict[str, list[float]]:
        """``{"epoch": [...], name: [...]}``: ready for CSV or JSON."""
        return {
            "epoch": list(self.epochs),
            **{k: list(v) for k, v in self.records.items()},
        }

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, records={self.keys()})"
