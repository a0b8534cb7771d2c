"""``Flatten`` and ``Reshape``: new shapes for the same values, per sample.

Both return views where NumPy can (a C-contiguous batch always can), so they
cost no copy; backward gives ``dY`` the input's shape back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlpkit.layers.base import Layer, Shape, size_of

__all__ = ["Flatten", "Reshape"]


class _Reshaping(Layer):
    """A layer that only changes each sample's shape."""

    memory = "passes"  # a view of the argument: fresh in, fresh out

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        if self.input_shape is None:
            raise RuntimeError(f"{type(self).__name__} must be built (put it in a Network) first")
        return X.reshape(len(X), *self.output_shape(X.shape[1:]))

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        if self.input_shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before build")
        return dY.reshape(len(dY), *self.input_shape)


class Flatten(_Reshaping):
    """Each sample as one row: ``(n, h, w, c)`` becomes ``(n, h * w * c)``.

    The values keep NumPy's (C) order, channels fastest, as Keras's channels-last
    ``Flatten``. Backward reshapes ``dY`` to the input's shape.
    """

    name = "flatten"

    def output_shape(self, input_shape: Shape) -> Shape:
        return (size_of(input_shape),)


class Reshape(_Reshaping):
    """Each sample reshaped to ``target_shape`` (one entry may be -1: inferred).

    Parameters
    ----------
    target_shape : sequence of int
        The per-sample output shape, e.g. ``(28, 28, 1)`` for rows of 784 pixels.
    """

    name = "reshape"

    def __init__(self, target_shape: Sequence[int]) -> None:
        super().__init__()
        if isinstance(target_shape, str) or not isinstance(target_shape, Sequence):
            raise TypeError(
                f"target_shape must be a sequence of ints such as (28, 28, 1), got {target_shape!r}"
            )
        shape = tuple(target_shape)
        if not shape or not all(isinstance(s, int) and (s > 0 or s == -1) for s in shape):
            raise ValueError(f"target_shape must hold positive ints (or one -1), got {shape}")
        if shape.count(-1) > 1:
            raise ValueError(f"target_shape may have one -1 (inferred), got {shape}")
        self.target_shape = shape

    def output_shape(self, input_shape: Shape) -> Shape:
        size, known = size_of(input_shape), -size_of(self.target_shape)  # -1 counted once
        if -1 in self.target_shape and known > 0 and size % known == 0:
            return tuple(size // known if s == -1 else s for s in self.target_shape)
        if size_of(self.target_shape) == size:
            return self.target_shape
        raise ValueError(
            f"Reshape cannot turn samples of shape {tuple(input_shape)} ({size} values) "
            f"into {self.target_shape}"
        )

    def get_config(self) -> dict[str, Any]:
        return {"target_shape": list(self.target_shape)}
