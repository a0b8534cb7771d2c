"""Optimisers (the schedules they take are ``mlpkit.schedules``, re-exported here).

One optimiser instance serves a whole network: it keeps its state (velocity,
moment estimates) per parameter key such as ``"0.W"`` or ``"2.b"``, and
``step`` updates every parameter in place from its gradient.

Learning-rate schedules are functions of the epoch (0-based): the training
loop sets ``optimizer.epoch`` at the start of each epoch. With full-batch
gradient descent an epoch is one step.

Reference and kernel. Each optimiser's ``_reference`` is its update rule as
the textbook writes it, in NumPy. With the numba backend
(``mlpkit.kernels.backend()``) the same update runs as one compiled loop
(``mlpkit.kernels.optimizers``): NumPy makes one pass over memory per
operation, about a dozen for Adam, the loop one. The loop also zeroes state
and weights that have decayed below ``SUBNORMAL_GUARD`` times the dtype's
smallest normal number (about 1e-32 in float32), every few steps
(``flush_flags``): weights whose gradient is almost always zero (MNIST's
rarely inked border pixels) or that only an L2 penalty moves shrink
geometrically, and would otherwise turn subnormal, on which x86 arithmetic
is many times slower (in the E3 CNN with L2 0.01, an epoch took four times as
long). Such values move no output; the reference, kept readable, does not
flush.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from mlpkit import kernels
from mlpkit._validation import check_fraction, check_positive, resolve
from mlpkit.schedules import (
    ConstantRate,
    ExponentialDecay,
    InverseTimeDecay,
    Schedule,
    StepDecay,
)

__all__ = [
    "SGD",
    "Adam",
    "ConstantRate",
    "ExponentialDecay",
    "InverseTimeDecay",
    "Optimizer",
    "RMSprop",
    "Schedule",
    "StepDecay",
    "get",
]

ParamsAndGrads = Iterable[tuple[str, np.ndarray, np.ndarray]]

Slots = list[np.ndarray]
"""One parameter's state arrays (velocity, moments), in ``slot_names()`` order."""

Flags = dict[str, bool]
"""Which arrays a kernel flushes of near-subnormal values at this step, by slot name."""

#: The kernels zero state and weights below ``SUBNORMAL_GUARD * finfo(dtype).tiny``.
SUBNORMAL_GUARD = 2.0**20
#: Steps between flushes of the weights themselves.
WEIGHT_FLUSH_EVERY = 64


