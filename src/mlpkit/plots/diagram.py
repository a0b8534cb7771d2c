"""A small dense network drawn as units and weights (``mlpkit.plots`` shows it).

Drawn for 2-input networks of dense layers with at most ``MAX_DRAWN_UNITS``
units per hidden layer, as the moons and XOR experiments have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlpkit import _figures

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mlpkit.network import Network

__all__ = ["MAX_DRAWN_UNITS", "diagram_widths", "network_diagram"]

MAX_DRAWN_UNITS = 8
"""The most units per hidden layer ``network_diagram`` draws."""


def diagram_widths(network: Network) -> list[int] | None:
    """The unit counts ``network_diagram`` would draw, or None if it cannot draw this network.

    It draws 2 flat inputs and layers whose params are a matrix ``W`` (n_in,
    n_out) and a bias, with at most ``MAX_DRAWN_UNITS`` hidden units each.
    """
    if network.input_shape != (2,):
        return None
    widths = [2]
    for layer, shape in zip(network.layers, network.shapes, strict=True):
        if not layer.params:
            continue
        W = layer.params.get("W")
        if W is None or W.ndim != 2 or W.shape != (widths[-1], shape[0]):
            return None
        widths.append(shape[0])
    return widths if max(widths[1:-1], default=0) <= MAX_DRAWN_UNITS else None


def network_diagram(network: Network, ax: Axes | None = None) -> Axes:
    """Draw a small network: units as circles, weights as lines.

    A line's width grows with the weight's magnitude; blue is positive, red
    negative. For 2 inputs and at most ``MAX_DRAWN_UNITS`` units per layer.
    """
    widths = diagram_widths(network)
    if widths is None:
        raise ValueError(
            "network_diagram draws 2-input networks of dense layers with at most "
            f"{MAX_DRAWN_UNITS} units per hidden layer; this one has layers "
            f"{network.layers!r} and output shapes {network.shapes}"
        )
    dense = [layer for layer in network.layers if layer.params]
    _fig, ax = _figures.axes(ax, figsize=(2 + 1.6 * len(widths), 4))
    positions = [[(c, (w - 1) / 2 - r) for r in range(w)] for c, w in enumerate(widths)]
    largest = max(np.abs(layer.params["W"]).max() for layer in dense) or 1.0
    for c, layer in enumerate(dense):
        W = layer.params["W"]
        for i, start in enumerate(positions[c]):
            for j, end in enumerate(positions[c + 1]):
                weight = W[i, j]
                ax.plot(
                    [start[0], end[0]],
                    [start[1], end[1]],
                    color="#1f5fbf" if weight > 0 else "#c0392b",
                    linewidth=0.3 + 4 * abs(weight) / largest,
                    alpha=0.8,
                    zorder=1,
                )
    names = ["input"] + [f"hidden {i + 1}" for i in range(len(dense) - 1)] + ["output"]
    for c, column in enumerate(positions):
        xs, ys = zip(*column, strict=True)
        ax.scatter(xs, ys, s=400, color="white", edgecolors="black", zorder=2)
        ax.text(c, min(ys) - 0.8, names[c], ha="center", va="top", fontsize=9)
    ax.set_axis_off()
    ax.set_title("weights: blue positive, red negative, width = size")
    return ax
