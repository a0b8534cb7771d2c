"""The optimiser updates as single compiled loops (twins of ``mlpkit.optimizers``).

NumPy's update makes one pass over memory per operation: Adam is about a
dozen passes over a 4.9-million-weight kernel. Here each element is read
once, updated in registers and written back. Every function takes flat,
contiguous arrays of one dtype and scalars already of that dtype, so that
each operation rounds as NumPy's float32 or float64 operation would
(numba adds no fused multiply-add without ``fastmath``). NumPy's error model
(a division by zero gives inf, as in NumPy) lets the loops vectorise: with
Python's, which checks each division, Adam's loop took 21 ms instead of 3 ms
on the E3 CNN's dense kernel (``python bench/kernels.py``).

Each loop also zeroes state and weights that have decayed below ``limit``
(about 1e-32 in float32) when its ``flush_*`` flag is set: values that small
move no output, and left alone they would turn subnormal, on which x86
arithmetic is many times slower (``Optimizer.flush_flags`` says when).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["adam", "momentum", "rmsprop", "sgd"]


@njit(cache=True, inline="always")
def _flushed(x, flush, limit):  # pragma: no cover - compiled
    """``x``, or +0 of its dtype when ``flush`` and ``|x| < limit``.

    ``x - x`` rather than a literal 0, which would widen a float32 to float64.
    """
    return x - x if flush and abs(x) < limit else x


@njit(cache=True, error_model="numpy")
def sgd(p, g, lr, limit, flush_p):  # pragma: no cover - compiled
    """``p -= lr * g``."""
    for i in range(p.size):
        w = p[i] - lr * g[i]
        w = _flushed(w, flush_p, limit)
        p[i] = w


@njit(cache=True, error_model="numpy")
def momentum(p, g, v, lr, mu, nesterov, limit, flush_v, flush_p):  # pragma: no cover
    """``v = mu v + lr g``; ``p -= v`` (classic) or ``p -= mu v + lr g`` (Nesterov)."""
    for i in range(p.size):
        step = lr * g[i]
        velocity = v[i] * mu + step
        w = p[i] - (velocity * mu + step) if nesterov else p[i] - velocity
        velocity = _flushed(velocity, flush_v, limit)
        w = _flushed(w, flush_p, limit)
        v[i] = velocity
        p[i] = w


@njit(cache=True, error_model="numpy")
def adam(
    p, g, m, v, b1, c1, b2, c2, lr_t, eps_t, limit, flush_m, flush_v, flush_p
):  # pragma: no cover
    """Adam with the bias corrections folded into ``lr_t`` and ``eps_t``.

    ``b1``, ``c1 = 1 - b1``, ``b2`` and ``c2 = 1 - b2`` come rounded to the
    dtype; ``lr_t`` and ``eps_t`` are float64, and the two operations that use
    them are rounded to the dtype after (the order of mlpkit's earlier NumPy
    update, so that its recorded runs replay bitwise).
    """
    cast = p.dtype.type
    for i in range(p.size):
        gi = g[i]
        mi = m[i] * b1 + gi * c1
        vi = v[i] * b2 + (gi * gi) * c2
        w = p[i] - cast((mi / cast(np.sqrt(vi) + eps_t)) * lr_t)
        mi = _flushed(mi, flush_m, limit)
        vi = _flushed(vi, flush_v, limit)
        w = _flushed(w, flush_p, limit)
        m[i] = mi
        v[i] = vi
        p[i] = w


@njit(cache=True, error_model="numpy")
def rmsprop(p, g, s, lr, rho, c, eps, limit, flush_s, flush_p):  # pragma: no cover
    """``s = rho s + (1 - rho) g**2``; ``p -= lr g / (sqrt(s) + eps)``; ``c = 1 - rho``."""
    for i in range(p.size):
        gi = g[i]
        si = s[i] * rho + (gi * gi) * c
        w = p[i] - (lr * gi) / (np.sqrt(si) + eps)
        si = _flushed(si, flush_s, limit)
        w = _flushed(w, flush_p, limit)
        s[i] = si
        p[i] = w