class Optimizer:
    """Base class.

    Parameters
    ----------
    learning_rate : float or Schedule
        A positive constant or a schedule over epochs.
    """

    def __init__(self, learning_rate: float | Schedule = 0.01) -> None:
        if isinstance(learning_rate, Schedule):
            self.schedule = learning_rate
        else:
            self.schedule = ConstantRate(learning_rate)
        self.epoch = 0
        self.iterations = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}

    @property
    def learning_rate(self) -> float:
        """The rate in force for the current epoch."""
        return self.schedule(self.epoch)

    def step(self, params_and_grads: ParamsAndGrads) -> None:
        """Update every ``param`` in place from its gradient ``grad``; one call is one step."""
        self.iterations += 1
        lr = self.learning_rate
        compiled = kernels.backend() == "numba"
        flush = self.flush_flags() if compiled else {}
        for key, param, grad in params_and_grads:
            if compiled and _kernel_ready(param, grad):
                slots = self._slots(key, param, *self.slot_names())
                grad = np.ascontiguousarray(grad).reshape(-1)
                flat = [a.reshape(-1) for a in (param, *slots)]
                self._kernel(flat[0], grad, flat[1:], lr, flush)
            else:
                self._reference(key, param, grad, lr)

    def _reference(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """The update rule in NumPy, as the textbook writes it."""
        raise NotImplementedError

    def _kernel(
        self, param: np.ndarray, grad: np.ndarray, slots: Slots, lr: float, flush: Flags
    ) -> None:
        """The same update by the compiled loop, on flat arrays (``slots`` in
        ``slot_names()`` order)."""
        raise NotImplementedError

    def flush_flags(self) -> dict[str, bool]:
        """Which arrays the kernels flush of near-subnormal values at this step.

        ``"param"`` every ``WEIGHT_FLUSH_EVERY`` steps; a state slot that decays
        by ``factor`` per step falls by at most ``SUBNORMAL_GUARD`` in
        ``log(SUBNORMAL_GUARD) / -log(factor)`` steps, so it is flushed that often.
        """
        flags = {"param": self.iterations % WEIGHT_FLUSH_EVERY == 0}
        for slot, factor in self._decay_factors().items():
            flags[slot] = False  # a factor of 0 or 1 never makes a value tiny by decay
            if 0 < factor < 1:
                every = max(1, int(math.log(SUBNORMAL_GUARD) / -math.log(factor)))
                flags[slot] = self.iterations % every == 0
        return flags

    def _decay_factors(self) -> dict[str, float]:
        """Each state slot's per-step decay factor (momentum, beta1, ...)."""
        return {}

    def slot_names(self) -> tuple[str, ...]:
        """The state arrays this optimiser keeps per parameter ("velocity", "m", ...)."""
        return tuple(self._decay_factors())

    def check_state(
        self, state: dict[str, dict[str, np.ndarray]], shapes: dict[str, tuple[int, ...]]
    ) -> None:
        """Raise ValueError unless ``state`` (as in ``self.state``) could be this optimiser's
        for parameters of ``shapes`` (by key): the same slots, for known keys, of their shapes.

        A checkpoint written by another optimiser (Adam's ``m``/``v`` for SGD's
        ``velocity``) would otherwise fail deep inside the first step.
        """
        wanted = set(self.slot_names())
        for key, slots in state.items():
            if key not in shapes:
                raise ValueError(f"optimiser state for {key!r}, a parameter the network lacks")
            if set(slots) != wanted:
                kept = ", ".join(sorted(wanted)) or "no state"
                raise ValueError(
                    f"optimiser state for {key!r} holds {', '.join(sorted(slots))}, but "
                    f"{type(self).__name__} keeps {kept}: it was written by another optimiser"
                )
            for slot, value in slots.items():
                if value.shape != shapes[key]:
                    raise ValueError(
                        f"optimiser state {key}:{slot} has shape {value.shape}, "
                        f"but the parameter has {shapes[key]}"
                    )

    def _slots(self, key: str, param: np.ndarray, *names: str) -> list[np.ndarray]:
        """The state arrays of parameter ``key``, created as zeros on first use."""
        slots = self.state.get(key)
        if slots is None:
            slots = self.state[key] = {name: np.zeros_like(param) for name in names}
        return [slots[name] for name in names]

    def reset(self) -> None:
        """Forget all state (velocities, moments, step count)."""
        self.state.clear()
        self.iterations = 0
        self.epoch = 0


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    Without momentum: ``W -= lr * g``. With momentum ``beta``::

        G = beta * G + lr * g
        W -= G                       (classic momentum)
        W -= beta * G + lr * g       (Nesterov: the step looks ahead along G)
    """

    def __init__(
        self,
        learning_rate: float | Schedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = check_fraction(momentum, "momentum")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a momentum > 0, got momentum=0")
        self.nesterov = bool(nesterov)

    def _decay_factors(self) -> dict[str, float]:
        return {"velocity": self.momentum} if self.momentum else {}

    def _reference(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        if self.momentum == 0:
            param -= lr * grad
            return
        (G,) = self._slots(key, param, "velocity")
        G[...] = self.momentum * G + lr * grad
        if self.nesterov:
            param -= self.momentum * G + lr * grad
        else:
            param -= G

    def _kernel(
        self, param: np.ndarray, grad: np.ndarray, slots: Slots, lr: float, flush: Flags
    ) -> None:
        run, dtype = kernels.load("optimizers"), param.dtype.type
        limit = _flush_limit(dtype)
        if self.momentum == 0:
            run.sgd(param, grad, dtype(lr), limit, flush["param"])
            return
        (G,) = slots
        mu = dtype(self.momentum)
        run.momentum(
            param, grad, G, dtype(lr), mu, self.nesterov, limit, flush["velocity"], flush["param"]
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): at step ``t``, with the gradient ``g``::

    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    W -= lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(
        self,
        learning_rate: float | Schedule = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def _decay_factors(self) -> dict[str, float]:
        return {"m": self.beta1, "v": self.beta2}

    def _reference(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        m, v = self._slots(key, param, "m", "v")
        b1, b2, t = self.beta1, self.beta2, self.iterations
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        param -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _kernel(
        self, param: np.ndarray, grad: np.ndarray, slots: Slots, lr: float, flush: Flags
    ) -> None:
        m, v = slots
        dtype, b1, b2, t = param.dtype.type, self.beta1, self.beta2, self.iterations
        # The bias corrections folded into two scalars, two passes fewer per
        # element: lr * m_hat / (sqrt(v_hat) + eps) = lr_t * m / (sqrt(v) + eps_t).
        root = math.sqrt(1 - b2**t)
        lr_t, eps_t = lr * root / (1 - b1**t), self.eps * root
        limit = _flush_limit(dtype)
        kernels.load("optimizers").adam(
            param,
            grad,
            m,
            v,
            dtype(b1),
            dtype(1 - b1),
            dtype(b2),
            dtype(1 - b2),
            lr_t,
            eps_t,
            limit,
            flush["m"],
            flush["v"],
            flush["param"],
        )


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e)::

    s = rho * s + (1 - rho) * g**2
    W -= lr * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        learning_rate: float | Schedule = 0.001,
        rho: float = 0.9,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        self.rho = check_fraction(rho, "rho")
        self.eps = check_positive(eps, "eps")

    def _decay_factors(self) -> dict[str, float]:
        return {"square_avg": self.rho}

    def _reference(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        (s,) = self._slots(key, param, "square_avg")
        s[...] = self.rho * s + (1 - self.rho) * grad**2
        param -= lr * grad / (np.sqrt(s) + self.eps)

    def _kernel(
        self, param: np.ndarray, grad: np.ndarray, slots: Slots, lr: float, flush: Flags
    ) -> None:
        (s,) = slots
        dtype, rho = param.dtype.type, self.rho
        limit = _flush_limit(dtype)
        kernels.load("optimizers").rmsprop(
            param,
            grad,
            s,
            dtype(lr),
            dtype(rho),
            dtype(1 - rho),
            dtype(self.eps),
            limit,
            flush["square_avg"],
            flush["param"],
        )


def _flush_limit(dtype: type[np.floating]) -> np.floating:
    """The size below which the kernels zero a value: ``SUBNORMAL_GUARD * tiny``, in ``dtype``."""
    return dtype(SUBNORMAL_GUARD * np.finfo(dtype).tiny)


def _kernel_ready(param: np.ndarray, grad: np.ndarray) -> bool:
    """Whether the compiled loop can update ``param`` in place from ``grad``.

    It needs a contiguous, writeable float parameter and a gradient of the
    same dtype and shape (a non-contiguous gradient is copied).
    """
    return (
        param.dtype in (np.float32, np.float64)
        and param.flags.c_contiguous
        and param.flags.writeable
        and grad.dtype == param.dtype
        and grad.shape == param.shape
    )


OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {
    "sgd": SGD,
    "gd": SGD,
    "momentum": lambda: SGD(momentum=0.9),
    "nesterov": lambda: SGD(momentum=0.9, nesterov=True),
    "adam": Adam,
    "rmsprop": RMSprop,
}


def get(spec: str | Optimizer) -> Optimizer:
    """Return a new optimiser named ``spec`` (default settings), or ``spec`` itself."""
    return resolve(spec, OPTIMIZERS, "optimizer", Optimizer)
