"""What a scikit-learn estimator of :mod:`mlpkit.sklearn` holds, and its solvers read and write.

``EstimatorState`` declares the estimators' constructor parameters and the
attributes ``fit`` sets, typed; the solvers (``_stochastic``, ``_lbfgs``)
and the network helpers (``_network``) take it, so that they need not import
the estimators that call them. ``StochasticSolver`` is the optimiser state an
estimator keeps between ``partial_fit`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mlpkit import optimizers
from mlpkit.hooks import Callback
from mlpkit.network import Network

__all__ = ["EstimatorState", "StochasticSolver"]


class StochasticSolver:
    """scikit-learn's stochastic optimiser protocol over an mlpkit optimiser.

    ``learning_rate`` is the step in force (scikit-learn's tests read it);
    ``iteration_ends`` applies the ``invscaling`` schedule after each
    iteration and ``trigger_stopping`` the ``adaptive`` one when the loss
    stalls.
    """

    def __init__(self, estimator: EstimatorState) -> None:
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


@dataclass(eq=False, repr=False, kw_only=True)
class EstimatorState:
    """The parameters both estimators take, what ``fit`` sets, and what the solvers call.

    scikit-learn's rule is that a constructor stores its parameters and nothing
    else (``clone`` and ``get_params`` read them back by its signature). A
    dataclass writes that constructor from the fields below, once for both
    estimators; each adds its own fields and names its positional ones.
    ``eq=False`` keeps identity comparison and hashing, ``repr=False``
    scikit-learn's repr.
    """

    # Each estimator gives these three its own defaults, and makes them positional.
    loss: str
    hidden_layer_sizes: int | Sequence[int]
    activation: str
    solver: str = "adam"
    alpha: float = 0.0001
    batch_size: int | str = "auto"
    learning_rate: str = "constant"
    learning_rate_init: float = 0.001
    power_t: float = 0.5
    max_iter: int = 200
    shuffle: bool = True
    random_state: int | np.random.RandomState | None = None
    tol: float = 1e-4
    verbose: bool = False
    warm_start: bool = False
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    early_stopping: bool = False
    validation_fraction: float = 0.1
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    n_iter_no_change: int = 10
    max_fun: int = 15000
    dropout: float = 0.0
    dtype: str | None = None
    early_stopping_metric: str | Callable[..., float] = "score"
    callbacks: list[Callback] | None = None

    # What ``fit`` sets: scikit-learn's fitted attributes and the solvers' state.
    # Not constructor parameters (``init=False``), and absent until the first fit,
    # as ``check_is_fitted`` expects.
    coefs_: list[np.ndarray] = field(init=False)
    intercepts_: list[np.ndarray] = field(init=False)
    n_iter_: int = field(init=False)
    t_: int = field(init=False)
    n_layers_: int = field(init=False)
    n_outputs_: int = field(init=False)
    out_activation_: str = field(init=False)
    loss_: float = field(init=False)
    best_loss_: float | None = field(init=False)
    loss_curve_: list[float] = field(init=False)
    validation_scores_: list[float] | None = field(init=False)
    validation_loss_curve_: list[float] | None = field(init=False)
    best_validation_score_: float | None = field(init=False)
    _network: Network | None = field(init=False)
    _optimizer: StochasticSolver = field(init=False)
    _random_state: np.random.RandomState = field(init=False)
    _best_weights: list[np.ndarray] = field(init=False)
    _no_improvement_count: int = field(init=False)

    _is_classifier: ClassVar[bool] = False
    # The estimators' methods the solvers call (defined by BaseMLP).
    _validate_epoch: ClassVar[Callable[..., tuple[float, float]]]
    _loss_grad_lbfgs: ClassVar[Callable[..., tuple[float, np.ndarray]]]
