"""Loss functions with an explicit reduction.

Every loss is a sum of per-entry terms ``l[i, k]`` over samples ``i`` and
outputs ``k`` of a batch with ``N`` samples and ``K`` outputs, divided by the
reduction's divisor:

``"mean"`` (default)
    ``sum(l) / N``: the mean over samples of the per-sample sum over outputs.
    This is the classic course convention: for MSE the gradient is
    ``2/N (Y - D)``.
``"mean_all"``
    ``sum(l) / (N * K)``: the mean over all entries, as Keras and PyTorch
    define MSE and binary cross-entropy.
``"sum"``
    ``sum(l)``: no division; the gradient is summed over samples.

Sample weights ``w`` (one per row, optional in every ``forward``) weigh each
sample's terms, and count samples by weight: ``"mean"`` divides by ``sum(w)``,
so integer weights give the loss and gradient of a batch with each row
repeated that many times.

The targets ``D`` have the shape of the outputs ``Y``: one-hot rows for
classes (the network encodes integer labels before calling a loss).
"""

from __future__ import annotations

import numpy as np

from mlpkit._validation import resolve
from mlpkit.layers import activations
from mlpkit.layers.base import Layer

__all__ = [
    "MSE",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "HalfMSE",
    "Loss",
    "Poisson",
    "check_output",
    "default_for",
    "get",
]

REDUCTIONS = ("mean", "mean_all", "sum")


class Loss:
    """Base class: ``forward(Y, D) -> float`` then ``backward() -> dL/dY``.

    A loss that can be fused with the output activation (``fused_with``) also
    offers ``forward_logits(Z, D)``, after which ``backward()`` returns
    ``dL/dZ``, the gradient with respect to that activation's input, and
    ``outputs`` holds the activation's output ``fused_with(Z)`` (computed on
    the way, so the network need not run the activation again).
    """

    name = ""
    #: Activation class whose derivative cancels against this loss's.
    fused_with: type[activations.Activation] | None = None

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            valid = ", ".join(repr(r) for r in REDUCTIONS)
            raise ValueError(f"unknown reduction {reduction!r}; valid reductions are {valid}")
        self.reduction = reduction
        self._grad: np.ndarray | None = None
        self.outputs: np.ndarray | None = None

    def divisor(self, shape: tuple[int, int], weights: np.ndarray | None = None) -> float:
        """What the sum of per-entry losses is divided by for a batch of ``shape``.

        With sample ``weights`` of shape (n,), ``sum(weights)`` counts the samples.
        """
        samples = shape[0] if weights is None else float(np.sum(weights))
        if self.reduction == "mean":
            return samples
        return samples * shape[1] if self.reduction == "mean_all" else 1

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Return the loss of outputs ``Y`` (n, k) against targets ``D`` (n, k).

        ``weights`` (n,), optional: each sample's weight (see the module's docstring).
        """
        raise NotImplementedError

    def forward_logits(
        self, Z: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        """Return the loss of ``fused_with(Z)`` against ``D``, computed on the logits."""
        raise NotImplementedError(f"{type(self).__name__} is not fused with an activation")

    def _weighting(
        self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None
    ) -> tuple[np.ndarray | float, float]:
        """Check the shapes; return the sample weights as a column (or 1.0) and ``1 / divisor``."""
        _check_shapes(Y, D)
        return _column(weights, Y), 1.0 / self.divisor(Y.shape, weights)

    def backward(self) -> np.ndarray:
        """The gradient of the last ``forward`` (or ``forward_logits``) call."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _check_shapes(Y: np.ndarray, D: np.ndarray) -> None:
    if Y.shape != D.shape:
        raise ValueError(f"outputs have shape {Y.shape} but targets have shape {D.shape}")


def _column(weights: np.ndarray | None, Y: np.ndarray) -> np.ndarray | float:
    """Sample weights as a column (n, 1) that broadcasts over outputs, or 1.0 for none."""
    if weights is None:
        return 1.0
    weights = np.asarray(weights, dtype=Y.dtype)
    if weights.shape != (len(Y),):
        raise ValueError(f"weights must have shape ({len(Y)},), got {weights.shape}")
    return weights.reshape(-1, 1)


class MSE(Loss):
    """Squared error ``l = (Y - D)**2`` per entry.

    Gradient ``dL/dY = 2 (Y - D) / divisor``: ``2/N (Y - D)`` with ``"mean"``.
    """

    name = "mse"

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        w, scale = self._weighting(Y, D, weights)
        diff = Y - D
        weighted = diff if weights is None else diff * w
        self._grad = (2.0 * scale) * weighted
        return float(np.vdot(weighted, diff)) * scale


class HalfMSE(MSE):
    """Half the squared error, ``l = (Y - D)**2 / 2`` per entry: scikit-learn's ``squared_error``.

    Gradient ``dL/dY = (Y - D) / divisor``; the half cancels the square's 2.
    """

    name = "half_mse"

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        value = super().forward(Y, D, weights)
        assert self._grad is not None
        self._grad = 0.5 * self._grad  # halving is exact in floating point
        return 0.5 * value


