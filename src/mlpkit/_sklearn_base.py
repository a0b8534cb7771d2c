"""The estimator machinery ``mlpkit.sklearn``'s two MLPs share: scikit-learn's
parameters and their checks, weights drawn as scikit-learn draws them, the
fit that chooses a solver, and prediction through the mlpkit network.
"""

from __future__ import annotations

import itertools
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from mlpkit import _sklearn_solvers as solvers
from mlpkit.network import Network

__all__ = ["STOCHASTIC", "BaseMLP"]

STOCHASTIC = ("sgd", "adam", "rmsprop")
_SPARSE_CHUNK = 4096  # rows of a sparse input made dense at a time when predicting


class BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, solvers, attributes."""

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 (scikit-learn's convention)
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
    }

    _is_classifier = False

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dropout: float = 0.0,
        dtype: str | None = None,
        loss: str = "log_loss",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.dtype = dtype
        self.loss = loss

    # -- what the subclasses define ---------------------------------------------
    def _validate_input(self, X, y, incremental: bool, reset: bool):
        raise NotImplementedError

    def _output_activation(self) -> str:
        raise NotImplementedError

    def _validation_score(self, X: np.ndarray, T: np.ndarray, weights: Any) -> float:
        raise NotImplementedError

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
        self._network: Network | None = None
        self._best_weights = [a.copy() for a in self.coefs_ + self.intercepts_]
        if self.solver in STOCHASTIC:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list[float] | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit(self, X, y, sample_weight=None, incremental: bool = False):
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
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        T = T.reshape(len(T), -1).astype(X.dtype)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(T, [X.shape[1], *hidden, T.shape[1]], X.dtype)
        if self.solver in STOCHASTIC:
            solvers.fit_stochastic(self, X, T, sample_weight, incremental)
        else:
            solvers.fit_lbfgs(self, X, T, sample_weight)
        solvers.check_finite(self)
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
            rows were repeated.

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
        packed_coef_inter,
        X,
        y,
        sample_weight,
        activations,
        deltas,
        coef_grads,
        intercept_grads,
    ) -> tuple[float, np.ndarray]:
        """The loss and its gradient at the packed weights, as scikit-learn's L-BFGS calls it.

        ``y`` are the encoded targets; the last four arguments are scikit-learn's
        work buffers, not needed here.
        """
        T = np.asarray(y, dtype=self.coefs_[0].dtype).reshape(len(y), -1)
        return solvers.lbfgs_objective(self, packed_coef_inter, X, T, sample_weight)

    # -- predicting -------------------------------------------------------------
    @property
    def network_(self) -> Network:
        """The trained :class:`mlpkit.Network` (its arrays are ``coefs_`` and ``intercepts_``)."""
        check_is_fitted(self, "coefs_")
        return solvers.network_of(self)

    def _outputs(self, X: Any, check_input: bool = True) -> np.ndarray:
        """The network's outputs for ``X``, shape (n_samples, n_outputs)."""
        check_is_fitted(self, "coefs_")
        if check_input:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], reset=False, dtype=(np.float64, np.float32)
            )
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
