"""Each built-in layer as standard ONNX operators, and the registry users add to.

A mapping is a function ``(layer, graph, value, hint) -> Value``: it adds the
layer's nodes to ``graph`` (a ``Graph``), reading its input ``value`` (a
``Value``), and returns its output. ``hint`` is a unique prefix for the names
of the nodes and constants it adds (``layer3_conv2d``).

Mappings are looked up by the layer's exact class: a subclass that changes
``forward`` must not be exported as its parent silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from mlpkit import layers as built_in
from mlpkit.export.graph import Graph, Value
from mlpkit.layers import Layer
from mlpkit.layers._im2col import Windows

__all__ = ["MAPPINGS", "Mapping", "register"]

Mapping = Callable[[Layer, Graph, Value, str], Value]
"""A layer's export: ``(layer, graph, value, hint) -> Value``."""

MAPPINGS: dict[type[Layer], Mapping] = {}
"""The ONNX mapping of each layer class, built-in and registered."""

F = TypeVar("F", bound=Callable[..., Value])


def register(layer_class: type[Layer]) -> Callable[[F], F]:
    """Register the decorated function as ``layer_class``'s ONNX mapping.

    Parameters
    ----------
    layer_class : type
        A ``Layer`` subclass; its instances (not its subclasses') are exported
        with the function.

    Examples
    --------
    >>> import mlpkit as mk
    >>> from mlpkit.export import Value, register
    >>> class Square(mk.layers.Activation):
    ...     name = "square_doc_example"
    ...     def forward(self, X, *, training=False):
    ...         return X * X
    >>> @register(Square)
    ... def export_square(layer, graph, value, hint):
    ...     name = graph.op("Mul", [value.name, value.name], hint)
    ...     return Value(name, value.shape, value.channels_first)
    """
    if not (isinstance(layer_class, type) and issubclass(layer_class, Layer)):
        raise TypeError(f"layer_class must be a Layer subclass, got {layer_class!r}")

    def decorate(function: F) -> F:
        MAPPINGS[layer_class] = function
        return function

    return decorate


def _same(op_type: str) -> Mapping:
    def export(layer: Layer, graph: Graph, value: Value, hint: str) -> Value:
        return graph.unary(op_type, value, hint)

    return export


for _cls, _op in (
    (built_in.Sigmoid, "Sigmoid"),
    (built_in.Tanh, "Tanh"),
    (built_in.ReLU, "Relu"),
    (built_in.Exp, "Exp"),
):
    MAPPINGS[_cls] = _same(_op)


@register(built_in.Linear)
@register(built_in.Dropout)
def _identity(layer: Layer, graph: Graph, value: Value, hint: str) -> Value:
    """Linear, and Dropout at inference: the input itself, no node."""
    return value


@register(built_in.LeakyReLU)
def _leaky_relu(layer: built_in.LeakyReLU, graph: Graph, value: Value, hint: str) -> Value:
    return graph.unary("LeakyRelu", value, hint, alpha=float(layer.alpha))


@register(built_in.Softmax)
def _softmax(layer: built_in.Softmax, graph: Graph, value: Value, hint: str) -> Value:
    axis = 1 if value.channels_first else -1  # mlpkit's softmax runs over the last axis
    return graph.unary("Softmax", value, hint, axis=axis)


@register(built_in.Dense)
def _dense(layer: built_in.Dense, graph: Graph, value: Value, hint: str) -> Value:
    W = graph.floats(f"{hint}/W", layer.params["W"])
    b = graph.floats(f"{hint}/b", layer.params["b"])
    name = graph.op("Gemm", [value.name, W, b], hint)
    return Value(name, (layer.units,))


@register(built_in.Flatten)
def _flatten(layer: built_in.Flatten, graph: Graph, value: Value, hint: str) -> Value:
    value = graph.channels_last(value, hint)  # mlpkit flattens (height, width, channels)
    size = int(np.prod(value.shape))
    return Value(graph.op("Flatten", [value.name], hint, axis=1), (size,))


