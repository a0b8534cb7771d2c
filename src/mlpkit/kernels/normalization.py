"""Batch normalisation in training as compiled loops (twins of ``mlpkit.layers.normalization``).

The reference makes a NumPy pass per operation, each over the whole
``(M, channels)`` batch: centring, squaring, two reductions, scaling,
shifting forward, and as many backward. Here the forward pass reads the batch
twice (the mean, then the variance about it) and writes ``xhat`` and ``Y``
in a third pass; the backward pass reads ``dY`` and ``xhat`` once for the two
sums and once more to write ``dX``. Sums run over rows in order, in float64,
so that a batch of many rows loses no precision in float32.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["batch_norm_backward", "batch_norm_forward"]


@njit(cache=True, error_model="numpy")
def batch_norm_forward(rows, gamma, beta, epsilon):  # pragma: no cover - compiled
    """``(Y, xhat, mean, variance, inverse)`` for ``rows`` of shape (M, channels).

    ``variance`` is the biased one, ``inverse`` is ``1 / sqrt(variance + epsilon)``,
    all of the dtype of ``rows``.
    """
    m, channels = rows.shape
    mean = np.zeros(channels, np.float64)
    for i in range(m):
        for c in range(channels):
            mean[c] += rows[i, c]
    mean /= m
    variance = np.zeros(channels, np.float64)
    for i in range(m):
        for c in range(channels):
            d = rows[i, c] - mean[c]
            variance[c] += d * d
    variance /= m
    inverse = 1.0 / np.sqrt(variance + epsilon)
    mean_t, inverse_t = mean.astype(rows.dtype), inverse.astype(rows.dtype)
    xhat = np.empty_like(rows)
    Y = np.empty_like(rows)
    for i in range(m):
        for c in range(channels):
            x = (rows[i, c] - mean_t[c]) * inverse_t[c]
            xhat[i, c] = x
            Y[i, c] = gamma[c] * x + beta[c]
    return Y, xhat, mean_t, variance.astype(rows.dtype), inverse_t


@njit(cache=True, error_model="numpy")
def batch_norm_backward(dY, xhat, gamma, inverse, dgamma, dbeta):  # pragma: no cover
    """``dX`` for ``dY`` and ``xhat`` of shape (M, channels); fills ``dgamma`` and ``dbeta``.

    ``dX = gamma * inverse * (dY - dbeta / M - xhat * dgamma / M)``.
    """
    m, channels = dY.shape
    sum_dy = np.zeros(channels, np.float64)
    sum_dy_xhat = np.zeros(channels, np.float64)
    for i in range(m):
        for c in range(channels):
            d = dY[i, c]
            sum_dy[c] += d
            sum_dy_xhat[c] += d * xhat[i, c]
    for c in range(channels):
        dbeta[c] = sum_dy[c]
        dgamma[c] = sum_dy_xhat[c]
    scale = (gamma * inverse).astype(dY.dtype)
    mean_dy = (sum_dy / m).astype(dY.dtype)
    mean_dy_xhat = (sum_dy_xhat / m).astype(dY.dtype)
    dX = np.empty_like(dY)
    for i in range(m):
        for c in range(channels):
            dX[i, c] = scale[c] * (dY[i, c] - mean_dy[c] - xhat[i, c] * mean_dy_xhat[c])
    return dX
