"""An ONNX graph under construction: named values, constants and nodes.

mlpkit's images are channels last, ``(n, height, width, channels)``; ONNX's
``Conv`` and pooling operators take channels first, ``(n, channels, height,
width)``. Each ``Value`` records which of the two its tensor holds, and a layer's
mapping asks for the one it needs (``channels_first`` / ``channels_last``): a
transpose is written only where the layout changes, so a stack of convolutions
and poolings runs channels first from its first layer to its ``Flatten``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["Graph", "Value"]

_TO_FIRST, _TO_LAST = (0, 3, 1, 2), (0, 2, 3, 1)


@dataclass(frozen=True)
class Value:
    """A tensor of the graph: its name, one sample's shape and its layout.

    Parameters
    ----------
    name : str
        The tensor's name in the graph.
    shape : tuple of int
        One sample's shape as mlpkit sees it, channels last: ``(features,)`` or
        ``(height, width, channels)``, whatever the layout of the tensor itself.
    channels_first : bool
        Whether the tensor holds images as ``(n, channels, height, width)``.
    """

    name: str
    shape: tuple[int, ...]
    channels_first: bool = False

    @property
    def is_image(self) -> bool:
        """Whether a sample is an image ``(height, width, channels)``."""
        return len(self.shape) == 3


class Graph:
    """Nodes and constants added in order, with names that never collide.

    Parameters
    ----------
    opset : int
        The ONNX operator set the graph is written for (``ReduceMean``'s axes,
        for one, moved from an attribute to an input in opset 18).
    """

    def __init__(self, opset: int) -> None:
        import onnx.helper

        self.opset = opset
        self._helper = onnx.helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._used: set[str] = set()

    def fresh_name(self, hint: str) -> str:
        """``hint``, or ``hint_2``, ``hint_3``, ... if taken."""
        name, k = hint, 1
        while name in self._used:
            k += 1
            name = f"{hint}_{k}"
        self._used.add(name)
        return name

    def constant(self, hint: str, array: np.ndarray) -> str:
        """An initializer holding ``array`` (its dtype kept); returns its name."""
        from onnx import numpy_helper

        name = self.fresh_name(hint)
        values = np.asarray(array)
        if values.dtype.kind == "U":  # onnx stores strings from an object array
            values = values.astype(object)
        self.initializers.append(numpy_helper.from_array(values, name))
        return name

    def floats(self, hint: str, array: Any) -> str:
        """A float32 constant: weights computed in float64 are exported as float32."""
        return self.constant(hint, np.asarray(array, dtype=np.float32))

    def ints(self, hint: str, values: Any) -> str:
        """An int64 constant, as shapes and axes are."""
        return self.constant(hint, np.asarray(values, dtype=np.int64))

    def op(self, op_type: str, inputs: list[str], hint: str, output: str = "", **attrs: Any) -> str:
        """Add one node of ``op_type``; returns its output's name (``output`` if given)."""
        out = output or self.fresh_name(hint)
        if output:
            self._used.add(output)
        node_name = self.fresh_name(f"{hint}/{op_type}")
        self.nodes.append(self._helper.make_node(op_type, inputs, [out], name=node_name, **attrs))
        return out

    def unary(self, op_type: str, value: Value, hint: str, **attrs: Any) -> Value:
        """An elementwise operator: the same shape and layout out as in."""
        return replace(value, name=self.op(op_type, [value.name], hint, **attrs))

    def channels_first(self, value: Value, hint: str) -> Value:
        """``value`` as ``(n, channels, height, width)``: a transpose if it is not yet."""
        if value.channels_first or not value.is_image:
            return value
        name = self.op("Transpose", [value.name], f"{hint}/to_channels_first", perm=_TO_FIRST)
        return Value(name, value.shape, channels_first=True)

    def channels_last(self, value: Value, hint: str) -> Value:
        """``value`` as mlpkit holds it, channels last: a transpose if it is channels first."""
        if not value.channels_first:
            return value
        name = self.op("Transpose", [value.name], f"{hint}/to_channels_last", perm=_TO_LAST)
        return Value(name, value.shape, channels_first=False)

    def reduce_mean(self, name: str, axes: list[int], hint: str) -> str:
        """``ReduceMean`` over ``axes``, keeping them, in this graph's opset's form."""
        if self.opset >= 18:
            return self.op("ReduceMean", [name, self.ints(f"{hint}/axes", axes)], hint)
        return self.op("ReduceMean", [name], hint, axes=axes)
