"""The fully connected layer ``Dense``: the delta rule of backpropagation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlpkit import initializers
from mlpkit._validation import check_int, check_positive
from mlpkit.layers.base import Layer, Shape

__all__ = ["Dense"]

_DEFAULT_INIT, _DEFAULT_BIAS_INIT = "glorot_uniform", "zeros"


class Dense(Layer):
    """Fully connected layer: ``Y = X @ W + b``.

    Parameters
    ----------
    units : int
        Output size. The input size is learned in ``build``: ``W`` has shape
        (n_in, units) and ``b`` (units,).
    init : str or Initializer
        How to draw ``W`` (default Glorot uniform).
    bias_init : str or Initializer
        How to draw ``b`` (default zeros).
    l2 : float
        This layer's own L2 weight on ``W`` (Keras's ``kernel_regularizer``),
        added to the ``l2`` of ``fit``.

    Notes
    -----
    Backward, with ``delta = dL/dY`` of shape (n, units)::

        dW = X.T @ delta      db = delta.sum(0)      dX = delta @ W.T
    """

    name = "dense"
    regularized = ("W",)
    biases = ("b",)
    memory = "fresh"  # X @ W is a new array, and Dense keeps only its input

    def __init__(
        self,
        units: int,
        *,
        init: str | initializers.Initializer = _DEFAULT_INIT,
        bias_init: str | initializers.Initializer = _DEFAULT_BIAS_INIT,
        l2: float = 0.0,
    ) -> None:
        super().__init__()
        self.units = check_int(units, "units")
        self.init = init
        self.bias_init = bias_init
        self._weight_init = initializers.get(init)  # fail now on a bad name, not at build
        self._bias_init = initializers.get(bias_init)
        self.l2 = check_positive(l2, "l2", allow_zero=True)
        self._X: np.ndarray | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense takes flat samples of shape (n_features,), got {tuple(input_shape)}; "
                "put a Flatten() layer before it"
            )
        return (self.units,)

    def weight_shapes(self, input_shape: Shape) -> dict[str, tuple[int, ...]]:
        self.output_shape(input_shape)
        return {"W": (input_shape[0], self.units), "b": (self.units,)}

    def init_params(
        self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]
    ) -> dict[str, np.ndarray]:
        n_in = input_shape[0]
        fan_in, fan_out = initializers.fans((n_in, self.units))
        # W before b: the order of the draws fixes the weights a seed gives.
        return {
            "W": self._weight_init((n_in, self.units), fan_in, fan_out, rng, dtype),
            "b": self._bias_init((self.units,), fan_in, fan_out, rng, dtype),
        }

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._X = X
        Y = X @ self.params["W"]
        Y += self.params["b"]  # in place: one pass less than X @ W + b
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads['W']`` and ``grads['b']``; return ``dX`` unless told not to.

        The lowest layer with params has no use for ``dX``: skipping it saves
        one matrix product per batch.
        """
        if self._X is None:
            raise RuntimeError("Dense.backward called before forward")
        if isinstance(self._X, np.ndarray):
            np.matmul(self._X.T, dY, out=self.grads["W"])
        else:  # a SciPy sparse batch (mlpkit.sklearn): its product is dense, not written in place
            self.grads["W"][...] = self._X.T @ dY
        dY.sum(axis=0, out=self.grads["b"])
        return dY @ self.params["W"].T if need_input_grad else None

    def multiply_adds(self, input_shape: Shape) -> int:
        """``n_in * units``: one per weight (the bias adds are not counted)."""
        return math.prod(input_shape) * self.units

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"units": self.units}
        # Initialisers given by name are kept; an Initializer object is not (the
        # weights it drew are saved with the model, which is what counts).
        if isinstance(self.init, str) and self.init != _DEFAULT_INIT:
            config["init"] = self.init
        if isinstance(self.bias_init, str) and self.bias_init != _DEFAULT_BIAS_INIT:
            config["bias_init"] = self.bias_init
        if self.l2:
            config["l2"] = self.l2
        return config
