"""Learning curves: loss and accuracy per epoch, drawn from a History.

Below ``mlpkit.plots`` (which re-exports ``learning_curves``) so that
``History.plot()`` and the ``LivePlot`` callback can draw them too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from mlpkit import _figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["learning_curves"]


class EpochRecords(Protocol):
    """What the curves read from a History (a Protocol, so this floor need not import it)."""

    epochs: list[int]

    def __contains__(self, key: object) -> bool: ...

    def __getitem__(self, key: str) -> list[float]: ...


_TRAIN, _VALID, _TEST = "#1f77b4", "#ff7f0e", "#2ca02c"


def _finite(values: Sequence[float], epochs: Sequence[int]) -> tuple[list[int], list[float]]:
    pairs = [(e + 1, v) for e, v in zip(epochs, values, strict=True) if math.isfinite(v)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def learning_curves(history: EpochRecords, fig: Figure | None = None) -> Figure:
    """Loss and accuracy per epoch for train, validation and test, side by side.

    Parameters
    ----------
    history : History
        From ``fit``; ``test_*`` records come from ``EvaluateSets``.
    fig : Figure, optional
        Drawn on (two axes are added); a new figure by default.

    Returns
    -------
    Figure
    """
    if fig is None:
        fig = _figures.figure(figsize=(10, 4))
    loss_ax, acc_ax = fig.subplots(1, 2)
    series = [("", "train", _TRAIN), ("val_", "valid", _VALID), ("test_", "test", _TEST)]
    for prefix, label, colour in series:
        for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
            key = f"{prefix}{metric}"
            if key in history:
                x, y = _finite(history[key], history.epochs)
                ax.plot(x, y, color=colour, label=label, marker="." if len(x) < 30 else None)
    for ax, title in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        _figures.epoch_axis(ax)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    return fig
