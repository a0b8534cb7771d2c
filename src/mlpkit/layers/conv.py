"""``Conv2D``: a 2-D convolution (cross-correlation, as in every framework), channels last.

The delta rule of ``Dense`` applied to image patches. With ``P`` the patch
matrix of the input (im2col, one row per output position, shape
``(n * out_h * out_w, kh * kw * c_in)``) and ``K`` the kernel as a matrix
``(kh * kw * c_in, filters)``::

    Y = P @ K + b                 (one matrix product)
    dK = P.T @ delta              db = delta.sum(0)
    dP = delta @ K.T              dX = col2im(dP): each patch's gradient added back

That is the reference, in NumPy. The numba backend computes the same
products over chunks of a few samples (``CHUNK_BYTES`` of patches at a
time): each chunk's patch matrix is built by a compiled im2col
(``mlpkit.kernels.im2col``), multiplied while it is still in the
processor's cache, and rebuilt in the backward pass rather than kept, so
that no patch matrix of the whole batch (85 MB for a 3x3x32 kernel over
128 images of 24x24) is ever written to memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlpkit import initializers, kernels
from mlpkit._validation import check_int, check_positive
from mlpkit.layers._im2col import Windows, check_padding, pair
from mlpkit.layers.base import Layer, Shape

__all__ = ["CHUNK_BYTES", "Conv2D"]

CHUNK_BYTES = 4 << 20
"""Patch-matrix bytes per chunk on the numba backend: a few MB, which stay in
a processor's L2 or L3 cache while BLAS multiplies them (``bench/kernels.py``)."""


