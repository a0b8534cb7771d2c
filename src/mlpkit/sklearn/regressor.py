"""scikit-learn's ``MLPRegressor`` on an mlpkit network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from mlpkit.sklearn._base import BaseMLP

__all__ = ["MLPRegressor"]


@dataclass(eq=False, repr=False, kw_only=True)
class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor: scikit-learn's, trained by mlpkit.

    Takes the parameters of :class:`MLPClassifier` (but ``class_weight``;
    ``early_stopping_metric="score"`` watches the validation R²), with ``loss`` first:
    'squared_error' (half the mean squared error, as scikit-learn's; a linear
    output) or 'poisson' (half the Poisson deviance; an exponential output, for
    counts and rates). Early stopping watches the validation R².

    Attributes
    ----------
    n_outputs_ : int
        Columns of ``y`` (1 for a 1-D ``y``).
    coefs_, intercepts_, loss_, best_loss_, loss_curve_, validation_scores_, \
validation_loss_curve_, best_validation_score_, t_, n_iter_, n_layers_, out_activation_, \
n_features_in_, network_
        As for :class:`MLPClassifier`.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    loss: str = field(default="squared_error", kw_only=False)
    hidden_layer_sizes: int | Sequence[int] = field(default=(100,), kw_only=False)
    activation: str = field(default="relu", kw_only=False)

    def _targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(f"loss='poisson' needs targets >= 0, got a minimum of {y.min()}")
        return y

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _score_outputs(
        self, outputs: np.ndarray, T: np.ndarray, weights: np.ndarray | None
    ) -> float:
        return float(r2_score(T, outputs, sample_weight=weights))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: shape (n_samples,) for a 1-D ``y``, else (n_samples, n_outputs)."""
        outputs = self._outputs(X)
        return outputs.ravel() if self.n_outputs_ == 1 else outputs

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One iteration over ``(X, y)``, from the current weights (new ones at first).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
