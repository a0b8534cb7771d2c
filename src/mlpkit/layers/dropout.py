"""``Dropout``: inverted dropout, after any layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit.layers.base import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate``
    and scale the rest by ``1 / (1 - rate)``; at inference, pass inputs through.

    The mask comes from ``self.rng``, which ``fit`` sets to its own generator,
    so that the same seed gives the same masks and checkpoints capture them.
    Works on inputs of any shape.

    Backward: ``dX = dY * mask`` (the same scaled mask as forward).
    """

    name = "dropout"
    stochastic = True
    memory = "passes"  # X itself, or the new array X * mask

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"rate must be a fraction in [0, 1), got {rate!r}")
        self.rate = float(rate)
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

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        return dY if self._mask is None else dY * self._mask

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
