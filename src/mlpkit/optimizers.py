"""Optimisers and learning-rate schedules.

One optimiser instance serves a whole network: it keeps its state (velocity,
moment estimates) per parameter key such as ``"0.W"`` or ``"2.b"``, and
``step`` updates every parameter in place.

Learning-rate schedules are functions of the epoch (0-based): the training
loop sets ``optimizer.epoch`` at the start of each epoch. With full-batch
gradient descent an epoch is one step.

Speed. Every update works in place through one scratch array per parameter,
so the updates allocate no temporaries. A large parameter is updated in chunks
of ``CHUNK`` elements, every pass of the update over one chunk before the next:
the chunk's weights, gradient, state and scratch stay in the core's cache, so
memory is crossed once per step instead of once per pass (2.6x faster for the
E3 CNN's 4.9-million-weight Adam update; each element gets the same operations
in the same order, so the result is bitwise the same). With
``MLPKIT_NUM_THREADS`` above 1, a parameter of at least ``THREADED_SIZE``
elements is shared out in chunks among threads (``mlpkit._threads``):
NumPy's element-wise loops release the GIL, so the chunks are updated at the
same time, and the result is again bitwise the same. State that decays
geometrically (a velocity
multiplied by the momentum each step) would, for weights whose gradient is
almost always zero (MNIST's rarely inked border pixels), sink into subnormals,
on which x86 arithmetic is many times slower. So every few steps the state
entries smaller than ``SUBNORMAL_GUARD`` times the dtype's smallest normal
number are set to zero: far too small to move a weight, and never subnormal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from mlpkit._threads import mlpkit_threads, share_out
from mlpkit._validation import check_fraction, check_int, check_positive, resolve

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

#: State entries below ``SUBNORMAL_GUARD * finfo(dtype).tiny`` are flushed to zero.
SUBNORMAL_GUARD = 2.0**20
#: Steps between flushes of the weights themselves (see ``Optimizer.step``).
WEIGHT_FLUSH_EVERY = 64
#: Elements per chunk of an element-wise update: five float32 arrays of this
#: length (640 KiB) fit a core's L2 cache.
CHUNK = 32768


#: Parameters at least this large are updated by ``mlpkit_threads()`` threads.
#: Only very large ones: two threads on MLP-sized matrices were slower inside
#: the training loop (docs/PERFORMANCE.md), where BLAS's waiting threads hold the cores.
THREADED_SIZE = 64 * CHUNK


def _each_chunk(body: Callable[..., None], *arrays: np.ndarray) -> None:
    """``body(*pieces)`` over matching ``CHUNK``-long pieces of same-shaped arrays.

    Pieces are views, so ``body`` updates the arrays in place. The pieces of a
    large contiguous parameter are shared out among ``mlpkit_threads()``
    threads as they ask for them (``share_out``); they are the same pieces as
    in one thread, so the result is bitwise the same.
    """
    size = arrays[0].size
    if (
        mlpkit_threads() < 2
        or size < THREADED_SIZE
        or not all(a.flags.c_contiguous for a in arrays)
    ):
        for pieces in _chunks(*arrays):
            body(*pieces)
        return
    flat = [a.reshape(-1) for a in arrays]

    def piece(index: int) -> None:
        start = index * CHUNK
        body(*(f[start : start + CHUNK] for f in flat))

    share_out(piece, -(-size // CHUNK))


def _chunks(*arrays: np.ndarray) -> Iterable[tuple[np.ndarray, ...]]:
    """Matching flat pieces of same-shaped arrays, each at most ``CHUNK`` long.

    Pieces are views, so updating them in place updates the arrays. Small
    or non-contiguous arrays come back whole.
    """
    size = arrays[0].size
    if size <= CHUNK or not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, size, CHUNK):
        yield tuple(f[start : start + CHUNK] for f in flat)


class Schedule:
    """Base class: ``schedule(epoch) -> learning rate``."""

    def __init__(self, initial: float) -> None:
        self.initial = check_positive(initial, "learning_rate")

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class ConstantRate(Schedule):
    """The same rate every epoch."""

    def __call__(self, epoch: int) -> float:
        return self.initial


class StepDecay(Schedule):
    """``initial * factor ** (epoch // every)``: drop by ``factor`` every ``every`` epochs."""

    def __init__(self, initial: float, factor: float = 0.5, every: int = 10) -> None:
        super().__init__(initial)
        self.factor = check_positive(factor, "factor")
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial * self.factor ** (epoch // self.every)


class ExponentialDecay(Schedule):
    """``initial * rate ** (epoch / every)``: smooth exponential decay."""

    def __init__(self, initial: float, rate: float = 0.96, every: int = 1) -> None:
        super().__init__(initial)
        self.rate = check_positive(rate, "rate")
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial * self.rate ** (epoch / self.every)


class InverseTimeDecay(Schedule):
    """``initial / (1 + decay * epoch / every)``."""

    def __init__(self, initial: float, decay: float = 0.1, every: int = 1) -> None:
        super().__init__(initial)
        self.decay = check_positive(decay, "decay", allow_zero=True)
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial / (1.0 + self.decay * epoch / self.every)


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
        self._scratch: dict[str, np.ndarray] = {}  # not state: never saved

    @property
    def learning_rate(self) -> float:
        """The rate in force for the current epoch."""
        return self.schedule(self.epoch)

    def gradient_scale(self) -> float:
        """The factor this optimiser would like the gradients computed with (see ``step``).

        1 by default. Plain SGD asks for its learning rate: it then steps by
        the gradient as given, one pass over each weight matrix instead of two.
        """
        return 1.0

    def step(self, params_and_grads: ParamsAndGrads, grad_scale: float = 1.0) -> None:
        """Update every ``param`` in place from its ``grad``; one call is one step.

        ``grad_scale`` says that each ``grad`` holds that multiple of the true
        gradient (``gradient_scale()``, as the training loop computes them).
        """
        self.iterations += 1
        lr = self.learning_rate
        params_and_grads = list(params_and_grads)
        for key, param, grad in params_and_grads:
            self._update(key, param, grad, lr, grad_scale)
        self._flush_subnormals()
        if self.iterations % WEIGHT_FLUSH_EVERY == 0:
            self._flush_weights(params_and_grads)

    def _flush_weights(self, params_and_grads: ParamsAndGrads) -> None:
        """Zero the weights that decay has made tiny, before they turn subnormal.

        Weights that only a penalty moves (an L2 term on inputs that are always
        zero) shrink geometrically under Adam: in the E3 CNN with L2 0.01, 14% of
        the dense kernel had become subnormal after 30 epochs and an epoch took
        four times as long. Below ``SUBNORMAL_GUARD * tiny`` (about 1e-32 in
        float32) a weight moves no output.
        """
        for key, param, _ in params_and_grads:
            below = self._scratch_for(key, param)
            np.abs(param, out=below)
            np.copyto(param, 0, where=below < SUBNORMAL_GUARD * np.finfo(param.dtype).tiny)

    def _update(
        self, key: str, param: np.ndarray, grad: np.ndarray, lr: float, grad_scale: float
    ) -> None:
        raise NotImplementedError

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

    def _scratch_for(self, key: str, param: np.ndarray) -> np.ndarray:
        """A work array shaped like ``param``, reused by every step."""
        scratch = self._scratch.get(key)
        if scratch is None or scratch.shape != param.shape or scratch.dtype != param.dtype:
            scratch = self._scratch[key] = np.empty_like(param)
        return scratch

    def _flush_subnormals(self) -> None:
        """Zero the tiny state entries of each slot often enough that none turns subnormal.

        A slot that decays by ``factor`` per step falls by at most
        ``SUBNORMAL_GUARD`` in ``log(SUBNORMAL_GUARD) / -log(factor)`` steps.
        """
        for slot, factor in self._decay_factors().items():
            if not 0 < factor < 1:
                continue
            every = max(1, int(math.log(SUBNORMAL_GUARD) / -math.log(factor)))
            if self.iterations % every:
                continue
            for key, slots in self.state.items():
                values = slots[slot]
                below = self._scratch_for(key, values)
                np.abs(values, out=below)
                limit = SUBNORMAL_GUARD * np.finfo(values.dtype).tiny
                np.copyto(values, 0, where=below < limit)

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

    def _decay_factors(self):
        return {"velocity": self.momentum}

    def slot_names(self):
        return ("velocity",) if self.momentum else ()

    def gradient_scale(self):
        return self.learning_rate

    def _update(self, key, param, grad, lr, grad_scale):
        work = self._scratch_for(key, param)
        if self.momentum == 0:

            def plain(p, g, w):
                p -= self._scaled(g, lr, grad_scale, w)

            _each_chunk(plain, param, grad, work)
            return
        (G,) = self._slots(key, param, "velocity")

        def with_momentum(p, g, v, w):
            step = self._scaled(g, lr, grad_scale, w)
            v *= self.momentum
            v += step
            if self.nesterov:
                p -= step
                np.multiply(v, self.momentum, out=w)
                p -= w
            else:
                p -= v

        _each_chunk(with_momentum, param, grad, G, work)

    @staticmethod
    def _scaled(grad, lr, grad_scale, out):
        """``lr * g`` from ``grad`` (which holds ``grad_scale * g``), in ``out`` if computed."""
        if grad_scale == lr:  # grad already holds lr * g
            return grad
        return np.multiply(grad, lr / grad_scale, out=out)


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba, 2015)::

    m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g**2
    W -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)
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

    def _decay_factors(self):
        return {"m": self.beta1, "v": self.beta2}

    def _update(self, key, param, grad, lr, grad_scale):
        m, v = self._slots(key, param, "m", "v")
        work = self._scratch_for(key, param)
        # The bias corrections folded into two scalars (the same update, fewer
        # passes): lr * m_hat / (sqrt(v_hat) + eps) = lr_t * m / (sqrt(v) + eps_t).
        t = self.iterations
        root = np.sqrt(1 - self.beta2**t)
        lr_t = lr * root / (1 - self.beta1**t)

        def adam(p, g, m_, v_, w):
            if grad_scale != 1:
                g = g / grad_scale
            np.multiply(g, 1 - self.beta1, out=w)
            m_ *= self.beta1
            m_ += w
            np.multiply(g, g, out=w)
            w *= 1 - self.beta2
            v_ *= self.beta2
            v_ += w
            np.sqrt(v_, out=w)
            w += self.eps * root
            np.divide(m_, w, out=w)
            w *= lr_t
            p -= w

        _each_chunk(adam, param, grad, m, v, work)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e)::

    s = rho s + (1 - rho) g**2
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

    def _decay_factors(self):
        return {"square_avg": self.rho}

    def _update(self, key, param, grad, lr, grad_scale):
        (s,) = self._slots(key, param, "square_avg")
        work = self._scratch_for(key, param)

        def rmsprop(p, g, s_, w):
            if grad_scale != 1:
                g = g / grad_scale
            np.multiply(g, g, out=w)
            w *= 1 - self.rho
            s_ *= self.rho
            s_ += w
            np.sqrt(s_, out=w)
            w += self.eps
            np.divide(g, w, out=w)
            w *= lr
            p -= w

        _each_chunk(rmsprop, param, grad, s, work)


OPTIMIZERS = {
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
