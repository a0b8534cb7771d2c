"""Numerical gradient checks: central differences against backpropagation.

For every parameter entry ``w`` the numerical gradient is the fourth-order
central difference ``(8 (L(w+h) - L(w-h)) - (L(w+2h) - L(w-2h))) / (12 h)``.
Its truncation error shrinks as ``h**4``, so ``h`` can be large enough
(1e-4) that rounding in ``L`` stays far below the gradient, which matters
where gradients are small (deep stacks of saturating units). The relative error of a parameter
array is ``|g_num - g_back| / max(|g_num| + |g_back|, 1e-7)`` with Euclidean
norms, which is near 1e-9 for a correct float64 implementation. The floor
keeps a gradient that is zero (a dead ReLU unit) from turning the rounding
noise of its numerical estimate into a large relative error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlpkit._validation import check_positive
from mlpkit.objective import Objective

if TYPE_CHECKING:
    from mlpkit.losses import Loss
    from mlpkit.network import Network

__all__ = ["gradcheck"]

_NORM_FLOOR = 1e-7


def gradcheck(
    network: Network,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    loss: str | Loss | None = None,
    *,
    l2: float = 0.0,
    l2_bias: bool = False,
    eps: float = 1e-4,
    max_entries: int | None = None,
    seed: int = 0,
    report: dict[str, dict[str, int]] | None = None,
) -> dict[str, float]:
    """Relative error between backpropagated and numerical gradients, per parameter.

    Parameters
    ----------
    network : Network
        Must be float64: float32 rounding swamps central differences.
    X : array-like of shape (n, *input_shape)
    y : array-like of shape (n,) or (n, n_outputs)
    loss : str or Loss, optional
        Defaults as in ``fit``.
    l2, l2_bias : float, bool
        Include the L2 penalty, as ``fit`` does.
    eps : float
        The finite-difference step ``h``.
    max_entries : int, optional
        Check at most this many entries of each parameter, chosen at random
        with ``seed`` (large networks have too many to check them all).
    report : dict, optional
        Receives ``{"checked": {key: n}, "skipped": {key: n}}``. An entry is
        skipped when its finite-difference steps change a piecewise choice
        of the network (a ReLU unit crossing zero, a max-pool taking another
        position; see ``Layer.choices``): the difference quotient then
        measures neither side's slope. Networks of many ReLU units have some.

    Returns
    -------
    dict mapping parameter keys ("0.W", "0.b", ...) to relative errors.
    """
    if network.dtype != np.float64:
        raise ValueError(
            "gradcheck needs a float64 network (build it with dtype='float64'); "
            f"this one is {np.dtype(network.dtype).name}"
        )
    eps = check_positive(eps, "eps")
    X = network.check_inputs(X)
    T, _ = network.check_targets(y, n_samples=len(X))
    target = Objective(network.resolve_loss(loss), l2, l2_bias)
    buffers = {key: buffer.copy() for key, buffer in network.buffers()}

    def objective() -> float:
        for layer in network.layers:  # the same dropout mask at every evaluation
            if layer.stochastic:
                layer.rng = np.random.default_rng(seed)
        for key, buffer in network.buffers():  # training passes move moving statistics
            np.copyto(buffer, buffers[key])
        value, penalty, _ = target.gradients(network, X, T)
        return value + penalty

    objective()
    analytic = {key: grad.copy() for key, _, grad in network.parameters()}
    base = _choices(network)

    def smooth() -> bool:
        """Whether the last evaluation made the same piecewise choices as the first."""
        return all(np.array_equal(a, b) for a, b in zip(_choices(network), base, strict=True))

    errors, checked, skipped = {}, {}, {}
    rng = np.random.default_rng(seed)
    for key, param, _ in network.parameters():
        indices = _sampled_indices(param.shape, max_entries, rng)
        numeric, mask = _numeric_gradient(param, indices, objective, smooth, eps)
        checked[key], skipped[key] = int(mask.sum()), len(indices) - int(mask.sum())
        backprop = np.where(mask, analytic[key], 0.0)
        scale = np.linalg.norm(numeric) + np.linalg.norm(backprop)
        difference = np.linalg.norm(numeric - backprop)
        errors[key] = float(difference) / max(float(scale), _NORM_FLOOR)
    objective()  # leave the backpropagated gradients in place
    for key, buffer in network.buffers():  # and the buffers as they were
        np.copyto(buffer, buffers[key])
    if report is not None:
        report.update(checked=checked, skipped=skipped)
    return errors


def _sampled_indices(
    shape: tuple[int, ...], max_entries: int | None, rng: np.random.Generator
) -> list[tuple[int, ...]]:
    """Every index of an array of ``shape``, or ``max_entries`` of them drawn at random."""
    indices = list(np.ndindex(shape))
    if max_entries is not None and len(indices) > max_entries:
        chosen = rng.choice(len(indices), max_entries, replace=False)
        indices = [indices[i] for i in np.sort(chosen)]
    return indices


def _choices(network: Network) -> list[np.ndarray]:
    """Copies of every layer's piecewise choices in its last forward pass."""
    found = (layer.choices() for layer in network.layers)
    return [np.array(choice, copy=True) for choice in found if choice is not None]


def _numeric_gradient(
    param: np.ndarray,
    indices: list[tuple[int, ...]],
    objective: Callable[[], float],
    smooth: Callable[[], bool],
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fourth-order central differences of ``objective`` at ``indices`` of ``param``.

    Returns the gradient estimate (zero elsewhere) and the mask of the entries
    checked: those whose steps all keep ``smooth()`` true.
    """
    numeric = np.zeros_like(param)
    mask = np.zeros(param.shape, dtype=bool)
    for index in indices:
        saved = param[index]
        at, kept = {}, True
        for steps in (-2, -1, 1, 2):
            param[index] = saved + steps * eps
            at[steps] = objective()
            kept = kept and smooth()
        param[index] = saved
        if kept:
            mask[index] = True
            numeric[index] = (8 * (at[1] - at[-1]) - (at[2] - at[-2])) / (12 * eps)
    return numeric, mask
