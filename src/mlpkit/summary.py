"""A network's summary, as Keras prints it: layers, output shapes, parameters, and
the forward pass's multiply-adds per sample (``Layer.multiply_adds``).

``Network.summary()`` returns the text; ``Network._repr_html_`` the same table
in HTML, which Jupyter shows when a cell returns a network.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from mlpkit.layers import Layer

__all__ = ["as_html", "as_text", "heading", "multiply_adds", "rows", "totals"]


class Summarized(Protocol):
    """What a summary reads of a network (``mlpkit.Network`` has it all).

    A protocol, not ``Network`` itself: network.py imports this module.
    """

    layers: list[Layer]
    input_shape: tuple[int, ...]
    shapes: list[tuple[int, ...]]  # each layer's output shape, per sample
    dtype: type[np.floating]
    task: str

    @property
    def n_parameters(self) -> int:
        """The number of trainable scalars."""

    def buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(key, buffer)`` for the non-trainable state."""


HEADER = ("#", "layer", "output shape", "params", "mult-adds")
_NUMBERS = (3, 4)  # the right-aligned columns


def _inputs(network: Summarized) -> list[tuple[int, ...]]:
    """Each layer's per-sample input shape."""
    return [tuple(network.input_shape), *network.shapes[:-1]]


def multiply_adds(network: Summarized) -> list[int]:
    """Each layer's forward multiply-adds for one sample."""
    return [
        layer.multiply_adds(shape)
        for layer, shape in zip(network.layers, _inputs(network), strict=True)
    ]


def rows(network: Summarized) -> list[tuple[str, ...]]:
    """One ``(index, layer, output shape, parameters, multiply-adds)`` row per layer.

    ``None`` stands for the batch axis; the parameter count includes the
    layer's buffers (a BatchNorm's moving statistics).
    """
    found: list[tuple[str, ...]] = []
    layers = zip(network.layers, network.shapes, multiply_adds(network), strict=True)
    for index, (layer, shape, cost) in enumerate(layers):
        count = layer.n_parameters + sum(b.size for b in layer.buffers.values())
        found.append((str(index), repr(layer), str((None, *shape)), f"{count:,}", f"{cost:,}"))
    return found


def heading(network: Summarized) -> str:
    """``input shape (None, ...), dtype, task``."""
    dtype = np.dtype(network.dtype).name
    return f"input shape {(None, *network.input_shape)}, {dtype}, {network.task}"


def totals(network: Summarized) -> list[str]:
    """The total, trainable and non-trainable (buffer) parameter counts and the total
    multiply-adds per sample, one line each."""
    buffers = sum(b.size for _, b in network.buffers())
    return [
        f"Total params: {network.n_parameters + buffers:,}",
        f"Trainable params: {network.n_parameters:,}",
        f"Non-trainable params: {buffers:,}",
        f"Multiply-adds per sample (forward): {sum(multiply_adds(network)):,}",
    ]


def as_text(network: Summarized) -> str:
    """The summary as aligned plain text."""
    table = [HEADER, *rows(network)]
    widths = [max(len(row[c]) for row in table) for c in range(len(HEADER))]
    lines = [heading(network)]
    for row in table:
        cells = [
            cell.rjust(width) if column in _NUMBERS else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines + totals(network))


def as_html(network: Summarized) -> str:
    """The summary as an HTML table (parameter counts right-aligned)."""

    def cells(row: tuple[str, ...], tag: str) -> str:
        items = []
        for column, value in enumerate(row):
            style = ' style="text-align:right"' if column in _NUMBERS else ""
            items.append(f"<{tag}{style}>{html.escape(value)}</{tag}>")
        return "<tr>" + "".join(items) + "</tr>"

    body = "".join(cells(row, "td") for row in rows(network))
    foot = "<br>".join(html.escape(line) for line in totals(network))
    return (
        f"<table><caption>{html.escape(heading(network))}</caption>"
        f"<thead>{cells(HEADER, 'th')}</thead><tbody>{body}</tbody></table><p>{foot}</p>"
    )
