"""``BatchNorm``: batch normalisation over the last axis (features, or image channels).

Training, per channel over the batch (and over positions, for images)::

    mean, var = mean(X), mean((X - mean)**2)          (biased variance, as Keras)
    xhat = (X - mean) / sqrt(var + epsilon)           Y = gamma * xhat + beta
    moving = momentum * moving + (1 - momentum) * batch statistic

Backward, with ``M`` values per channel and sums over the same axes::

    dbeta = sum(dY)      dgamma = sum(dY * xhat)
    dX = gamma / sqrt(var + epsilon) * (dY - dbeta / M - xhat * dgamma / M)

At inference the moving statistics (buffers) replace the batch's.

The NumPy lines below are the reference, as written above; in training the
numba backend runs ``mlpkit.kernels.normalization`` instead, two compiled
loops that read the batch a few times rather than once per operation.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlpkit import kernels
from mlpkit._validation import check_fraction, check_positive
from mlpkit.layers.base import Layer, Shape

__all__ = ["BatchNorm"]


class _Saved(NamedTuple):
    """What ``forward`` keeps for ``backward``.

    After a training pass, ``xhat`` (the normalised input, batch statistics);
    after an inference pass, the input ``X`` itself: that pass folds the moving
    statistics into one scale and shift and never forms ``xhat``.
    """

    inverse: np.ndarray  # (channels,): 1 / sqrt(variance + epsilon)
    xhat: np.ndarray | None
    X: np.ndarray | None


class BatchNorm(Layer):
    """Batch normalisation with Keras's defaults, for dense and image inputs.

    Parameters
    ----------
    momentum : float
        Weight of the old value in the moving statistics (Keras 0.99; PyTorch's
        ``momentum`` is ``1 - momentum``).
    epsilon : float
        Added to the variance before the square root.

    Attributes
    ----------
    params : ``gamma`` (scale, ones) and ``beta`` (offset, zeros), shape (channels,);
        never penalised by L2.
    buffers : ``moving_mean`` (zeros) and ``moving_variance`` (ones), shape (channels,).
    """

    name = "batch_norm"
    aliases = ("batchnorm", "batch_normalization", "batchnormalization")
    memory = "fresh"

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3) -> None:
        super().__init__()
        self.momentum = check_fraction(momentum, "momentum")
        self.epsilon = check_positive(epsilon, "epsilon")
        self._saved: _Saved | None = None

    def smallest_training_batch(self, input_shape: Shape) -> int:
        """2 over flat features: one sample's statistics are itself, and it normalises to 0.

        Over feature maps each sample gives ``height * width`` values per channel,
        so a batch of one still has statistics (PyTorch refuses likewise).
        """
        return 2 if math.prod(input_shape[:-1]) == 1 else 1

    def multiply_adds(self, input_shape: Shape) -> int:
        """One per value: at inference the statistics, scale and offset fold into one."""
        return math.prod(input_shape)

    def weight_shapes(self, input_shape: Shape) -> dict[str, tuple[int, ...]]:
        channels = (input_shape[-1],)
        keys = ("gamma", "beta", "moving_mean", "moving_variance")
        return dict.fromkeys(keys, channels)

    def check_state(self, state: dict[str, np.ndarray]) -> None:
        """A moving variance is an average of variances: never negative (nor NaN).

        A negative one would make the inference scale ``1/sqrt(var + eps)`` NaN
        (or huge), and every prediction the same class.
        """
        variance = state.get("moving_variance")
        if variance is None:
            return
        variance = np.asarray(variance)
        bad = ~(variance >= 0)  # NaN compares False: caught too
        if bad.any():
            channel = int(np.flatnonzero(bad)[0])
            value, count = float(variance.flat[channel]), int(bad.sum())
            raise ValueError(
                f"moving_variance must be >= 0 in every channel (a variance), but channel "
                f"{channel} holds {value} ({count} of {bad.size} bad)"
            )

    def init_params(
        self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]
    ) -> dict[str, np.ndarray]:
        """``gamma`` ones and ``beta`` zeros: the layer starts as plain normalisation."""
        channels = input_shape[-1]
        return {"gamma": np.ones(channels, dtype), "beta": np.zeros(channels, dtype)}

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        channels = input_shape[-1]
        self.buffers = {
            "moving_mean": np.zeros(channels, dtype),
            "moving_variance": np.ones(channels, dtype),
        }

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        gamma, beta = self.params["gamma"], self.params["beta"]
        epsilon = X.dtype.type(self.epsilon)
        if not training:
            # The statistics are constants, so gamma * (X - mean) * inverse + beta
            # folds into X * scale + shift: two passes over X instead of four.
            inverse = 1 / np.sqrt(self.buffers["moving_variance"] + epsilon)
            scale = gamma * inverse
            self._saved = _Saved(inverse, xhat=None, X=X)
            Y = X * scale
            Y += beta - self.buffers["moving_mean"] * scale
            return Y
        rows = X.reshape(-1, X.shape[-1])  # (M, channels)
        if kernels.backend() == "numba":
            Y, xhat, mean, variance, inverse = kernels.load("normalization").batch_norm_forward(
                np.ascontiguousarray(rows), gamma, beta, self.epsilon
            )
        else:
            mean = rows.mean(axis=0)
            variance = ((rows - mean) ** 2).mean(axis=0)
            inverse = 1 / np.sqrt(variance + epsilon)
            xhat = (rows - mean) * inverse
            Y = gamma * xhat + beta
        self._update_moving(mean, variance)
        self._saved = _Saved(inverse, xhat=xhat, X=None)
        return Y.reshape(X.shape)

    def _update_moving(self, mean: np.ndarray, variance: np.ndarray) -> None:
        keep = self.momentum
        for key, value in (("moving_mean", mean), ("moving_variance", variance)):
            moving = self.buffers[key]
            moving *= keep
            moving += (1 - keep) * value

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        if self._saved is None:
            raise RuntimeError("BatchNorm.backward called before forward")
        inverse, xhat, X = self._saved
        training = xhat is not None
        if xhat is None:  # after inference: xhat from the moving statistics
            xhat = (X - self.buffers["moving_mean"]) * inverse
        shape = dY.shape
        dY = dY.reshape(-1, shape[-1])  # (M, channels), as xhat
        xhat = xhat.reshape(dY.shape)
        gamma = self.params["gamma"]
        if training and kernels.backend() == "numba":
            grads = self.grads
            dX = kernels.load("normalization").batch_norm_backward(
                np.ascontiguousarray(dY), xhat, gamma, inverse, grads["gamma"], grads["beta"]
            )
            return dX.reshape(shape) if need_input_grad else None
        self.grads["beta"][...] = dY.sum(axis=0)
        self.grads["gamma"][...] = (dY * xhat).sum(axis=0)
        if not need_input_grad:
            return None
        if not training:  # the statistics were constants
            return (dY * gamma * inverse).reshape(shape)
        m = len(dY)
        dX = gamma * inverse * (dY - self.grads["beta"] / m - xhat * self.grads["gamma"] / m)
        return dX.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "epsilon": self.epsilon}
