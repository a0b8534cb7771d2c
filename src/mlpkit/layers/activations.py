"""Activation functions as parameter-free layers.

Each activation caches what its derivative needs in ``forward`` and applies
the chain rule in ``backward``: ``dX = dY * f'(X)`` elementwise, except for
``Softmax``, whose Jacobian couples the outputs of a sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit import kernels
from mlpkit._validation import check_positive, resolve
from mlpkit.layers.base import REGISTRY, Layer

__all__ = [
    "Activation",
    "Exp",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get",
    "sigmoid",
    "softmax",
]


class Activation(Layer):
    """Base class of activation layers (no parameters)."""


class Sigmoid(Activation):
    """Logistic sigmoid ``s(x) = 1 / (1 + exp(-x))``; backward ``dX = dY * s * (1 - s)``."""

    name = "sigmoid"
    aliases = ("logistic",)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._Y = sigmoid(X)
        return self._Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        Y = self._Y
        return dY * Y * (1 - Y)


class Tanh(Activation):
    """Hyperbolic tangent; backward ``dX = dY * (1 - tanh(x)**2)``."""

    name = "tanh"

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._Y = np.tanh(X)
        return self._Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        return dY * (1 - self._Y * self._Y)


class ReLU(Activation):
    """Rectified linear unit ``max(0, x)``; backward ``dX = dY * (x > 0)``.

    The numba backend runs ``mlpkit.kernels.activations``: one pass each way,
    the backward pass reading the output (positive where the input was).
    """

    name = "relu"
    memory = "in_place"
    # What backward reads: the output (numba's pass) or the mask of the reference's.
    _Y: np.ndarray | None = None
    _mask: np.ndarray | None = None

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        if kernels.backend() == "numba" and X.flags.c_contiguous:
            Y = X if self.inplace else np.empty_like(X)
            kernels.load("activations").relu(X.reshape(-1), Y.reshape(-1))
            self._Y, self._mask = Y, None
            return Y
        self._mask, self._Y = X > 0, None
        return np.maximum(X, 0, out=X if self.inplace else None)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        if self._Y is not None and dY.flags.c_contiguous:
            dX = dY if self.inplace else np.empty_like(dY)
            kernels.load("activations").relu_backward(
                dY.reshape(-1), self._Y.reshape(-1), dX.reshape(-1)
            )
            return dX
        mask = self.choices()
        if mask is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return np.multiply(dY, mask, out=dY if self.inplace else None)

    def choices(self) -> np.ndarray | None:
        """Where the last forward pass's input was positive (None before any)."""
        if self._Y is not None:
            return self._Y > 0
        return self._mask


class LeakyReLU(Activation):
    """``x`` for ``x > 0``, ``alpha * x`` otherwise; backward scales ``dY`` the same way."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_positive(alpha, "alpha")

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._mask = X > 0
        return np.where(self._mask, X, self.alpha * X)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        return np.where(self._mask, dY, self.alpha * dY)

    def choices(self) -> np.ndarray | None:
        return getattr(self, "_mask", None)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Exp(Activation):
    """Exponential ``f(x) = exp(x)``, for Poisson regression; backward ``dX = dY * exp(x)``.

    With the Poisson loss the two are fused on the logits (see ``losses``).
    """

    name = "exp"
    aliases = ("exponential",)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._Y = np.exp(X)
        return self._Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        return dY * self._Y


class Linear(Activation):
    """Identity ``f(x) = x`` (a linear output for regression); backward ``dX = dY``."""

    name = "linear"
    aliases = ("identity",)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        return X

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        return dY


class Softmax(Activation):
    """Row-wise softmax ``s_k = exp(x_k) / sum_j exp(x_j)``.

    Backward (Jacobian-vector product per row): ``dX = s * (dY - sum_k dY_k s_k)``.
    With cross-entropy the two are fused on the logits (see ``losses``).
    """

    name = "softmax"

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._Y = softmax(X)
        return self._Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        S = self._Y
        return S * (dY - np.sum(dY * S, axis=-1, keepdims=True))


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise."""
    # 0.5 + 0.5 tanh(z/2) equals 1 / (1 + exp(-z)) and never overflows.
    return 0.5 + 0.5 * np.tanh(0.5 * Z)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits ``Z`` of shape (n, k), shifted for stability."""
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    E /= E.sum(axis=-1, keepdims=True)
    return E


def get(spec: str | Activation) -> Activation:
    """Return a new activation layer named ``spec``, or ``spec`` if it is one.

    The names are those of the one layer registry (``layers.REGISTRY``).
    """
    activations = {name: cls for name, cls in REGISTRY.items() if issubclass(cls, Activation)}
    return resolve(spec, activations, "activation", Activation)
