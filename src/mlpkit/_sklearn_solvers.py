"""The solvers behind :mod:`mlpkit.sklearn`, on an mlpkit ``Network``.

scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` train with a stochastic
loop (``sgd`` or ``adam``, here also ``rmsprop``) or with L-BFGS. This module
gives both the same meaning as scikit-learn (what one iteration is, when
``tol`` and ``n_iter_no_change`` stop, how ``adaptive`` and ``invscaling``
change the step, how ``alpha`` scales, what early stopping keeps) while the
forward pass, the backward pass and the updates are mlpkit's.

The estimator keeps ``coefs_`` and ``intercepts_`` as the network's own
arrays; a user who assigns new arrays to them (as scikit-learn's tests do)
gets a network rebuilt from those values on the next ``fit``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from mlpkit import losses, optimizers
from mlpkit.builders import mlp
from mlpkit.layers import Dense
from mlpkit.network import Network
from mlpkit.training import asks_to_stop, call_hook, check_callbacks

__all__ = [
    "StochasticSolver",
    "check_finite",
    "evaluate",
    "fit_lbfgs",
    "fit_stochastic",
    "loss_and_gradient",
    "network_of",
    "pack",
]

#: scikit-learn's activation names and mlpkit's.
HIDDEN = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
OUTPUT = {"identity": "linear", "logistic": "sigmoid", "softmax": "softmax", "exp": "exp"}


def network_of(estimator: Any) -> Network:
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


def data_loss(estimator: Any) -> tuple[losses.Loss, float]:
    """The loss the network trains with and the factor scikit-learn's value carries.

    scikit-learn's squared error is half the mean squared error, so that loss
    (and its gradient) is mlpkit's MSE times 0.5.
    """
    if estimator.loss == "squared_error":
        return losses.MSE(), 0.5
    if estimator.loss == "poisson":
        return losses.Poisson(), 1.0
    if estimator.out_activation_ == "softmax":
        return losses.CrossEntropy(), 1.0
    return losses.BinaryCrossEntropy(), 1.0


def loss_and_gradient(
    estimator: Any,
    X: np.ndarray,
    T: np.ndarray,
    sample_weight: np.ndarray | None,
    training: bool = True,
) -> float:
    """Fill the network's gradients for one batch; return scikit-learn's loss.

    The loss is the data loss plus ``alpha / 2 * sum(W**2) / n`` (``n`` the
    batch's samples, or their total weight); the gradients are its own.
    """
    network = network_of(estimator)
    loss, factor = data_loss(estimator)
    count = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    value, _ = network.loss_and_gradients(
        X, T, loss, scale=factor, training=training, weights=sample_weight, penalize=False
    )
    value *= factor
    if estimator.alpha:
        value += network.add_l2(estimator.alpha / (2 * count))
    return value


def evaluate(
    estimator: Any, X: np.ndarray, T: np.ndarray, sample_weight: np.ndarray | None
) -> tuple[float, np.ndarray]:
    """The loss of ``loss_and_gradient`` and the outputs, from one forward pass (no backward)."""
    network = network_of(estimator)
    loss, factor = data_loss(estimator)
    value, outputs = network._forward_loss(X, T, loss, False, sample_weight)
    value *= factor
    if estimator.alpha:
        count = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        squares = sum(float(np.vdot(W, W)) for W in estimator.coefs_)
        value += estimator.alpha / (2 * count) * squares
    return value, outputs


def pack(arrays: list[np.ndarray]) -> np.ndarray:
    """Arrays flattened into one float64 vector, in order."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _unpack(vector: np.ndarray, arrays: list[np.ndarray]) -> None:
    start = 0
    for array in arrays:
        np.copyto(array, vector[start : start + array.size].reshape(array.shape))
        start += array.size


def fit_lbfgs(estimator: Any, X: np.ndarray, T: np.ndarray, sample_weight: Any) -> None:
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
    _unpack(result.x, estimator.coefs_ + estimator.intercepts_)


def lbfgs_objective(
    estimator: Any, theta: np.ndarray, X, T, sample_weight
) -> tuple[float, np.ndarray]:
    """scikit-learn's ``_loss_grad_lbfgs``: the loss and its gradient at ``theta``."""
    network = network_of(estimator)
    _unpack(theta, estimator.coefs_ + estimator.intercepts_)
    value = loss_and_gradient(estimator, X, T, sample_weight)
    dense = dense_layers(network)
    grads = [layer.grads["W"] for layer in dense] + [layer.grads["b"] for layer in dense]
    return value, pack(grads)


class StochasticSolver:
    """scikit-learn's stochastic optimiser protocol over an mlpkit optimiser.

    ``learning_rate`` is the step in force (scikit-learn's tests read it);
    ``iteration_ends`` applies the ``invscaling`` schedule after each
    iteration and ``trigger_stopping`` the ``adaptive`` one when the loss
    stalls.
    """

    def __init__(self, estimator: Any) -> None:
        self.schedule = estimator.learning_rate
        self.learning_rate_init = float(estimator.learning_rate_init)
        self.power_t = estimator.power_t
        rate = self.learning_rate_init
        if estimator.solver == "sgd":
            nesterov = bool(estimator.nesterovs_momentum) and estimator.momentum > 0
            self.optimizer: optimizers.Optimizer = optimizers.SGD(
                rate, estimator.momentum, nesterov=nesterov
            )
        elif estimator.solver == "adam":
            self.optimizer = optimizers.Adam(
                rate, estimator.beta_1, estimator.beta_2, estimator.epsilon
            )
        else:  # "rmsprop", mlpkit's own
            self.optimizer = optimizers.RMSprop(rate, eps=estimator.epsilon)
        self.stochastic_schedules = estimator.solver == "sgd"

    @property
    def learning_rate(self) -> float:
        """The step size in force."""
        return self.optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.optimizer.schedule = optimizers.ConstantRate(value)

    def iteration_ends(self, samples_seen: int) -> None:
        """After an iteration: ``invscaling`` sets ``lr = lr_init / (t + 1) ** power_t``."""
        if self.stochastic_schedules and self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def trigger_stopping(self, message: str, verbose: bool) -> bool:
        """Whether to stop now that the loss stalled (``adaptive`` divides the step by 5)."""
        if self.stochastic_schedules and self.schedule == "adaptive":
            if self.learning_rate > 1e-6:
                self.learning_rate = self.learning_rate / 5.0
                if verbose:
                    print(f"{message} Setting learning rate to {self.learning_rate:f}")
                return False
            if verbose:
                print(f"{message} Learning rate too small. Stopping.")
            return True
        if verbose:
            print(f"{message} Stopping.")
        return True

    def step(self, estimator: Any, X: np.ndarray, T: np.ndarray, weights: Any) -> float:
        """One update from one batch; return the batch's loss."""
        value = loss_and_gradient(estimator, X, T, weights)
        self.optimizer.step(network_of(estimator).parameters())
        return value


def _validation_split(estimator: Any, X, T, sample_weight, stratify):
    """Training and validation parts, as scikit-learn splits them for early stopping."""
    arrays = [X, T] if sample_weight is None else [X, T, sample_weight]
    parts = train_test_split(
        *arrays,
        random_state=estimator._random_state,
        test_size=estimator.validation_fraction,
        stratify=stratify,
    )
    train, valid = parts[0::2], parts[1::2]
    if valid[0].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    if sample_weight is None:
        train.append(None)
        valid.append(None)
    return train, valid


def _epoch_logs(estimator: Any, early_stopping: bool) -> dict[str, float]:
    """What the callbacks and the progress bar see after an iteration."""
    logs = {"loss": estimator.loss_}
    if early_stopping:
        logs["val_loss"] = estimator.validation_loss_curve_[-1]
        logs["val_score"] = estimator.validation_scores_[-1]
        if estimator._is_classifier and estimator.early_stopping_metric == "score":
            logs["val_accuracy"] = logs["val_score"]
    return logs


def _progress_bar(estimator: Any, iterations: int, batches: int) -> Any:
    """The command line's progress bar (on stderr) when ``verbose >= 2`` and tqdm is here.

    ``verbose=True`` prints scikit-learn's "Iteration N, loss = ..." lines only.
    """
    if estimator.verbose < 2:
        return None
    try:
        from mlpkit.progress import ProgressBar

        return ProgressBar(iterations, batches)
    except ImportError:  # tqdm is optional (the plot extra)
        return None


def _batch_size(estimator: Any, n_samples: int) -> int:
    if estimator.batch_size == "auto":
        return min(200, n_samples)
    if not 1 <= estimator.batch_size <= n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
            stacklevel=4,
        )
    return int(np.clip(estimator.batch_size, 1, n_samples))


