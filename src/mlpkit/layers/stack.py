"""A network's layers taken together: their input shape, building them in order,
planning which may work in place, checking weights before they are copied in,
and the values one sample occupies.

``Network`` calls these; a layer's own contract is in :mod:`mlpkit.layers.base`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mlpkit._memory import NotEnoughMemoryError, available_bytes, in_words
from mlpkit._validation import check_shape
from mlpkit.layers.base import Layer, Shape, size_of

__all__ = ["build_layers", "check_weights", "input_shape_of", "plan_inplace", "values_per_sample"]


def input_shape_of(layers: list[Layer], input_shape: int | Sequence[int] | None) -> Shape:
    """The per-sample input shape of a stack: as given, or the first layer's if it is built."""
    if input_shape is not None:
        return check_shape(input_shape, "input_shape")
    if layers[0].input_shape is None:
        raise ValueError(
            "Network needs input_shape, the shape of one sample: (n_features,) for a "
            "table, (height, width, channels) for images"
        )
    return layers[0].input_shape


def build_layers(
    layers: list[Layer], input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]
) -> list[Shape]:
    """Build each layer for the shape the one below hands it; return the output shapes.

    A layer built already keeps its params if it was built for the same
    shape and dtype. A misfit is a ``ValueError`` naming the layer and shapes;
    weights that would not fit in the free memory, a ``MemoryError`` naming the
    layer and the sizes (found from ``weight_shapes``, before allocating).
    """
    shape, shapes = input_shape, []
    free, weights_bytes = available_bytes(), 0
    for index, layer in enumerate(layers):
        where = f"layer {index} ({type(layer).__name__})"
        try:
            if not layer.built:
                declared = layer.weight_shapes(shape) or {}
                layer_bytes = sum(map(math.prod, declared.values())) * np.dtype(dtype).itemsize
                weights_bytes += layer_bytes
                # initialisers draw in float64 and then cast: the largest array is
                # held twice, once in float64, while the layer is built
                drawn = max(map(math.prod, declared.values()), default=0) * 8
                if free is not None and weights_bytes + drawn > free:
                    below = weights_bytes - layer_bytes
                    besides = f" besides the {in_words(below)} of the layers before it"
                    besides = besides if below else ""
                    raise NotEnoughMemoryError(
                        f"{where} would hold {in_words(layer_bytes)} of weights{besides} (and "
                        f"{in_words(drawn)} while they are drawn), more than the "
                        f"{in_words(free)} of memory free: make it smaller"
                    )
                layer.build(shape, rng, dtype)
            elif layer.input_shape != shape:
                raise ValueError(f"it was built for inputs of shape {layer.input_shape}")
            shape = layer.output_shape(shape)
        except NotEnoughMemoryError:
            raise
        except ValueError as error:
            raise ValueError(f"{where} cannot take samples of shape {shape}: {error}") from error
        found = {a.dtype.name for a in (*layer.params.values(), *layer.buffers.values())}
        if found - {np.dtype(dtype).name}:
            raise ValueError(
                f"{where} holds {', '.join(sorted(found))} arrays but the network is "
                f"{np.dtype(dtype).name}: build the network with the layers' dtype"
            )
        shapes.append(shape)
    return shapes


def check_weights(
    layers: list[Layer], own: dict[str, np.ndarray], weights: dict[str, np.ndarray]
) -> None:
    """Raise ValueError unless ``weights`` can replace the arrays ``own`` of ``layers``.

    Both map keys like ``"0.W"`` (layer index, array name) to arrays: the keys
    must be the same, the shapes too, and each layer's ``check_state`` must
    accept its share.
    """
    if set(weights) != set(own):
        raise ValueError(f"weights have keys {sorted(weights)} but the network has {sorted(own)}")
    for key, param in own.items():
        value = np.asarray(weights[key])
        if value.shape != param.shape:
            raise ValueError(f"weight {key!r} has shape {value.shape}, expected {param.shape}")
    for index, layer in enumerate(layers):
        prefix = f"{index}."
        state = {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
        try:
            layer.check_state(state)
        except ValueError as error:
            raise ValueError(f"layer {index} ({type(layer).__name__}): {error}") from None


def plan_inplace(layers: list[Layer]) -> None:
    """Let layers work in place where both neighbours hand over fresh arrays.

    Forward, a layer may overwrite its input when the layer below returned a
    new array it does not keep (``memory = "fresh"``, or ``"passes"`` over a
    fresh one); backward, it may overwrite ``dY`` when the layer above did the
    same. A network's input belongs to the user and the top layer's ``dY`` to
    the loss: neither is fresh. Sets ``inplace`` on every ``"in_place"`` layer
    whose neighbours allow it.
    """
    n = len(layers)
    fresh_in, fresh_grad = [False] * n, [False] * n
    fresh = False
    for i, layer in enumerate(layers):
        fresh_in[i] = fresh
        fresh = layer.memory == "fresh" or (layer.memory == "passes" and fresh)
    fresh = False
    for i in range(n - 1, -1, -1):
        fresh_grad[i] = fresh
        fresh = layers[i].memory == "fresh" or (layers[i].memory == "passes" and fresh)
    for layer, fresh_forward, fresh_backward in zip(layers, fresh_in, fresh_grad, strict=True):
        layer.inplace = layer.memory == "in_place" and fresh_forward and fresh_backward


def values_per_sample(layers: list[Layer], input_shape: Shape, shapes: list[Shape]) -> int:
    """Values one sample occupies in a forward pass: each layer's output and workspace."""
    inputs = [tuple(input_shape), *shapes[:-1]]
    return sum(
        size_of(shape) + layer.workspace(before)
        for layer, shape, before in zip(layers, shapes, inputs, strict=True)
    )
