"""Learning-rate schedules: the rate as a function of the epoch (0-based).

The training loop sets ``optimizer.epoch`` at the start of each epoch and the
optimiser asks its schedule for the rate; with full-batch gradient descent an
epoch is one step. ``mlpkit.optimizers`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable

from mlpkit._validation import check_int, check_positive

__all__ = [
    "SCHEDULES",
    "ConstantRate",
    "ExponentialDecay",
    "InverseTimeDecay",
    "Schedule",
    "StepDecay",
]


class Schedule:
    """Base class: ``schedule(epoch) -> learning rate``."""

    def __init__(self, initial: float) -> None:
        self.initial = check_positive(initial, "learning_rate")

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class ConstantRate(Schedule):
    """The same rate every epoch."""

    def __call__(self, epoch: int) -> float:
        return self.initial


class StepDecay(Schedule):
    """``initial * factor ** (epoch // every)``: drop by ``factor`` every ``every`` epochs."""

    def __init__(self, initial: float, factor: float = 0.5, every: int = 10) -> None:
        super().__init__(initial)
        self.factor = check_positive(factor, "factor")
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial * self.factor ** (epoch // self.every)


class ExponentialDecay(Schedule):
    """``initial * rate ** (epoch / every)``: smooth exponential decay."""

    def __init__(self, initial: float, rate: float = 0.96, every: int = 1) -> None:
        super().__init__(initial)
        self.rate = check_positive(rate, "rate")
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial * self.rate ** (epoch / self.every)


class InverseTimeDecay(Schedule):
    """``initial / (1 + decay * epoch / every)``."""

    def __init__(self, initial: float, decay: float = 0.1, every: int = 1) -> None:
        super().__init__(initial)
        self.decay = check_positive(decay, "decay", allow_zero=True)
        self.every = check_int(every, "every")

    def __call__(self, epoch: int) -> float:
        return self.initial / (1.0 + self.decay * epoch / self.every)


SCHEDULES: dict[str, Callable[[float, float, int], float | Schedule]] = {
    "constant": lambda rate, decay, every: rate,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "inverse_time": InverseTimeDecay,
}
"""The schedules a recipe names (``train.schedule``), each built from ``(rate, decay, every)``."""
