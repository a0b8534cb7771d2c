"""``Conv2D``: a 2-D convolution (cross-correlation, as in every framework), channels last.

The delta rule of ``Dense`` applied to image patches. With ``P`` the patch
matrix of the input (im2col, one row per output position, shape
``(n * out_h * out_w, kh * kw * c_in)``) and ``K`` the kernel as a matrix
``(kh * kw * c_in, filters)``::

    Y = P @ K + b                 (one matrix product)
    dK = P.T @ delta              db = delta.sum(0)  (as ones @ delta: faster)
    dP = delta @ K.T              dX = col2im(dP): each patch's gradient added back

``dP`` is never formed whole: each kernel offset's slice of it is one product
added straight into its window of ``dX`` (``Windows.add_products``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit import initializers
from mlpkit._validation import check_int, check_positive
from mlpkit.layers._im2col import Windows, check_padding, pair
from mlpkit.layers._sums import column_sums
from mlpkit.layers.base import Layer, Shape

__all__ = ["Conv2D"]


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
    fresh_output = True
    fresh_input_grad = True

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
        self._patches: np.ndarray | None = None
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
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        fan_in, fan_out = initializers.fans(shape)
        self.params["W"] = self._weight_init(shape, fan_in, fan_out, rng, dtype)
        if self.use_bias:
            self.params["b"] = self._bias_init((self.filters,), fan_in, fan_out, rng, dtype)
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        windows = self._windows
        if windows is None:
            raise RuntimeError("Conv2D must be built (put it in a Network) first")
        self._n = len(X)
        self._patches = windows.patches(windows.pad(X))
        Y = self._patches @ self.params["W"].reshape(-1, self.filters)
        if self.use_bias:
            Y += self.params["b"]
        return Y.reshape(len(X), windows.out_h, windows.out_w, self.filters)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads``; return ``dX`` (col2im of ``delta @ K.T``) unless told not to."""
        if self._patches is None or self._windows is None:
            raise RuntimeError("Conv2D.backward called before forward")
        delta = dY.reshape(-1, self.filters)
        # grads["W"] is C-contiguous, so its reshape is a view that matmul writes into.
        np.matmul(self._patches.T, delta, out=self.grads["W"].reshape(-1, self.filters))
        if self.use_bias:
            column_sums(delta, out=self.grads["b"])
        if not need_input_grad:
            return None
        return self._windows.add_products(delta, self.params["W"], self._n)

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