class CrossEntropy(Loss):
    """Categorical cross-entropy ``l = -D * log(P)`` for probabilities ``P``.

    Fused with ``Softmax`` on the logits ``Z`` (``P = softmax(Z)``), the value
    uses ``log P = Z - logsumexp(Z)`` and the gradient is
    ``dL/dZ = (P * sum_k D_k - D) / divisor``, i.e. ``(P - D) / N`` for one-hot
    targets and ``"mean"``. Unfused, ``dL/dP = -D / P / divisor``.
    """

    name = "cross_entropy"
    fused_with = activations.Softmax

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        _check_shapes(Y, D)
        scale = 1.0 / self.divisor(Y.shape, weights)
        D = D if weights is None else D * _column(weights, Y)  # weights ride on the targets
        safe = np.maximum(Y, np.finfo(Y.dtype).tiny)
        self._grad = -scale * D / safe
        return -float(np.vdot(D, np.log(safe))) * scale

    def forward_logits(
        self, Z: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        _check_shapes(Z, D)
        scale = 1.0 / self.divisor(Z.shape, weights)
        # -sum(w D log P) and its gradient w (P sum(D) - D) are those of the targets w D
        D = D if weights is None else D * _column(weights, Z)
        # log P = shifted - log(total), with shifted = Z - max(Z) so that exp cannot overflow.
        shifted = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(shifted)
        total = P.sum(axis=1, keepdims=True)
        P /= total
        self.outputs = P
        D_sum = D.sum(axis=1, keepdims=True)  # 1 for one-hot rows
        # -sum(D * log P) = -(sum(D * shifted) - sum_i D_sum_i * log(total_i))
        value = -(float(np.vdot(D, shifted)) - float(np.vdot(D_sum, np.log(total)))) * scale
        # dL/dZ = (P * D_sum - D) / divisor, written into shifted's memory (no longer needed)
        grad = np.multiply(P, D_sum, out=shifted)
        grad -= D
        grad *= scale
        self._grad = grad
        return value


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy per output ``l = -(D log P + (1 - D) log(1 - P))``.

    Summed over the outputs: the multi-label form with one sigmoid per class.
    Fused with ``Sigmoid`` on the logits ``Z``, the value is
    ``max(Z, 0) - D Z + log(1 + exp(-|Z|))`` and the gradient is
    ``dL/dZ = (sigmoid(Z) - D) / divisor``. Unfused,
    ``dL/dP = (P - D) / (P (1 - P)) / divisor``.
    """

    name = "binary_cross_entropy"
    fused_with = activations.Sigmoid

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        w, scale = self._weighting(Y, D, weights)
        tiny = np.finfo(Y.dtype).tiny
        P = np.clip(Y, tiny, 1 - np.finfo(Y.dtype).eps)
        self._grad = scale * w * (P - D) / (P * (1 - P))
        value = -(w * (D * np.log(P) + (1 - D) * np.log1p(-P))).sum()
        return float(value) * scale

    def forward_logits(
        self, Z: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        w, scale = self._weighting(Z, D, weights)
        value = (w * (np.maximum(Z, 0) - D * Z + np.log1p(np.exp(-np.abs(Z))))).sum()
        self.outputs = activations.sigmoid(Z)
        self._grad = scale * w * (self.outputs - D)
        return float(value) * scale


class Poisson(Loss):
    """Half the Poisson deviance per output ``l = D log(D / Y) - D + Y`` for rates ``Y > 0``.

    Zero for a perfect prediction (``0 log 0`` counts as 0), and scikit-learn's
    ``poisson`` loss. Fused with ``Exp`` on the logits ``Z`` (``Y = exp(Z)``),
    the gradient is ``dL/dZ = (exp(Z) - D) / divisor``. Unfused,
    ``dL/dY = (1 - D / Y) / divisor``.
    """

    name = "poisson"
    fused_with = activations.Exp

    @staticmethod
    def _d_log_d(D: np.ndarray) -> np.ndarray:
        return np.where(D > 0, D * np.log(np.where(D > 0, D, 1)), 0.0)

    def forward(self, Y: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None) -> float:
        w, scale = self._weighting(Y, D, weights)
        safe = np.maximum(Y, np.finfo(Y.dtype).tiny)
        self._grad = scale * w * (1 - D / safe)
        value = (w * (self._d_log_d(D) - D * np.log(safe) - D + Y)).sum()
        return float(value) * scale

    def forward_logits(
        self, Z: np.ndarray, D: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        w, scale = self._weighting(Z, D, weights)
        self.outputs = np.exp(Z)
        value = (w * (self._d_log_d(D) - D * Z - D + self.outputs)).sum()
        self._grad = scale * w * (self.outputs - D)
        return float(value) * scale


def default_for(output: Layer) -> Loss:
    """The loss that fuses with the ``output`` layer (softmax, sigmoid, exp), else MSE."""
    for cls in (CrossEntropy, BinaryCrossEntropy, Poisson):
        if cls.fused_with is not None and isinstance(output, cls.fused_with):
            return cls()
    return MSE()


def check_output(loss: Loss, output: Layer, encoding: str) -> None:
    """Raise unless ``loss`` suits a network ending in ``output`` with targets ``encoding``."""
    if not isinstance(loss, CrossEntropy | BinaryCrossEntropy):
        return
    if not isinstance(output, activations.Softmax | activations.Sigmoid):
        raise ValueError(
            f"{loss.name} needs outputs in (0, 1), but the network ends in "
            f"{type(output).__name__}; use output='softmax' (or 'sigmoid')"
        )
    if encoding != "one_hot":
        raise ValueError(f"{loss.name} needs 0/1 targets; build the network with targets='one_hot'")


LOSSES = {
    "mse": MSE,
    "mean_squared_error": MSE,
    "half_mse": HalfMSE,
    "squared_error": HalfMSE,
    "cross_entropy": CrossEntropy,
    "categorical_cross_entropy": CrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "poisson": Poisson,
}


def get(spec: str | Loss) -> Loss:
    """Return a new loss named ``spec`` (mean reduction), or ``spec`` if it is one."""
    return resolve(spec, LOSSES, "loss", Loss)
