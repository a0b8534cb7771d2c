"""L-BFGS for :mod:`mlpkit.sklearn`: SciPy's minimiser on the flattened weights."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mlpkit.hooks import asks_to_stop, call_hook, check_callbacks
from mlpkit.sklearn._network import dense_layers, loss_and_gradient, network_of
from mlpkit.sklearn._state import EstimatorState

__all__ = ["fit_lbfgs", "lbfgs_objective", "pack", "unpack"]


def pack(arrays: list[np.ndarray]) -> np.ndarray:
    """Arrays flattened into one float64 vector, in order."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def unpack(vector: np.ndarray, arrays: list[np.ndarray]) -> None:
    """Copy consecutive slices of ``vector`` into ``arrays``, the inverse of :func:`pack`."""
    start = 0
    for array in arrays:
        np.copyto(array, vector[start : start + array.size].reshape(array.shape))
        start += array.size


def fit_lbfgs(
    estimator: EstimatorState, X: np.ndarray, T: np.ndarray, sample_weight: np.ndarray | None
) -> None:
    """Minimise the loss with SciPy's L-BFGS-B on the flattened weights."""
    import scipy.optimize

    network = network_of(estimator)
    callbacks = check_callbacks(estimator.callbacks)
    for user_callback in callbacks:
        call_hook(user_callback, "on_train_begin", network)
    iterations = 0

    def callback(intermediate_result: Any) -> None:  # the name SciPy looks for
        nonlocal iterations
        iterations += 1
        if estimator.verbose:
            print(f"Iteration {iterations}, loss = {intermediate_result.fun:.8f}")
        logs = {"loss": float(intermediate_result.fun)}
        returned = [(c, c.on_epoch_end(iterations - 1, dict(logs))) for c in callbacks]
        if any([asks_to_stop(c, "on_epoch_end", value) for c, value in returned]):
            raise StopIteration  # SciPy ends the minimisation at the current point

    result = scipy.optimize.minimize(
        estimator._loss_grad_lbfgs,
        pack(estimator.coefs_ + estimator.intercepts_),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": estimator.max_fun, "maxiter": estimator.max_iter, "gtol": estimator.tol},
        args=(X, T, sample_weight, None, None, None, None),
        callback=callback,
    )
    for user_callback in callbacks:
        call_hook(user_callback, "on_train_end", network)
    if result.status != 0:
        message = result.message.decode() if isinstance(result.message, bytes) else result.message
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) (status={result.status}):"
            f" {message}. Increase the number of iterations (max_iter) or scale the data.",
            ConvergenceWarning,
            stacklevel=3,
        )
    estimator.n_iter_ = min(int(result.nit), estimator.max_iter)
    estimator.loss_ = float(result.fun)
    unpack(result.x, estimator.coefs_ + estimator.intercepts_)


def lbfgs_objective(
    estimator: EstimatorState,
    theta: np.ndarray,
    X: Any,
    T: np.ndarray,
    sample_weight: np.ndarray | None,
) -> tuple[float, np.ndarray]:
    """scikit-learn's ``_loss_grad_lbfgs``: the loss and its gradient at ``theta``."""
    network = network_of(estimator)
    unpack(theta, estimator.coefs_ + estimator.intercepts_)
    value = loss_and_gradient(estimator, X, T, sample_weight)
    dense = dense_layers(network)
    grads = [layer.grads["W"] for layer in dense] + [layer.grads["b"] for layer in dense]
    return value, pack(grads)
