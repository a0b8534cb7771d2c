"""New matplotlib figures that show themselves once in a notebook.

Figures made through ``pyplot`` belong to its registry: a notebook's inline
backend shows every one of them at the end of the cell, so a function that
also returns its figure is drawn twice, and a script that makes many keeps
them all in memory until ``plt.close``. The figures made here stay out of
that registry. A cell that returns one shows it once (as PNG, through
``_repr_png_`` or the inline backend's printer for figures), a cell that
only assigns it shows nothing, and a script saves it with ``fig.savefig``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Resolution of the PNG a notebook shows: sharp enough, small enough to store.
NOTEBOOK_DPI = 80

_made: dict[str, type] = {}


def _figure_class() -> type:
    """``NotebookFigure``, defined on first use: matplotlib is optional and slow to import."""
    if "figure" not in _made:
        from matplotlib.figure import Figure

        class NotebookFigure(Figure):
            """A matplotlib ``Figure`` that Jupyter displays as a PNG when a cell returns it."""

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=NOTEBOOK_DPI, bbox_inches="tight")
                return buffer.getvalue()

        _made["figure"] = NotebookFigure
    return _made["figure"]


def figure(**kwargs: Any) -> Figure:
    """A new figure outside pyplot's registry (``kwargs`` as for ``Figure``, e.g. ``figsize``)."""
    return _figure_class()(**kwargs)


def subplots(
    *args: Any, figsize: tuple[float, float] | None = None, **kwargs: Any
) -> tuple[Figure, Any]:
    """``(figure, axes)`` as ``plt.subplots`` returns them, the figure outside pyplot."""
    fig = figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


def axes(ax: Any, **figure_kwargs: Any) -> tuple[Any, Any]:
    """``(figure, ax)``: the given axes and its figure, or a new figure's single axes."""
    if ax is not None:
        return ax.figure, ax
    return subplots(**figure_kwargs)


def epoch_axis(ax: Any) -> None:
    """Label ``ax``'s x axis "epoch" with whole-number ticks (no epoch 1.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
