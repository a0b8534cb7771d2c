"""The network behind an estimator of :mod:`mlpkit.sklearn`, and scikit-learn's loss on it.

The estimator keeps ``coefs_`` and ``intercepts_`` as the network's own
arrays; a user who assigns new arrays to them (as scikit-learn's tests do)
gets a network rebuilt from those values on the next ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlpkit import losses
from mlpkit.builders import mlp
from mlpkit.layers import Dense
from mlpkit.network import Network
from mlpkit.objective import Objective
from mlpkit.sklearn._state import EstimatorState

__all__ = [
    "AlphaObjective",
    "check_finite",
    "dense_layers",
    "evaluate",
    "loss_and_gradient",
    "network_of",
    "objective_of",
]

#: scikit-learn's activation names and mlpkit's.
HIDDEN = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
OUTPUT = {"identity": "linear", "logistic": "sigmoid", "softmax": "softmax", "exp": "exp"}


def network_of(estimator: EstimatorState) -> Network:
    """The network whose arrays are ``estimator.coefs_`` and ``intercepts_``.

    Built (again) when there is none yet or the user assigned other arrays.
    """
    network = getattr(estimator, "_network", None)
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    if network is not None:
        dense = dense_layers(network)
        if all(c is d.params["W"] for c, d in zip(coefs, dense, strict=False)) and all(
            b is d.params["b"] for b, d in zip(intercepts, dense, strict=False)
        ):
            return network
    coefs = [np.asarray(c) for c in coefs]
    dtype = np.result_type(*coefs)
    sizes = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    network = mlp(
        sizes,
        hidden=HIDDEN[estimator.activation],
        output=OUTPUT[estimator.out_activation_],
        seed=0,  # the values come from coefs_ and intercepts_ just below
        dtype=dtype.type,
        dropout=estimator.dropout,
    )
    dense = dense_layers(network)
    for layer, W, b in zip(dense, coefs, intercepts, strict=True):
        np.copyto(layer.params["W"], W)
        np.copyto(layer.params["b"], np.asarray(b).reshape(layer.params["b"].shape))
    estimator.coefs_ = [layer.params["W"] for layer in dense]
    estimator.intercepts_ = [layer.params["b"] for layer in dense]
    estimator._network = network
    return network


def dense_layers(network: Network) -> list[Dense]:
    """The network's ``Dense`` layers, input side first."""
    return [layer for layer in network.layers if isinstance(layer, Dense)]


class AlphaObjective(Objective):
    """scikit-learn's objective: the data loss plus ``alpha / 2 * sum(W**2) / n``.

    ``n`` is the batch's samples, or their total weight; ``W`` the kernels,
    not the biases.
    """

    def l2_weight(self, n_samples: float) -> float:
        """``alpha / (2 n)``: scikit-learn divides the penalty by the batch's size."""
        return self.l2 / (2 * n_samples)


def objective_of(estimator: EstimatorState) -> AlphaObjective:
    """What the estimator's solver minimises, with the loss scikit-learn names.

    scikit-learn's squared error is half the mean squared error.
    """
    if estimator.loss == "squared_error":
        loss: losses.Loss = losses.HalfMSE()
    elif estimator.loss == "poisson":
        loss = losses.Poisson()
    elif estimator.out_activation_ == "softmax":
        loss = losses.CrossEntropy()
    else:
        loss = losses.BinaryCrossEntropy()
    return AlphaObjective(loss, estimator.alpha)


def loss_and_gradient(
    estimator: EstimatorState, X: Any, T: np.ndarray, sample_weight: np.ndarray | None
) -> float:
    """Fill the network's gradients for one batch; return scikit-learn's loss (penalty in)."""
    value, penalty, _ = objective_of(estimator).gradients(
        network_of(estimator), X, T, sample_weight
    )
    return value + penalty


def evaluate(
    estimator: EstimatorState, X: Any, T: np.ndarray, sample_weight: np.ndarray | None
) -> tuple[float, np.ndarray]:
    """The loss of ``loss_and_gradient`` and the outputs, from one forward pass (no backward)."""
    network, objective = network_of(estimator), objective_of(estimator)
    value, outputs = network.forward_loss(X, T, objective.loss, weights=sample_weight)
    return value + objective.penalty(network, X, sample_weight), outputs


def check_finite(estimator: EstimatorState) -> None:
    """scikit-learn's error for weights that training made infinite or NaN."""
    if not all(np.isfinite(a).all() for a in estimator.coefs_ + estimator.intercepts_):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may"
            " contain large values and need to be preprocessed."
        )
