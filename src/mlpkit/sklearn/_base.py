"""The estimator machinery ``mlpkit.sklearn``'s two MLPs share: scikit-learn's
parameters and their checks, weights drawn as scikit-learn draws them, the
fit that chooses a solver, and prediction through the mlpkit network.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import scipy.sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import get_scorer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from mlpkit._validation import refuse_complex
from mlpkit.network import Network
from mlpkit.sklearn._lbfgs import fit_lbfgs, lbfgs_objective
from mlpkit.sklearn._network import check_finite, evaluate, network_of
from mlpkit.sklearn._state import EstimatorState
from mlpkit.sklearn._stochastic import fit_stochastic

__all__ = ["STOCHASTIC", "BaseMLP"]

STOCHASTIC = ("sgd", "adam", "rmsprop")
_SPARSE_CHUNK = 4096  # rows of a sparse input made dense at a time when predicting


@dataclass(eq=False, repr=False, kw_only=True)
class BaseMLP(TransformerMixin, BaseEstimator, EstimatorState):
    """What the classifier and the regressor share: checks, fit, prediction.

    Their parameters and fitted attributes are declared, typed, by
    :class:`~mlpkit.sklearn._state.EstimatorState`.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam", "rmsprop"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "early_stopping_metric": [str, callable],
        "callbacks": [list, None],
    }

    # -- input, and what the subclasses define ------------------------------------
    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[Any, np.ndarray]:
        refuse_complex(X, "X")  # before scikit-learn's message, which prints the whole array
        refuse_complex(y, "y")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not self._is_classifier,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, self._targets(y, incremental)

    def _targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        """The training targets from a checked ``y`` of shape (n,) or (n, k)."""
        raise NotImplementedError

    def _output_activation(self) -> str:
        raise NotImplementedError

    def _score_outputs(
        self, outputs: np.ndarray, T: np.ndarray, weights: np.ndarray | None
    ) -> float:
        """scikit-learn's validation score (accuracy, R²) of ``outputs`` against ``T``."""
        raise NotImplementedError

    def _targets_of(self, T: np.ndarray) -> np.ndarray:
        """The targets as ``fit`` was given them (labels for the classifier)."""
        return T

    def _weighted(
        self, T: np.ndarray, sample_weight: np.ndarray | None, incremental: bool
    ) -> np.ndarray | None:
        """The sample weights training uses (the classifier folds in ``class_weight``)."""
        return sample_weight

    # -- validation -------------------------------------------------------------
    def _validate_epoch(
        self, X: np.ndarray, T: np.ndarray, weights: np.ndarray | None
    ) -> tuple[float, float]:
        """The validation loss and the score early stopping watches (higher is better).

        ``early_stopping_metric``: "score" is scikit-learn's (accuracy or R²);
        "loss" the negated validation loss; a scorer's name (``sklearn.metrics.get_scorer``)
        or a callable ``scorer(estimator, X, y)`` anything else.
        """
        loss, outputs = evaluate(self, X, T, weights)
        metric = self.early_stopping_metric
        if metric == "loss":
            return loss, -loss
        if not np.isfinite(outputs).all():
            return loss, np.nan
        if metric == "score":
            return loss, self._score_outputs(outputs, T, weights)
        scorer = get_scorer(metric) if isinstance(metric, str) else metric
        with warnings.catch_warnings():  # the held-out rows have lost their column names
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            score = scorer(self, X, self._targets_of(T))
        # NaN never beats the best score: early stopping would keep the initial weights
        if isinstance(score, bool) or not isinstance(score, Real) or not np.isfinite(float(score)):
            raise ValueError(
                f"early_stopping_metric={metric!r} returned {score!r} on the validation data; "
                "it must return a finite real number (higher is better)"
            )
        return loss, float(score)

    def _check_early_stopping_metric(self) -> None:
        """Refuse, before training, a scorer name unknown or needing what this model lacks."""
        metric = self.early_stopping_metric
        if not self.early_stopping or not isinstance(metric, str) or metric in ("score", "loss"):
            return
        try:
            scorer = get_scorer(metric)
        except ValueError as error:
            raise ValueError(f"early_stopping_metric={metric!r}: {error}") from None
        methods = getattr(scorer, "_response_method", "predict")
        methods = (methods,) if isinstance(methods, str) else tuple(methods)
        if not any(hasattr(self, method) for method in methods):
            raise ValueError(
                f"early_stopping_metric={metric!r} scores by {' or '.join(methods)}, which "
                f"{type(self).__name__} does not have; choose a scorer for "
                f"{'classifiers' if self._is_classifier else 'regressors'}"
            )

    # -- hidden features --------------------------------------------------------
    def transform(self, X: Any, layer: int = -1) -> np.ndarray:
        """The activations of hidden layer ``layer`` (the last by default).

        With it the fitted network is a feature extractor inside a ``Pipeline``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        layer : int, default -1
            Which hidden layer: 0 is the first, -1 the last.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[layer])
        """
        check_is_fitted(self, "coefs_")
        hidden = len(self.coefs_) - 1
        if hidden == 0:
            raise ValueError("transform needs a hidden layer; this network has none")
        if not isinstance(layer, Integral) or not -hidden <= layer < hidden:
            raise ValueError(
                f"layer must be an integer from {-hidden} to {hidden - 1} (this network has"
                f" {hidden} hidden layer{'s' if hidden != 1 else ''}), got {layer!r}"
            )
        X = self._inputs(X)
        network = self.network_
        dense = [i for i, unit in enumerate(network.layers) if unit.params.get("W") is not None]
        stop = dense[layer % hidden] + 2  # the Dense layer and its activation
        for unit in network.layers[:stop]:
            X = unit.forward(X, training=False)
        return X

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of ``transform``'s columns: ``mlpclassifier_hidden1_0``, ... (last layer)."""
        check_is_fitted(self, "coefs_")
        if len(self.coefs_) < 2:
            raise ValueError("get_feature_names_out needs a hidden layer; this network has none")
        prefix = f"{type(self).__name__.lower()}_hidden{len(self.coefs_) - 2}"
        return np.asarray([f"{prefix}_{i}" for i in range(self.coefs_[-1].shape[0])], dtype=object)

    # -- fitting ----------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if any(size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(size) for size in sizes]

    def _initialize(self, T: np.ndarray, units: list[int], dtype: np.dtype) -> None:
        """New weights, drawn as scikit-learn draws them, and fresh fitted attributes."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = T.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        # Glorot's uniform bound, for the biases too; sqrt(2 / (fan_in + fan_out)) for logistic
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in itertools.pairwise(units):
            bound = np.sqrt(factor / (fan_in + fan_out))
            uniform = self._random_state.uniform
            self.coefs_.append(uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
            self.intercepts_.append(uniform(-bound, bound, fan_out).astype(dtype))
        self._network = None
        self._best_weights = [a.copy() for a in self.coefs_ + self.intercepts_]
        if self.solver in STOCHASTIC:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.validation_loss_curve_ = [] if self.early_stopping else None
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit(
        self, X: Any, y: Any, sample_weight: npt.ArrayLike | None = None, incremental: bool = False
    ) -> BaseMLP:
        hidden = self._hidden_sizes()
        if self.dropout and self.solver == "lbfgs":
            raise ValueError("dropout needs a stochastic solver (sgd, adam or rmsprop), not lbfgs")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, T = self._validate_input(X, y, incremental, reset=first_pass)
        if self.dtype is not None and not first_pass and self.coefs_[0].dtype != self.dtype:
            raise ValueError(
                f"dtype={self.dtype!r} differs from the fitted weights' {self.coefs_[0].dtype}"
            )
        if self.dtype is not None:
            X = X.astype(self.dtype, copy=False)
        if scipy.sparse.issparse(X):
            X = X.tocsr()  # batches are rows; the first layer multiplies them sparse by dense
        # scikit-learn's MLP does not check the sign; a negative weight would
        # reward the loss it should lower
        checked = (
            None
            if sample_weight is None
            else _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        )
        weights = self._weighted(T, checked, incremental)
        if weights is not None and not np.any(weights):
            raise ValueError(
                "every sample has weight 0 (sample_weight times class_weight): nothing to fit"
            )
        self._check_early_stopping_metric()
        T = T.reshape(len(T), -1).astype(X.dtype)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(T, [X.shape[1], *hidden, T.shape[1]], X.dtype)
        if self.solver in STOCHASTIC:
            fit_stochastic(self, X, T, weights, incremental)
        else:
            fit_lbfgs(self, X, T, weights)
        check_finite(self)
        return self

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: Any = None) -> BaseMLP:
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (or a label indicator matrix) for the classifier,
            targets for the regressor.
        sample_weight : array-like of shape (n_samples,), optional
            Each sample's weight in the loss; integer weights train as if the
            rows were repeated. Weights must be >= 0 and not all zero
            (scikit-learn's MLP does not check; a negative weight would make
            training raise the loss on that sample).

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self) -> bool:
        if self.solver not in STOCHASTIC:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is"
                " not stochastic."
            )
        return True

    def _loss_grad_lbfgs(
        self,
        packed_coef_inter: np.ndarray,
        X: Any,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        activations: object,  # scikit-learn's work arrays, unused here
        deltas: object,
        coef_grads: object,
        intercept_grads: object,
    ) -> tuple[float, np.ndarray]:
        """The loss and its gradient at the packed weights, as scikit-learn's L-BFGS calls it.

        ``y`` are the encoded targets; the last four arguments are scikit-learn's
        work buffers, not needed here.
        """
        T = np.asarray(y, dtype=self.coefs_[0].dtype).reshape(len(y), -1)
        return lbfgs_objective(self, packed_coef_inter, X, T, sample_weight)

    # -- predicting -------------------------------------------------------------
    @property
    def network_(self) -> Network:
        """The trained :class:`mlpkit.Network` (its arrays are ``coefs_`` and ``intercepts_``)."""
        check_is_fitted(self, "coefs_")
        return network_of(self)

    def _inputs(self, X: Any) -> Any:
        """``X`` checked against the fit (features, names), of the weights' dtype."""
        refuse_complex(X, "X")  # before scikit-learn's message, which prints the whole array
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], reset=False, dtype=(np.float64, np.float32)
        )
        dtype = self.coefs_[0].dtype
        return X.tocsr().astype(dtype) if scipy.sparse.issparse(X) else X.astype(dtype, copy=False)

    def _outputs(self, X: Any, check_input: bool = True) -> np.ndarray:
        """The network's outputs for ``X``, shape (n_samples, n_outputs)."""
        check_is_fitted(self, "coefs_")
        if check_input:
            X = self._inputs(X)
        network, dtype = self.network_, self.coefs_[0].dtype
        if not scipy.sparse.issparse(X):
            return network.forward(np.asarray(X, dtype=dtype))
        X = X.tocsr()  # dense a slice at a time, so that memory stays bounded
        rows = _SPARSE_CHUNK
        parts = [
            network.forward(X[i : i + rows].toarray().astype(dtype, copy=False))
            for i in range(0, X.shape[0], rows)
        ]
        return np.concatenate(parts) if parts else network.forward(np.zeros((0, X.shape[1]), dtype))

    def __sklearn_tags__(self) -> Any:  # scikit-learn's Tags
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
