"""Drop-in replacements for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.

The constructor parameters, their defaults and meanings, the fitted attributes
and the methods are scikit-learn's (``from mlpkit.sklearn import
MLPClassifier`` in place of ``from sklearn.neural_network import
MLPClassifier``); the network underneath is an ordinary :class:`mlpkit.Network`,
trained by mlpkit's backpropagation and optimisers (``network_``).

Beyond scikit-learn: ``solver="rmsprop"``, ``dropout`` (a fraction of each
hidden layer's units dropped while training) and ``network_`` itself (save it
with ``mlpkit.save``, plot it with ``mlpkit.plots``).

>>> from mlpkit.sklearn import MLPClassifier
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> model = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
>>> round(model.score(X, y), 2) >= 0.95
True
"""

from __future__ import annotations

import itertools
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from mlpkit import _sklearn_solvers as solvers
from mlpkit.network import Network

__all__ = ["MLPClassifier", "MLPRegressor"]

_STOCHASTIC = ("sgd", "adam", "rmsprop")
_SPARSE_CHUNK = 4096  # rows of a sparse input made dense at a time when predicting


class _BaseMLP(BaseEstimator):
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
        if self.solver in _STOCHASTIC:
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
        if self.solver in _STOCHASTIC:
            solvers.fit_stochastic(self, X, T, sample_weight, incremental)
        else:
            solvers.fit_lbfgs(self, X, T, sample_weight)
        solvers.check_finite(self)
        return self

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: Any = None) -> _BaseMLP:
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
        if self.solver not in _STOCHASTIC:
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


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier: scikit-learn's, trained by mlpkit.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default (100,)
        Width of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default 'relu'
        Hidden activation.
    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default 'adam'
        'lbfgs' is SciPy's L-BFGS-B on the flattened weights; 'rmsprop' is mlpkit's own.
    alpha : float, default 1e-4
        L2 penalty: ``alpha / 2 * sum(W**2) / n_samples`` added to each batch's loss.
    batch_size : int or 'auto', default 'auto'
        ``min(200, n_samples)`` when 'auto'; not used by lbfgs.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default 'constant'
        The step schedule of 'sgd': 'invscaling' takes ``learning_rate_init /
        (t + 1) ** power_t`` after ``t`` samples; 'adaptive' divides the step by
        5 whenever the loss has not improved by ``tol`` for ``n_iter_no_change``
        iterations, and stops once it falls below 1e-6.
    learning_rate_init : float, default 0.001
    power_t : float, default 0.5
    max_iter : int, default 200
        Iterations: epochs of the stochastic solvers, L-BFGS iterations otherwise.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : int, RandomState or None
        Initial weights, shuffling, the early-stopping split and dropout masks.
    tol : float, default 1e-4
        Improvement of the loss (or validation score) that counts as progress.
    verbose : bool or int, default False
        Print the loss of every iteration (scikit-learn's lines, on stdout);
        from 2 up, also the command line's progress bar (on stderr, with tqdm).
    warm_start : bool, default False
        Continue from the weights of the previous ``fit``.
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (stratified), stop when its
        accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
        keep the best epoch's weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float
        Adam's decay rates and its denominator's guard.
    n_iter_no_change : int, default 10
    max_fun : int, default 15000
        L-BFGS's limit on loss evaluations.
    dropout : float, default 0.0
        mlpkit's own: the fraction of each hidden layer's units dropped in training.
    dtype : {'float32', 'float64'} or None, default None
        mlpkit's own: the precision of the weights and of training. None keeps
        the inputs' (float32 stays float32, anything else becomes float64), as
        scikit-learn does; 'float32' trains float64 inputs in float32, faster.
    loss : {'log_loss', 'squared_error'}, default 'log_loss'
        mlpkit's own: 'squared_error' trains on half the squared error of the
        output probabilities, as the classic courses did.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (units of layer i, units of layer i + 1); the
        network's own arrays.
    intercepts_ : list of ndarray
    loss_ : float
        The loss of the last iteration.
    best_loss_ : float or None
        The lowest training loss (None with early stopping).
    loss_curve_ : list of float
        The loss of each iteration (stochastic solvers).
    validation_scores_ : list of float or None
        Validation accuracy of each iteration, with early stopping.
    best_validation_score_ : float or None
    t_ : int
        Training samples seen.
    n_iter_ : int
        Iterations of the last ``fit``.
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
        'softmax', or 'logistic' for two classes and for multilabel targets.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` had column names.
    network_ : mlpkit.Network
    """

    _is_classifier = True

    def _validate_input(self, X, y, incremental: bool, reset: bool):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in"
                        f" the previous call to fit. Previously got {self.classes_}, `y` has"
                        f" {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has"
                    f" {self.classes_}. 'y' has {classes}."
                )
        # bool, so that float32 inputs keep float32 targets
        return X, self._label_binarizer.transform(y).astype(bool)

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validation_score(self, X: np.ndarray, T: np.ndarray, weights: Any) -> float:
        outputs = self._outputs(X, check_input=False)
        if not np.isfinite(outputs).all():
            return np.nan
        labels = self._label_binarizer.inverse_transform(T.astype(int))
        return float(accuracy_score(labels, self._labels(outputs), sample_weight=weights))

    def _labels(self, outputs: np.ndarray) -> np.ndarray:
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted classes, shape (n_samples,) (or (n_samples, n_classes) for multilabel)."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            positive = outputs.ravel()
            return np.vstack([1 - positive, positive]).T
        return outputs

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One iteration over ``(X, y)``; the first call needs ``classes``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array-like of shape (n_classes,), optional
            Every label there is: required on the first call, and if given
            later, the same as then.

        Returns
        -------
        self
        """
        self._validate_params()
        if _first_partial_fit(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _first_partial_fit(estimator: Any, classes: Any) -> bool:
    """Whether this is the first ``partial_fit``; checks ``classes`` against the last call."""
    known = getattr(estimator, "classes_", None)
    if known is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is None:
        return False
    classes = unique_labels(classes)
    if known is not None:
        if not np.array_equal(known, classes):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to partial_fit,"
                f" was: {known!r}"
            )
        return False
    estimator.classes_ = classes
    return True


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor: scikit-learn's, trained by mlpkit.

    Takes the parameters of :class:`MLPClassifier`, with ``loss`` first:
    'squared_error' (half the mean squared error, as scikit-learn's; a linear
    output) or 'poisson' (half the Poisson deviance; an exponential output, for
    counts and rates). Early stopping watches the validation R².

    Attributes
    ----------
    n_outputs_ : int
        Columns of ``y`` (1 for a 1-D ``y``).
    coefs_, intercepts_, loss_, best_loss_, loss_curve_, validation_scores_, \
best_validation_score_, t_, n_iter_, n_layers_, out_activation_, n_features_in_, network_
        As for :class:`MLPClassifier`.
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 (scikit-learn's convention)
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss: str = "squared_error",
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
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            dtype=dtype,
            loss=loss,
        )

    def _validate_input(self, X, y, incremental: bool, reset: bool):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(f"loss='poisson' needs targets >= 0, got a minimum of {y.min()}")
        return X, y

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _validation_score(self, X: np.ndarray, T: np.ndarray, weights: Any) -> float:
        outputs = self._outputs(X, check_input=False)
        if not np.isfinite(outputs).all():
            return np.nan
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
