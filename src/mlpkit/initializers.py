"""Weight initialisers.

An initialiser is called as ``init(shape, fan_in, fan_out, rng, dtype)`` and
returns a new array. ``fan_in`` and ``fan_out`` are the layer's fans, which
:func:`fans` computes from its kernel shape; they are passed explicitly so
that the same initialiser can fill the kernel and the bias vector (the
classic ``uniform_fan_in`` draws biases within ``2/sqrt(fan_in)`` too).

Names accepted wherever an initialiser is expected: ``"glorot_uniform"``,
``"glorot_normal"``, ``"he_normal"``, ``"he_uniform"``, ``"uniform"``
(limit 0.05), ``"uniform_fan_in"`` (limit 2/sqrt(fan_in)), ``"normal"``
(std 0.05), ``"standard_normal"`` (std 1), ``"zeros"``.
"""

from __future__ import annotations

import math

import numpy as np

from mlpkit._validation import check_positive, resolve

__all__ = [
    "Constant",
    "Initializer",
    "Normal",
    "Uniform",
    "UniformFanIn",
    "VarianceScaling",
    "fans",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "normal",
    "uniform",
    "uniform_fan_in",
    "zeros",
]


Shape = tuple[int, ...]
"""An array's shape."""


def fans(kernel_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a kernel, as Keras counts them.

    A dense kernel ``(n_in, n_out)`` has fans ``n_in`` and ``n_out``; a
    convolution kernel ``(kh, kw, c_in, filters)`` has ``kh * kw * c_in`` and
    ``kh * kw * filters``: each output sees a receptive field of ``kh x kw``
    positions over all input channels.
    """
    if len(kernel_shape) < 2:
        raise ValueError(f"a kernel has at least 2 axes, got shape {kernel_shape}")
    receptive_field = math.prod(kernel_shape[:-2])
    return receptive_field * kernel_shape[-2], receptive_field * kernel_shape[-1]


class Initializer:
    """Base class: subclasses implement :meth:`__call__`."""

    def __call__(
        self,
        shape: tuple[int, ...],
        fan_in: int,
        fan_out: int,
        rng: np.random.Generator,
        dtype: type[np.floating] = np.float32,
    ) -> np.ndarray:
        """An array of ``shape`` in ``dtype``, drawn from ``rng`` (``draw``'s values, cast)."""
        return self.draw(shape, fan_in, fan_out, rng).astype(dtype)

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        """The values, in float64; ``fan_in`` and ``fan_out`` as :func:`fans` counts them."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Uniform(Initializer):
    """Uniform in ``[-limit, +limit]``."""

    def __init__(self, limit: float = 0.05):
        self.limit = check_positive(limit, "limit")

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(-self.limit, self.limit, size=shape)


class UniformFanIn(Initializer):
    """Uniform in ``[-scale/sqrt(fan_in), +scale/sqrt(fan_in)]`` (scale 2 by default)."""

    def __init__(self, scale: float = 2.0):
        self.scale = check_positive(scale, "scale")

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        limit = self.scale / math.sqrt(fan_in)
        return rng.uniform(-limit, limit, size=shape)


class Normal(Initializer):
    """Normal with mean ``mean`` and standard deviation ``std``."""

    def __init__(self, std: float = 0.05, mean: float = 0.0):
        self.std = check_positive(std, "std")
        self.mean = float(mean)

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.std, size=shape)


class VarianceScaling(Initializer):
    """Variance ``scale / n`` with ``n`` the fan-in, fan-out or their average.

    Uniform draws use limit ``sqrt(3 * scale / n)``, normal draws use
    ``std = sqrt(scale / n)`` (untruncated), so both have the same variance.
    """

    def __init__(self, scale: float, mode: str, distribution: str):
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in {"uniform", "normal"}:
            raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")
        self.scale = check_positive(scale, "scale")
        self.mode = mode
        self.distribution = distribution

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        variance = self.scale / max(1.0, n[self.mode])
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        return rng.normal(0.0, math.sqrt(variance), size=shape)


class Constant(Initializer):
    """Every entry equal to ``value`` (``Constant(0)`` is :func:`zeros`)."""

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def draw(self, shape: Shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, self.value)


def glorot_uniform() -> Initializer:
    """Glorot/Xavier uniform: limit ``sqrt(6 / (fan_in + fan_out))``."""
    return VarianceScaling(1.0, "fan_avg", "uniform")


def glorot_normal() -> Initializer:
    """Glorot/Xavier normal: std ``sqrt(2 / (fan_in + fan_out))``."""
    return VarianceScaling(1.0, "fan_avg", "normal")


def he_normal() -> Initializer:
    """He normal: std ``sqrt(2 / fan_in)``, for ReLU layers."""
    return VarianceScaling(2.0, "fan_in", "normal")


def he_uniform() -> Initializer:
    """He uniform: limit ``sqrt(6 / fan_in)``, for ReLU layers."""
    return VarianceScaling(2.0, "fan_in", "uniform")


def uniform(limit: float) -> Initializer:
    """Uniform in ``[-limit, +limit]``."""
    return Uniform(limit)


def uniform_fan_in(scale: float = 2.0) -> Initializer:
    """Uniform in ``+-scale/sqrt(fan_in)`` (the classic ``+-2/sqrt(n_in)``)."""
    return UniformFanIn(scale)


def normal(std: float, mean: float = 0.0) -> Initializer:
    """Normal(mean, std); ``normal(1.0)`` is the standard normal."""
    return Normal(std, mean)


def zeros() -> Initializer:
    """All zeros (the default for biases)."""
    return Constant(0.0)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "uniform": Uniform,
    "uniform_fan_in": UniformFanIn,
    "normal": Normal,
    "standard_normal": lambda: Normal(1.0),
    "zeros": zeros,
}


def get(spec: str | Initializer) -> Initializer:
    """Return the initialiser named ``spec``, or ``spec`` itself if it is one."""
    return resolve(spec, INITIALIZERS, "initializer", Initializer)
