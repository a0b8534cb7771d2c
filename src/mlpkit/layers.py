"""Layers: the ``Layer`` contract and the fully connected ``Dense`` layer.

Contract (see DESIGN.md): a layer has ``params`` and ``grads``, two dicts with
the same keys and shapes. ``forward(X, training=False)`` caches what
``backward`` needs; ``backward(dY)`` overwrites ``grads`` (it never
accumulates across calls) and returns ``dX``, the gradient with respect to the
layer's input. Rows are samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit import initializers
from mlpkit._validation import as_float_dtype, as_rng, check_int


class Layer:
    """Base class of every layer; a layer without parameters has empty dicts."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Return the layer's output for ``X`` of shape (n, n_in)."""
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Given ``dY = dL/dY`` of shape (n, n_out), fill ``grads``, return ``dL/dX``."""
        raise NotImplementedError

    def output_size(self, n_in: int) -> int:
        """The number of output features for ``n_in`` input features."""
        return n_in

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (without weights)."""
        return {}

    def astype(self, dtype: type[np.floating]) -> None:
        """Convert the parameters to ``dtype`` in place."""
        for key, value in self.params.items():
            self.params[key] = value.astype(dtype)
            self.grads[key] = np.zeros_like(self.params[key])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """Fully connected layer: ``Y = X @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes; ``W`` has shape (n_in, n_out), ``b`` (n_out,).
    init : str or Initializer
        How to draw ``W`` (default Glorot uniform).
    bias_init : str or Initializer
        How to draw ``b`` (default zeros).
    seed : int or Generator, optional
        Source of randomness for the initialisers.
    dtype : {'float32', 'float64'}
        The parameters' dtype.

    Notes
    -----
    Backward, with ``delta = dL/dY`` of shape (n, n_out)::

        dW = X.T @ delta      db = delta.sum(0)      dX = delta @ W.T
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        init: str | initializers.Initializer = "glorot_uniform",
        bias_init: str | initializers.Initializer = "zeros",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        rng = as_rng(seed)
        dtype = as_float_dtype(dtype)
        weight_init = initializers.get(init)
        bias_initializer = initializers.get(bias_init)
        shape = (self.n_in, self.n_out)
        self.params["W"] = weight_init(shape, self.n_in, self.n_out, rng, dtype)
        self.params["b"] = bias_initializer((self.n_out,), self.n_in, self.n_out, rng, dtype)
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self._X: np.ndarray | None = None

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._X = X
        Y = X @ self.params["W"]
        Y += self.params["b"]  # in place: one pass less than X @ W + b
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads['W']`` and ``grads['b']``; return ``dX`` unless told not to.

        The first layer of a network has no use for ``dX``: skipping it saves
        one matrix product per batch.
        """
        if self._X is None:
            raise RuntimeError("Dense.backward called before forward")
        np.matmul(self._X.T, dY, out=self.grads["W"])
        dY.sum(axis=0, out=self.grads["b"])
        return dY @ self.params["W"].T if need_input_grad else None

    def output_size(self, n_in: int) -> int:
        if n_in != self.n_in:
            raise ValueError(f"Dense layer expects {self.n_in} inputs, got {n_in}")
        return self.n_out

    def get_config(self) -> dict[str, Any]:
        return {"n_in": self.n_in, "n_out": self.n_out}


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate``
    and scale the rest by ``1 / (1 - rate)``; at inference, pass inputs through.

    The mask comes from ``self.rng``, which ``fit`` sets to its own generator,
    so that the same seed gives the same masks and checkpoints capture them.

    Backward: ``dX = dY * mask`` (the same scaled mask as forward).
    """

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"rate must be a fraction in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng: np.random.Generator | None = None
        self._mask: np.ndarray | None = None

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0:
            self._mask = None
            return X
        if self.rng is None:
            raise RuntimeError("Dropout has no generator: train through fit(), which sets it")
        keep = self.rng.random(X.shape, dtype=X.dtype) >= self.rate
        self._mask = keep * X.dtype.type(1 / (1 - self.rate))
        return X * self._mask

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY if self._mask is None else dY * self._mask

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