def fit_stochastic(
    estimator: Any, X: np.ndarray, T: np.ndarray, sample_weight: Any, incremental: bool
) -> None:
    """scikit-learn's stochastic loop: ``max_iter`` iterations (epochs), or one when
    ``incremental``, stopping early on ``tol`` and ``n_iter_no_change``."""
    if not incremental or not hasattr(estimator, "_optimizer"):
        estimator._optimizer = StochasticSolver(estimator)
    if estimator.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    network_of(estimator)
    generator = np.random.default_rng(estimator._random_state.randint(2**31 - 1))
    for layer in estimator._network.layers:  # dropout masks
        if layer.stochastic:
            layer.rng = generator
    early_stopping = estimator.early_stopping
    if early_stopping:
        single = estimator._is_classifier and T.shape[1] == 1
        stratify = T.astype(bool) if single else None
        (X, T, sample_weight), validation = _validation_split(
            estimator, X, T, sample_weight, stratify
        )
    n_samples = X.shape[0]
    batch = _batch_size(estimator, n_samples)
    order = np.arange(n_samples)
    solver = estimator._optimizer
    callbacks = check_callbacks(estimator.callbacks)
    for callback in callbacks:
        call_hook(callback, "on_train_begin", estimator._network)
    bar = _progress_bar(estimator, 1 if incremental else estimator.max_iter, -(-n_samples // batch))
    estimator.n_iter_ = 0
    try:
        for _ in range(estimator.max_iter):
            if estimator.shuffle:
                order = estimator._random_state.permutation(n_samples)
            accumulated = 0.0
            for start in range(0, n_samples, batch):
                rows = order[start : start + batch]
                weights = None if sample_weight is None else sample_weight[rows]
                value = solver.step(estimator, X[rows], T[rows], weights)
                accumulated += value * len(rows)
                if bar is not None:
                    bar.on_batch_end(start // batch, {"loss": value})
            estimator.n_iter_ += 1
            estimator.loss_ = accumulated / n_samples
            estimator.t_ += n_samples
            estimator.loss_curve_.append(estimator.loss_)
            if estimator.verbose:
                print(f"Iteration {estimator.n_iter_}, loss = {estimator.loss_:.8f}")
            _count_no_improvement(estimator, validation if early_stopping else None)
            logs = _epoch_logs(estimator, early_stopping)
            if bar is not None:
                bar.on_epoch_end(estimator.n_iter_ - 1, logs)
            returned = [(c, c.on_epoch_end(estimator.n_iter_ - 1, dict(logs))) for c in callbacks]
            stop = any([asks_to_stop(c, "on_epoch_end", value) for c, value in returned])
            solver.iteration_ends(estimator.t_)
            if stop:  # a callback asked to stop, after every callback saw the epoch
                break
            if estimator._no_improvement_count > estimator.n_iter_no_change:
                watched = "Validation score" if early_stopping else "Training loss"
                message = (
                    f"{watched} did not improve more than tol={estimator.tol:f}"
                    f" for {estimator.n_iter_no_change} consecutive epochs."
                )
                if solver.trigger_stopping(message, estimator.verbose):
                    break
                estimator._no_improvement_count = 0
            if incremental:
                break
            if estimator.n_iter_ == estimator.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({estimator.max_iter}) reached"
                    " and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=3)
    finally:
        if bar is not None:
            bar.on_train_end(estimator._network)
        for callback in callbacks:
            call_hook(callback, "on_train_end", estimator._network)
    if early_stopping:  # the best validated weights, into the network's own arrays
        for array, best in zip(
            estimator.coefs_ + estimator.intercepts_, estimator._best_weights, strict=True
        ):
            np.copyto(array, best)


def _count_no_improvement(estimator: Any, validation: list | None) -> None:
    """scikit-learn's ``_no_improvement_count``: iterations without a gain of ``tol``."""
    if validation is not None:
        X_valid, T_valid, weights = validation
        loss, score = estimator._validate_epoch(X_valid, T_valid, weights)
        estimator.validation_loss_curve_.append(loss)
        estimator.validation_scores_.append(score)
        if estimator.verbose:
            print(f"Validation score: {score:f}")
        if score < estimator.best_validation_score_ + estimator.tol:
            estimator._no_improvement_count += 1
        else:
            estimator._no_improvement_count = 0
        if score > estimator.best_validation_score_:
            estimator.best_validation_score_ = score
            estimator._best_weights = [a.copy() for a in estimator.coefs_ + estimator.intercepts_]
        return
    if estimator.loss_curve_[-1] > estimator.best_loss_ - estimator.tol:
        estimator._no_improvement_count += 1
    else:
        estimator._no_improvement_count = 0
    estimator.best_loss_ = min(estimator.best_loss_, estimator.loss_curve_[-1])


def check_finite(estimator: Any) -> None:
    """scikit-learn's error for weights that training made infinite or NaN."""
    if not all(np.isfinite(a).all() for a in estimator.coefs_ + estimator.intercepts_):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may"
            " contain large values and need to be preprocessed."
        )
