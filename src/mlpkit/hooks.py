"""What a training loop and its callbacks agree on.

``TrainableNetwork`` is what the loop and a callback see of a network,
``Callback`` the base class of callbacks, and the functions below how a loop
calls their hooks: ``mlpkit.training.fit`` and the scikit-learn face's
solvers both use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mlpkit.layers import Layer
from mlpkit.losses import Loss

__all__ = [
    "Callback",
    "TrainableNetwork",
    "asks_to_stop",
    "call_hook",
    "check_callbacks",
    "overrides",
]


class TrainableNetwork(Protocol):
    """What the training loop needs of a network (``mlpkit.Network`` has it all).

    Kept small so that this module never imports ``network.py``: the network
    imports the loop, not the other way round.
    """

    layers: list[Layer]
    loss: Loss | None
    dtype: type[np.floating]
    input_shape: tuple[int, ...]
    shapes: list[tuple[int, ...]]  # each layer's output shape, per sample

    def check_inputs(self, X: npt.ArrayLike, name: str = "X") -> np.ndarray:
        """Inputs as a float array of the network's dtype and input shape."""

    def check_targets(
        self, y: npt.ArrayLike, *, n_samples: int, name: str = "y"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Targets checked against ``n_samples``: (encoded targets, labels or None)."""

    def resolve_loss(self, loss: str | Loss | None) -> Loss:
        """The loss to train with: the argument, the network's, or the default."""

    def forward_loss(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss: Loss,
        *,
        training: bool = False,
        weights: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray]:
        """One forward pass with its loss: (loss, outputs)."""

    def loss_and_gradients(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss: Loss,
        *,
        training: bool = True,
        weights: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray]:
        """Forward and backward on one batch: (data loss, outputs); fills the layers' grads."""

    def parameters(self) -> Iterable[tuple[str, np.ndarray, np.ndarray]]:
        """(name, weights, gradient) of every trainable array, the order optimisers see."""

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of all weights and buffers, by name."""

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Restore weights and buffers from :meth:`get_weights`'s dict."""

    def evaluate(self, X: npt.ArrayLike, y: npt.ArrayLike) -> dict[str, float]:
        """Loss and accuracy (classification) on ``X`` and ``y``."""

    def labels_of(self, outputs: np.ndarray) -> np.ndarray:
        """Class labels of the network's outputs."""


class Callback:
    """Base class; override what you need. ``on_epoch_end`` returns True to stop."""

    def on_train_begin(self, network: TrainableNetwork) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        """Called after each epoch with its logs (which may be extended)."""
        return False

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> bool:
        """Called after each step with the batch's ``loss``; True stops at once.

        Only callbacks that override this are called per batch.
        """
        return False

    def on_train_end(self, network: TrainableNetwork) -> None:
        """Called once after the last epoch, also when a callback stopped training."""


def check_callbacks(callbacks: Any, name: str = "callbacks") -> list[Any]:
    """``callbacks`` as a list, each one checked to be a callback.

    A callback is an object with ``on_epoch_end(epoch, logs)`` (``on_train_begin``,
    ``on_batch_end`` and ``on_train_end`` are optional): a :class:`Callback`
    subclass, or any object with that method.

    Raises
    ------
    TypeError
        Naming ``name`` (and the index of the culprit) for anything else: a
        single callback not in a list, a number, a plain function.
    """
    if callbacks is None:
        return []
    if callable(getattr(callbacks, "on_epoch_end", None)):
        raise TypeError(
            f"{name} must be a list of callbacks, got one {type(callbacks).__name__}: "
            f"pass [{type(callbacks).__name__}(...)]"
        )
    if isinstance(callbacks, str | bytes | dict) or not isinstance(callbacks, Iterable):
        raise TypeError(
            f"{name} must be a list of callbacks, got {type(callbacks).__name__} {callbacks!r:.40}"
        )
    items = list(callbacks)
    for index, callback in enumerate(items):
        if not callable(getattr(callback, "on_epoch_end", None)):
            what = "a function" if callable(callback) else f"a {type(callback).__name__}"
            raise TypeError(
                f"{name}[{index}] is {what}, not a callback: give an object with a method "
                "on_epoch_end(epoch, logs) that returns True to stop (a mlpkit.Callback subclass)"
            )
    return items


def asks_to_stop(callback: Any, method: str, returned: Any) -> bool:
    """Whether ``callback.method`` returning ``returned`` asks training to stop.

    The contract: True stops, False or None go on. Anything else (an array, a
    number, a string) is refused rather than read by truthiness, which used to
    stop training without a word when a callback returned, say, its logs.
    """
    if returned is None or isinstance(returned, bool | np.bool_):
        return bool(returned)
    raise TypeError(
        f"{type(callback).__name__}.{method} returned {type(returned).__name__} "
        f"{returned!r:.40}; a callback returns True to stop training, False or None to go on"
    )


def call_hook(callback: Any, method: str, network: TrainableNetwork) -> None:
    """Call ``callback.method(network)`` (``on_train_begin``/``on_train_end``) if it has one."""
    hook = getattr(callback, method, None)
    if hook is not None:
        hook(network)


def overrides(callback: Any, method: str) -> bool:
    """Whether ``callback`` defines ``method`` beyond the Callback base class."""
    own = getattr(type(callback), method, None)
    return own is not None and own is not getattr(Callback, method)
