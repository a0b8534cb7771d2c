"""ReLU as compiled loops (twins of ``mlpkit.layers.activations.ReLU``).

The reference makes two passes forward (the mask ``X > 0``, then the
maximum) and keeps a boolean mask; here one pass writes ``max(x, 0)`` and
the backward pass reads the output itself, which is positive exactly where
the input was. Flat, contiguous arrays; ``out`` may be the input (in place).
"""

from __future__ import annotations

from numba import njit

__all__ = ["relu", "relu_backward"]


@njit(cache=True)
def relu(X, out):  # pragma: no cover - compiled
    """``out = max(X, 0)``, a NaN kept as NaN (as ``np.maximum``)."""
    for i in range(X.size):
        x = X[i]
        out[i] = x if x > 0 or x != x else x - x  # x - x: a zero of x's dtype


@njit(cache=True)
def relu_backward(dY, Y, out):  # pragma: no cover - compiled
    """``out = dY * (Y > 0)``: the gradient passes where the output is positive."""
    for i in range(dY.size):
        out[i] = dY[i] if Y[i] > 0 else dY[i] - dY[i]
