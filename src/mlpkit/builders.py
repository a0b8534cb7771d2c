"""Building networks: the ``mlp`` shorthand and networks from configs.

``network_from_config`` is the one way a network is rebuilt from data (a
saved model, a recipe's ``[[model.layers]]``), so ``io``, the recipes and
``mlpkit.sklearn`` all build through the same layer registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlpkit import initializers
from mlpkit._validation import check_int
from mlpkit.layers import Dense, Dropout, Layer, activations, layer_class, layer_from_config
from mlpkit.network import Network

__all__ = ["mlp", "network_from_config"]

InitSpec = str | initializers.Initializer
ActivationSpec = str | activations.Activation


def _per_layer(value: Any, count: int, name: str) -> list[Any]:
    """Broadcast a setting to ``count`` layers, or check a per-layer list's length."""
    if isinstance(value, list | tuple):
        if len(value) != count:
            raise ValueError(f"{name} has {len(value)} entries but there are {count} layers")
        return list(value)
    return [value] * count


def mlp(
    sizes: Sequence[int],
    hidden: ActivationSpec | Sequence[ActivationSpec] = "relu",
    output: ActivationSpec = "softmax",
    *,
    init: InitSpec | Sequence[InitSpec] = "glorot_uniform",
    bias_init: InitSpec | Sequence[InitSpec] = "zeros",
    seed: int | np.random.Generator | None = None,
    dtype: str | type[np.floating] = "float32",
    task: str | None = None,
    targets: str = "one_hot",
    dropout: float = 0.0,
) -> Network:
    """Build a multi-layer perceptron: Dense layers with activations between them.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[64, 36, 10]``: 64 inputs,
        one hidden layer of 36 units, 10 outputs. Any depth.
    hidden : str or Activation, or a list of one per hidden layer
        The hidden activation(s): "sigmoid", "tanh", "relu", "leaky_relu",
        "linear" or "softmax".
    output : str or Activation
        The output activation.
    init, bias_init : str or Initializer, or a list of one per Dense layer
        How weights and biases are drawn (Glorot uniform and zeros by default).
    seed : int or Generator, optional
        Makes the initial weights reproducible.
    dtype : {'float32', 'float64'}
    task : {'classification', 'regression'}, optional
        See :class:`Network`.
    targets : {'one_hot', 'signed'}
        See :class:`Network`.
    dropout : float
        If positive, a ``Dropout`` layer of this rate follows each hidden activation.

    Examples
    --------
    >>> net = mlp([2, 16, 16, 2], hidden="tanh", output="softmax", seed=0)
    >>> net.n_parameters
    354
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a list of layer widths, got {type(sizes).__name__}")
    sizes = [check_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    n_dense = len(sizes) - 1
    hidden_acts = _per_layer(hidden, n_dense - 1, "hidden")
    inits = _per_layer(init, n_dense, "init")
    bias_inits = _per_layer(bias_init, n_dense, "bias_init")
    layers: list[Layer] = []
    for i in range(n_dense):
        layers.append(Dense(sizes[i + 1], init=inits[i], bias_init=bias_inits[i]))
        act = hidden_acts[i] if i < n_dense - 1 else output
        # A fresh layer per position: activation layers cache their inputs.
        layers.append(activations.get(act if isinstance(act, str) else _copy_activation(act)))
        if dropout and i < n_dense - 1:
            layers.append(Dropout(dropout))
    # The network draws W then b of each Dense layer in turn from one generator.
    return Network(
        layers, input_shape=(sizes[0],), seed=seed, dtype=dtype, task=task, targets=targets
    )


def _copy_activation(act: ActivationSpec) -> ActivationSpec:
    if isinstance(act, activations.Activation):
        return type(act)(**act.get_config())
    return act


def network_from_config(
    config: Mapping[str, Any],
    *,
    seed: int | np.random.Generator | None = None,
    defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> Network:
    """A network from its description, as ``Network.get_config()`` returns it.

    Parameters
    ----------
    config : mapping
        ``input_shape`` (list of int), ``layers`` (a list of ``{"type": name,
        **arguments}``), and optionally ``dtype``, ``task``, ``targets``.
    seed : int or Generator, optional
        Draws the initial weights.
    defaults : mapping of layer type to arguments, optional
        Arguments for layers of a type that do not give them, e.g.
        ``{"dense": {"init": "he_uniform"}}`` (keyed by registry name).

    Raises
    ------
    ValueError
        An unknown layer type or argument (listing the valid ones, with the
        layer's position), or layers that do not fit the input shape.
    """
    specs = config.get("layers")
    if not isinstance(specs, list | tuple) or not specs:
        raise ValueError(f"layers must be a non-empty list of layer tables, got {specs!r}")
    layers = []
    for index, spec in enumerate(specs):
        try:
            if isinstance(spec, Mapping) and "type" in spec:
                extra = (defaults or {}).get(layer_class(spec["type"]).name, {})
                spec = {**extra, **spec}
            layers.append(layer_from_config(dict(spec) if isinstance(spec, Mapping) else spec))
        except (TypeError, ValueError) as error:
            raise type(error)(f"layers[{index}]: {error}") from error
    return Network(
        layers,
        input_shape=config.get("input_shape"),
        seed=seed,
        dtype=config.get("dtype", "float32"),
        task=config.get("task"),
        targets=config.get("targets", "one_hot"),
    )
