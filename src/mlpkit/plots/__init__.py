"""Pictures of data, training and networks (matplotlib, imported on first use).

Every function draws on the axes it is given (``ax=``) or on a new figure,
and returns the axes or figure; none calls ``plt.show()``. New figures stay
out of pyplot's registry (``mlpkit._figures``): in a notebook a cell that
returns one shows it once, inline; a script saves it with ``fig.savefig``.

The functions live by subject: ``metrics`` (the confusion matrix),
``regions`` (two-dimensional problems), ``images`` (samples, weights,
filters, feature maps, mistakes) and ``diagram`` (the network's drawing);
``learning_curves`` is ``mlpkit.curves``'. All are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpkit import _figures
from mlpkit.curves import learning_curves as learning_curves  # part of this module's API
from mlpkit.plots.diagram import MAX_DRAWN_UNITS as MAX_DRAWN_UNITS  # part of this module's API
from mlpkit.plots.diagram import diagram_widths, network_diagram
from mlpkit.plots.images import (
    conv_filters,
    feature_maps,
    first_dense_kernel,
    first_layer_weights,
    image_grid,
    misclassified,
)
from mlpkit.plots.metrics import confusion_matrix
from mlpkit.plots.regions import decision_regions, points

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "confusion_matrix",
    "conv_filters",
    "decision_regions",
    "diagram_widths",
    "feature_maps",
    "first_dense_kernel",
    "first_layer_weights",
    "image_grid",
    "misclassified",
    "network_diagram",
    "new_figure",
    "points",
]


def new_figure(**kwargs: Any) -> Figure:
    """An empty figure for several plots (``ax=``); a notebook cell that returns it shows it.

    ``kwargs`` as for matplotlib's ``Figure`` (``figsize=(12, 4)``); add axes
    with ``fig.subplots(1, 3)``. Unlike ``plt.figure``, it stays out of
    pyplot's registry (see this module's docstring).
    """
    return _figures.figure(**kwargs)
