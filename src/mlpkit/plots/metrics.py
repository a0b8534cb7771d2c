"""A confusion matrix as a picture (learning curves are ``mlpkit.curves``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlpkit import _figures

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["confusion_matrix"]


def confusion_matrix(
    matrix: npt.ArrayLike,
    classes: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """A heat map of a confusion matrix with the count in each cell.

    Parameters
    ----------
    matrix : array-like of shape (k, k)
        ``matrix[i, j]``: samples of true class i predicted as j.
    classes : sequence of str, optional
        Tick labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        The axes' title; by default how many of the samples are on the diagonal.
    """
    matrix = np.asarray(matrix)
    k = len(matrix)
    fig, ax = _figures.axes(ax, figsize=(1.2 + 0.5 * k, 1 + 0.5 * k))
    image = ax.imshow(matrix, cmap="Blues")
    labels = list(classes) if classes is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 2 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(k):
        for j in range(k):
            colour = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title or f"confusion matrix ({matrix.trace()} of {matrix.sum()} right)")
    return ax
