"""What a training step descends: a data loss plus L2 weight decay, on one batch.

``fit`` and both solvers of the scikit-learn face (stochastic and L-BFGS)
minimise an :class:`Objective`, so the penalty is added in one place
(:func:`add_l2`) and the three agree on what "the loss" is:

    objective = loss(outputs, T) + l2_weight(n) * sum(W**2) + sum(layer.l2 * W**2)

``W`` runs over each layer's ``regularized`` params (kernels), and its
``biases`` with ``l2_bias``; ``layer.l2`` is a layer's own weight decay.
``fit``'s ``l2`` is the same for every batch; scikit-learn's ``alpha`` is
divided by twice the batch's sample count (see ``mlpkit.sklearn``), which
a subclass says by overriding :meth:`Objective.l2_weight`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from mlpkit.losses import Loss

if TYPE_CHECKING:
    from mlpkit.hooks import TrainableNetwork
    from mlpkit.layers import Layer

__all__ = ["Objective", "add_l2", "has_l2", "l2_penalty"]


class Objective:
    """A data loss and the L2 penalty on the weights.

    Parameters
    ----------
    loss : Loss
        The data loss.
    l2 : float
        Weight of ``sum(W**2)`` over the ``regularized`` params.
    l2_bias : bool
        Penalise the ``biases`` too.
    """

    def __init__(self, loss: Loss, l2: float = 0.0, l2_bias: bool = False) -> None:
        self.loss = loss
        self.l2 = l2
        self.l2_bias = l2_bias

    def l2_weight(self, n_samples: float) -> float:
        """The penalty's weight for a batch of ``n_samples`` (or that total sample weight).

        ``l2`` whatever the batch; the scikit-learn face returns ``alpha / (2 n)``.
        """
        return self.l2

    def penalizes(self, network: TrainableNetwork) -> bool:
        """Whether there is a penalty to add: ``l2``, or a layer's own ``l2``."""
        return has_l2(network, self.l2)

    def gradients(
        self,
        network: TrainableNetwork,
        X: np.ndarray,
        T: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> tuple[float, float, np.ndarray]:
        """One forward and backward pass (in training mode); fill every layer's ``grads``.

        Parameters
        ----------
        X : ndarray of shape (n, *input_shape)
        T : ndarray of shape (n, n_outputs)
            Encoded targets.
        weights : ndarray of shape (n,), optional
            Sample weights of the data loss.

        Returns
        -------
        data_loss : float
        penalty : float
            0.0 when nothing is penalised; the objective is their sum.
        outputs : ndarray of shape (n, n_outputs)
        """
        value, outputs = network.loss_and_gradients(X, T, self.loss, weights=weights)
        return value, self._penalty(add_l2, network, X, weights), outputs

    def penalty(
        self, network: TrainableNetwork, X: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        """The penalty ``gradients`` adds for the batch ``X``, the grads untouched."""
        return self._penalty(l2_penalty, network, X, weights)

    def _penalty(
        self,
        measure: Callable[[TrainableNetwork, float, bool], float],
        network: TrainableNetwork,
        X: np.ndarray,
        weights: np.ndarray | None,
    ) -> float:
        """``measure`` (``add_l2`` or ``l2_penalty``) for this batch, or 0.0 for no penalty."""
        if not self.penalizes(network):
            return 0.0
        return measure(network, self.l2_weight(_count(X, weights)), self.l2_bias)

    def __repr__(self) -> str:
        return f"Objective({self.loss!r}, l2={self.l2!r}, l2_bias={self.l2_bias!r})"


def _count(X: np.ndarray, weights: np.ndarray | None) -> float:
    """The batch's samples, or their total weight."""
    return X.shape[0] if weights is None else float(np.sum(weights))


def add_l2(network: TrainableNetwork, l2: float, l2_bias: bool = False) -> float:
    """Add ``2 * l2 * W`` to the gradients; return the penalty ``l2 * sum(W**2)``.

    Call after a backward pass. ``W`` runs over each layer's ``regularized``
    params, and its ``biases`` with ``l2_bias``; never over buffers. A
    layer's own ``l2`` adds ``layer.l2 * sum(W**2)`` over its
    ``regularized`` params.
    """
    penalty, own = 0.0, 0.0
    for layer, name, param in _penalized(network, l2_bias):
        squares = float(np.vdot(param, param))
        if l2:
            penalty += squares
            layer.grads[name] += (2.0 * l2) * param
        if layer.l2 and name in layer.regularized:
            own += layer.l2 * squares
            layer.grads[name] += (2.0 * layer.l2) * param
    return l2 * penalty + own


def l2_penalty(network: TrainableNetwork, l2: float, l2_bias: bool = False) -> float:
    """The penalty ``add_l2`` returns, without touching the gradients."""
    penalty, own = 0.0, 0.0
    for layer, name, param in _penalized(network, l2_bias):
        squares = float(np.vdot(param, param))
        if l2:
            penalty += squares
        if layer.l2 and name in layer.regularized:
            own += layer.l2 * squares
    return l2 * penalty + own


def has_l2(network: TrainableNetwork, l2: float = 0.0) -> bool:
    """Whether ``add_l2(network, l2)`` has anything to add (``l2``, or a layer's own)."""
    return bool(l2) or any(layer.l2 for layer in network.layers)


def _penalized(network: TrainableNetwork, l2_bias: bool) -> Iterator[tuple[Layer, str, np.ndarray]]:
    """``(layer, name, param)`` for every param L2 reaches, in ``parameters`` order."""
    for layer in network.layers:
        penalized = (*layer.regularized, *layer.biases) if l2_bias else layer.regularized
        for name, param in layer.params.items():
            if name in penalized:
                yield layer, name, param
