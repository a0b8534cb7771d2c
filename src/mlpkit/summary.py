"""A network's summary, as Keras prints it: layers, output shapes, parameters.

``Network.summary()`` returns the text; ``Network._repr_html_`` the same table
in HTML, which Jupyter shows when a cell returns a network.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["as_html", "as_text", "heading", "rows", "totals"]

# ``network`` below is a ``mlpkit.Network``; it is not imported, even for types,
# because network.py imports this module.
_Network = Any

HEADER = ("#", "layer", "output shape", "params")


def rows(network: _Network) -> list[tuple[str, str, str, str]]:
    """One ``(index, layer, output shape, parameters)`` row per layer, as text.

    ``None`` stands for the batch axis; the count includes the layer's buffers
    (a BatchNorm's moving statistics).
    """
    found = []
    for index, (layer, shape) in enumerate(zip(network.layers, network.shapes, strict=True)):
        count = layer.n_parameters + sum(b.size for b in layer.buffers.values())
        found.append((str(index), repr(layer), str((None, *shape)), f"{count:,}"))
    return found


def heading(network: _Network) -> str:
    """``input shape (None, ...), dtype, task``."""
    dtype = np.dtype(network.dtype).name
    return f"input shape {(None, *network.input_shape)}, {dtype}, {network.task}"


def totals(network: _Network) -> list[str]:
    """The total, trainable and non-trainable (buffer) parameter counts, one line each."""
    buffers = sum(b.size for _, b in network.buffers())
    return [
        f"Total params: {network.n_parameters + buffers:,}",
        f"Trainable params: {network.n_parameters:,}",
        f"Non-trainable params: {buffers:,}",
    ]


def as_text(network: _Network) -> str:
    """The summary as aligned plain text."""
    table = [HEADER, *rows(network)]
    widths = [max(len(row[c]) for row in table) for c in range(4)]
    lines = [heading(network)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)]
        lines.append("  ".join([*cells, row[3].rjust(widths[3])]))
    return "\n".join(lines + totals(network))


def as_html(network: _Network) -> str:
    """The summary as an HTML table (parameter counts right-aligned)."""

    def cells(row: tuple[str, ...], tag: str) -> str:
        items = []
        for column, value in enumerate(row):
            style = ' style="text-align:right"' if column == 3 else ""
            items.append(f"<{tag}{style}>{html.escape(value)}</{tag}>")
        return "<tr>" + "".join(items) + "</tr>"

    body = "".join(cells(row, "td") for row in rows(network))
    foot = "<br>".join(html.escape(line) for line in totals(network))
    return (
        f"<table><caption>{html.escape(heading(network))}</caption>"
        f"<thead>{cells(HEADER, 'th')}</thead><tbody>{body}</tbody></table><p>{foot}</p>"
    )