class Conv2D(Layer):
    """2-D convolution over images of shape (height, width, channels).

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int, int)
        Window size ``(kh, kw)``; the kernel ``W`` has shape ``(kh, kw, c_in, filters)``.
    strides : int or (int, int)
        Step of the window.
    padding : {'valid', 'same'}
        'valid': only windows that fit; 'same': zero padding so that the
        output has ``ceil(size / stride)`` positions (extra pixel after, as Keras).
    use_bias : bool
        Add a bias ``b`` of shape (filters,).
    init, bias_init : str or Initializer
        Fans count the receptive field: ``fan_in = kh * kw * c_in``,
        ``fan_out = kh * kw * filters`` (as Keras).
    l2 : float
        This layer's own L2 weight on its kernel (Keras's ``kernel_regularizer``),
        added to ``fit``'s ``l2``.
    """

    name = "conv2d"
    aliases = ("conv", "convolution2d")
    regularized = ("W",)
    biases = ("b",)
    memory = "fresh"

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = 1,
        padding: str = "valid",
        use_bias: bool = True,
        init: str | initializers.Initializer = "glorot_uniform",
        bias_init: str | initializers.Initializer = "zeros",
        l2: float = 0.0,
    ) -> None:
        super().__init__()
        self.filters = check_int(filters, "filters")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = check_padding(padding)
        if not isinstance(use_bias, bool):
            raise TypeError(f"use_bias must be True or False, got {use_bias!r}")
        self.use_bias = use_bias
        self.init, self.bias_init = init, bias_init
        self._weight_init = initializers.get(init)
        self._bias_init = initializers.get(bias_init)
        self.l2 = check_positive(l2, "l2", allow_zero=True)
        self._windows: Windows | None = None
        self._patches: np.ndarray | None = None  # the reference keeps the patch matrix
        self._X: np.ndarray | None = None  # the kernels keep the input and rebuild patches
        self._n = 0

    def _geometry(self, input_shape: Shape) -> Windows:
        return Windows(tuple(input_shape), self.kernel_size, self.strides, self.padding)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*self._geometry(input_shape).output_shape, self.filters)

    def workspace(self, input_shape: Shape) -> int:
        windows = self._geometry(input_shape)
        return (
            windows.out_h
            * windows.out_w
            * self.kernel_size[0]
            * self.kernel_size[1]
            * (input_shape[-1])
        )

    def multiply_adds(self, input_shape: Shape) -> int:
        """``out_h * out_w * filters * kh * kw * c_in``: the patches times the kernel."""
        return self.workspace(input_shape) * self.filters

    def weight_shapes(self, input_shape: Shape) -> dict[str, tuple[int, ...]]:
        self.output_shape(input_shape)
        shapes = {"W": (*self.kernel_size, input_shape[-1], self.filters)}
        return shapes | ({"b": (self.filters,)} if self.use_bias else {})

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]) -> None:
        super().build(input_shape, rng, dtype)
        self._windows = self._geometry(input_shape)

    def init_params(
        self, input_shape: Shape, rng: np.random.Generator, dtype: type[np.floating]
    ) -> dict[str, np.ndarray]:
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        fan_in, fan_out = initializers.fans(shape)
        params = {"W": self._weight_init(shape, fan_in, fan_out, rng, dtype)}
        if self.use_bias:
            params["b"] = self._bias_init((self.filters,), fan_in, fan_out, rng, dtype)
        return params

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._ready()
        self._n = len(X)
        kernel = self.params["W"].reshape(-1, self.filters)
        if kernels.backend() == "numba":
            self._X, self._patches = np.ascontiguousarray(X), None  # nothing stale is kept
            X = self._X
            Y = np.empty((len(X) * windows.out_h * windows.out_w, self.filters), X.dtype)
            for _, rows, patches in self._chunks(X):
                np.matmul(patches, kernel, out=Y[rows])
                if self.use_bias:
                    Y[rows] += self.params["b"]  # while the chunk is in cache
        else:
            self._patches, self._X = windows.patches(windows.pad(X)), None
            Y = self._patches @ kernel
            if self.use_bias:
                Y += self.params["b"]
        return Y.reshape(len(X), windows.out_h, windows.out_w, self.filters)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads``; return ``dX`` (col2im of ``delta @ K.T``) unless told not to."""
        windows = self._windows
        if windows is None or (self._patches is None and self._X is None):
            raise RuntimeError("Conv2D.backward called before forward")
        delta = dY.reshape(-1, self.filters)
        kernel = self.params["W"].reshape(-1, self.filters)
        dK = self.grads["W"].reshape(-1, self.filters)  # a view: grads["W"] is contiguous
        if self._X is None:  # the forward pass ran on the reference: it kept the patches
            if self.use_bias:
                self.grads["b"][...] = delta.sum(axis=0)
            assert self._patches is not None
            np.matmul(self._patches.T, delta, out=dK)
            if not need_input_grad:
                return None
            return windows.add_patches(delta @ kernel.T, self._n)
        return self._backward_chunks(delta, kernel, dK, need_input_grad)

    def _ready(self) -> Windows:
        if self._windows is None:
            raise RuntimeError("Conv2D must be built (put it in a Network) first")
        return self._windows

    def _chunks(self, X: np.ndarray) -> Iterator[tuple[int, slice, np.ndarray]]:
        """``(first, rows, patches)`` per chunk of samples: im2col of samples from ``first``.

        ``rows`` is the chunk's slice of the batch's patch rows; ``patches`` a
        reused buffer, valid until the next chunk.
        """
        windows = self._ready()
        positions = windows.out_h * windows.out_w
        columns = self.workspace(X.shape[1:]) // positions
        per_chunk = max(1, CHUNK_BYTES // (positions * columns * X.itemsize))
        buffer = np.empty((min(per_chunk, len(X)) * positions, columns), X.dtype)
        im2col = kernels.load("im2col").im2col
        top, _, left, _ = windows.pads
        for first in range(0, len(X), per_chunk):
            count = min(per_chunk, len(X) - first)
            patches = buffer[: count * positions]
            im2col(
                X,
                first,
                patches,
                *self.kernel_size,
                *self.strides,
                top,
                left,
                *windows.output_shape,
            )
            yield first, slice(first * positions, (first + count) * positions), patches

    def _backward_chunks(
        self, delta: np.ndarray, kernel: np.ndarray, dK: np.ndarray, need_input_grad: bool
    ) -> np.ndarray | None:
        """The numba backend's backward pass: ``dK`` and ``dX`` summed chunk by chunk."""
        windows, X = self._ready(), self._X
        assert X is not None  # the numba forward pass keeps its input
        dK[...] = 0
        dX = np.zeros_like(X) if need_input_grad else None
        col2im = kernels.load("im2col").col2im
        if self.use_bias:
            kernels.load("reductions").column_sums(delta, self.grads["b"])
        top, _, left, _ = windows.pads
        share = None
        for first, rows, patches in self._chunks(X):
            dK += patches.T @ delta[rows]
            if dX is not None:
                if share is None or len(share) != len(patches):
                    share = np.empty_like(patches)
                np.matmul(delta[rows], kernel.T, out=share)
                col2im(
                    share,
                    dX,
                    first,
                    *self.kernel_size,
                    *self.strides,
                    top,
                    left,
                    *windows.output_shape,
                )
        return dX

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "use_bias": self.use_bias,
        }
        for key in ("init", "bias_init"):
            value = getattr(self, key)
            if isinstance(value, str):
                config[key] = value
        if self.l2:
            config["l2"] = self.l2
        return config
