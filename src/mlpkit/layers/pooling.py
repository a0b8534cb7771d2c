"""Pooling over images (channels last): ``MaxPool2D``, ``AvgPool2D``, ``GlobalAvgPool2D``.

Max pooling sends each window's gradient to one maximum: the first in the
window's row-major order when several are equal (as PyTorch does). Average
pooling with 'same' padding averages the real pixels only (the padding is
not counted), as Keras does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlpkit import kernels
from mlpkit.layers._im2col import Windows, check_padding, pair
from mlpkit.layers.base import Layer, Shape

__all__ = ["AvgPool2D", "GlobalAvgPool2D", "MaxPool2D"]


class _Pool2D(Layer):
    """Windows of ``pool_size`` moving by ``strides`` (default: ``pool_size``)."""

    memory = "fresh"

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
    ) -> None:
        super().__init__()
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, "strides")
        self.padding = check_padding(padding)
        self._windows: Windows | None = None
        self._shape: tuple[int, ...] = ()
        self._choice: np.ndarray | None = None  # max pooling's window positions chosen

    def _geometry(self, input_shape: Shape) -> Windows:
        return Windows(tuple(input_shape), self.pool_size, self.strides, self.padding)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._geometry(input_shape).output_shape, input_shape[-1])

    def workspace(self, input_shape: Shape) -> int:
        """The reference's patch matrix (max) or padded copy: one value per window position."""
        windows = self._geometry(input_shape)
        return windows.out_h * windows.out_w * input_shape[-1] * math.prod(self.pool_size)

    def multiply_adds(self, input_shape: Shape) -> int:
        """One comparison (max) or add (average) per value of each window."""
        return self.workspace(input_shape)

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        self._windows = self._geometry(input_shape)

    def _ready(self) -> Windows:
        if self._windows is None:
            raise RuntimeError(f"{type(self).__name__} must be built (put it in a Network) first")
        return self._windows

    def _kernel_geometry(self, windows: Windows) -> tuple[int, int, int, int, int, int]:
        """``(ph, pw, sh, sw, top, left)``: the window, its step and the padding before."""
        top, _, left, _ = windows.pads
        return (*self.pool_size, *self.strides, top, left)

    def get_config(self) -> dict[str, Any]:
        strides = None if self.strides == self.pool_size else list(self.strides)
        return {"pool_size": list(self.pool_size), "strides": strides, "padding": self.padding}


class MaxPool2D(_Pool2D):
    """The largest value of each window, per channel.

    Forward, as im2col followed by a maximum: the windows of the image padded
    with ``-inf`` are the rows of the patch matrix, one ``(ph * pw, c)`` block
    per output position, and ``Y`` is each block's maximum over its window
    positions. Backward: each window's ``dY`` goes to the position of its
    maximum (the first one, when several are equal, as ``np.argmax`` and
    PyTorch choose), and col2im adds the windows' gradients back into the
    image (overlapping windows add up).
    """

    name = "max_pool2d"
    aliases = ("maxpool2d", "max_pooling2d", "maxpooling2d")

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._ready()
        if kernels.backend() == "numba":
            Y, choice = kernels.load("pooling").max_pool(
                np.ascontiguousarray(X), *self._kernel_geometry(windows), *windows.output_shape
            )
        else:
            n, c = len(X), X.shape[-1]
            patches = windows.patches(windows.pad(X, fill=-np.inf))
            blocks = patches.reshape(n, *windows.output_shape, -1, c)  # (n, oh, ow, ph * pw, c)
            Y, choice = blocks.max(axis=3), blocks.argmax(axis=3)
        if training:  # an inference pass in between leaves the training pass's choices
            self._choice, self._shape = choice, X.shape
        return Y

    def choices(self) -> np.ndarray | None:
        return self._choice

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        windows = self._ready()
        if self._choice is None:
            raise RuntimeError("MaxPool2D.backward needs a forward pass with training=True")
        n, height, width, c = self._shape
        if kernels.backend() == "numba":
            return kernels.load("pooling").max_pool_backward(
                np.ascontiguousarray(dY),
                self._choice,
                *self._kernel_geometry(windows),
                height,
                width,
            )
        blocks = np.zeros((n, *windows.output_shape, math.prod(self.pool_size), c), dY.dtype)
        np.put_along_axis(blocks, self._choice[:, :, :, None, :], dY[:, :, :, None, :], axis=3)
        return windows.add_patches(blocks.reshape(len(dY) * windows.out_h * windows.out_w, -1), n)


class AvgPool2D(_Pool2D):
    """The mean of each window, per channel (padding excluded from the count).

    Backward: each window's ``dY`` is shared equally among its real pixels.
    """

    name = "avg_pool2d"
    aliases = ("avgpool2d", "average_pooling2d", "averagepooling2d")

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        # Real pixels per window, (out_h, out_w, 1): windows over an image of ones.
        counting = self._geometry((*input_shape[:2], 1))
        ones = counting.pad(np.ones((1, *input_shape[:2], 1), dtype))
        self._count = np.zeros((counting.out_h, counting.out_w, 1), dtype)
        for _, _, rows, cols in counting.offsets():
            self._count += ones[0, rows, cols, :]
        self._count_2d = np.ascontiguousarray(self._count[:, :, 0])  # the kernels' (oh, ow)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._ready()
        self._shape = X.shape
        if kernels.backend() == "numba":
            return kernels.load("pooling").avg_pool(
                np.ascontiguousarray(X),
                *self._kernel_geometry(windows),
                *windows.output_shape,
                self._count_2d,
            )
        padded = windows.pad(X)
        total = np.zeros((len(X), windows.out_h, windows.out_w, X.shape[-1]), X.dtype)
        for _, _, rows, cols in windows.offsets():
            total += padded[:, rows, cols, :]
        total /= self._count
        return total

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        windows = self._ready()
        if kernels.backend() == "numba":
            return kernels.load("pooling").avg_pool_backward(
                np.ascontiguousarray(dY),
                *self._kernel_geometry(windows),
                *self._shape[1:3],
                self._count_2d,
            )
        share = dY / self._count
        total = np.zeros((self._shape[0], *windows.padded_shape, self._shape[-1]), dY.dtype)
        for _, _, rows, cols in windows.offsets():
            total[:, rows, cols, :] += share
        return windows.crop(total)


class GlobalAvgPool2D(Layer):
    """The mean over all positions of each channel: (h, w, c) becomes (c,).

    Backward: ``dX = dY / (h * w)`` at every position.
    """

    name = "global_avg_pool2d"
    aliases = ("globalavgpool2d", "global_average_pooling2d", "globalaveragepooling2d")
    memory = "fresh"

    def multiply_adds(self, input_shape: Shape) -> int:
        """One add per input value."""
        return math.prod(input_shape)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"takes images of shape (height, width, channels), got {tuple(input_shape)}"
            )
        return (input_shape[-1],)

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._shape = X.shape
        if kernels.backend() == "numba":
            return kernels.load("pooling").global_avg_pool(np.ascontiguousarray(X))
        return X.mean(axis=(1, 2))

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray:
        n, h, w, c = self._shape
        return np.broadcast_to((dY / (h * w))[:, None, None, :], (n, h, w, c)).copy()