@register(built_in.Reshape)
def _reshape(layer: built_in.Reshape, graph: Graph, value: Value, hint: str) -> Value:
    value = graph.channels_last(value, hint)
    shape = tuple(int(s) for s in layer.output_shape(value.shape))
    target = graph.ints(f"{hint}/shape", [-1, *shape])
    return Value(graph.op("Reshape", [value.name, target], hint), shape)


def _pads(windows: Windows) -> list[int]:
    top, bottom, left, right = windows.pads
    return [top, left, bottom, right]  # ONNX: every axis's start, then every axis's end


@register(built_in.Conv2D)
def _conv2d(layer: built_in.Conv2D, graph: Graph, value: Value, hint: str) -> Value:
    value = graph.channels_first(value, hint)
    windows = Windows(value.shape, layer.kernel_size, layer.strides, layer.padding)
    # mlpkit's kernel is (kh, kw, c_in, filters); ONNX's is (filters, c_in, kh, kw)
    W = graph.floats(f"{hint}/W", np.transpose(layer.params["W"], (3, 2, 0, 1)))
    inputs = [value.name, W]
    if layer.use_bias:
        inputs.append(graph.floats(f"{hint}/b", layer.params["b"]))
    name = graph.op(
        "Conv",
        inputs,
        hint,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        pads=_pads(windows),
    )
    return Value(name, (*windows.output_shape, layer.filters), channels_first=True)


def _pool(
    op_type: str,
    layer: built_in.MaxPool2D | built_in.AvgPool2D,
    graph: Graph,
    value: Value,
    hint: str,
) -> Value:
    value = graph.channels_first(value, hint)
    windows = Windows(value.shape, layer.pool_size, layer.strides, layer.padding)
    attrs: dict[str, Any] = {"count_include_pad": 0} if op_type == "AveragePool" else {}
    name = graph.op(
        op_type,
        [value.name],
        hint,
        kernel_shape=list(layer.pool_size),
        strides=list(layer.strides),
        pads=_pads(windows),
        **attrs,
    )
    return Value(name, (*windows.output_shape, value.shape[-1]), channels_first=True)


@register(built_in.MaxPool2D)
def _max_pool(layer: built_in.MaxPool2D, graph: Graph, value: Value, hint: str) -> Value:
    return _pool("MaxPool", layer, graph, value, hint)


@register(built_in.AvgPool2D)
def _avg_pool(layer: built_in.AvgPool2D, graph: Graph, value: Value, hint: str) -> Value:
    # mlpkit divides by the window's real pixels, as count_include_pad=0 does
    return _pool("AveragePool", layer, graph, value, hint)


@register(built_in.GlobalAvgPool2D)
def _global_avg_pool(
    layer: built_in.GlobalAvgPool2D, graph: Graph, value: Value, hint: str
) -> Value:
    value = graph.channels_first(value, hint)
    pooled = graph.op("GlobalAveragePool", [value.name], hint)  # (n, c, 1, 1)
    return Value(graph.op("Flatten", [pooled], f"{hint}/flat", axis=1), (value.shape[-1],))


@register(built_in.BatchNorm)
def _batch_norm(layer: built_in.BatchNorm, graph: Graph, value: Value, hint: str) -> Value:
    """Inference: the moving statistics. ONNX normalises axis 1, hence channels first."""
    value = graph.channels_first(value, hint)
    inputs = [value.name] + [
        graph.floats(f"{hint}/{key}", array)
        for key, array in (
            ("gamma", layer.params["gamma"]),
            ("beta", layer.params["beta"]),
            ("moving_mean", layer.buffers["moving_mean"]),
            ("moving_variance", layer.buffers["moving_variance"]),
        )
    ]
    name = graph.op("BatchNormalization", inputs, hint, epsilon=float(layer.epsilon))
    return Value(name, value.shape, value.channels_first)
