"""Callbacks that training runs use: early stopping, extra evaluated sets, live curves.

(The ``Callback`` base class is in ``mlpkit.hooks``, checkpoints in
``mlpkit.runs.checkpoint``, progress bars in ``mlpkit.progress``.)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from mlpkit._validation import check_int, check_positive
from mlpkit.curves import learning_curves
from mlpkit.history import History
from mlpkit.hooks import Callback, TrainableNetwork

__all__ = ["EarlyStopping", "EvaluateSets", "LivePlot"]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. "val_loss" or "val_accuracy".
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        The smallest change that counts as an improvement.
    mode : {'auto', 'min', 'max'}
        'auto' maximises accuracy and R² (keys containing "accuracy" or ending
        in "r2") and minimises others.
    restore_best : bool
        At the end of training (stopped early or out of epochs), put back the
        weights of the best epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = check_positive(min_delta, "min_delta", allow_zero=True)
        if mode == "auto":
            mode = "max" if "accuracy" in monitor or monitor.endswith("r2") else "min"
        self.sign = 1.0 if mode == "min" else -1.0
        self.restore_best = restore_best

        self._resumed = False

    def on_train_begin(self, network: TrainableNetwork) -> None:
        self.network = network
        if self._resumed:  # keep the state restore() put back
            self._resumed = False
            return
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Scalars (JSON-ready) and the best weights, for a checkpoint."""
        scalars = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
        return scalars, dict(self.best_weights or {})

    def restore(self, scalars: dict[str, Any], best_weights: dict[str, np.ndarray]) -> None:
        """Put back a :meth:`get_state` so that the next ``fit`` continues from it."""
        self.best, self.best_epoch, self.wait = (
            scalars["best"],
            scalars["best_epoch"],
            scalars["wait"],
        )
        self.best_weights = best_weights or None
        self.stopped_epoch = None
        self._resumed = True

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the epoch logs "
                f"{sorted(logs)}; pass validation=(X_val, y_val) to fit or monitor another key"
            )
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = self.network.get_weights()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, network: TrainableNetwork) -> None:
        if self.restore_best and self.best_weights is not None:
            network.set_weights(self.best_weights)


class EvaluateSets(Callback):
    """Evaluate extra sets every ``every`` epochs, logging ``<name>_loss`` and ``<name>_accuracy``.

    Classic experiments log train, valid and test figures together:
    ``EvaluateSets({"test": (X_test, y_test)}, every=5)``.
    """

    def __init__(
        self, sets: dict[str, tuple[npt.ArrayLike, npt.ArrayLike]], every: int = 1
    ) -> None:
        if not isinstance(sets, dict) or not sets:
            raise TypeError("sets must be a non-empty dict of name -> (X, y)")
        self.sets = sets
        self.every = check_int(every, "every")

    def on_train_begin(self, network: TrainableNetwork) -> None:
        self.network = network
        for name, (X, y) in self.sets.items():  # fail before training, not after an epoch
            X = network.check_inputs(X, f"X_{name}")
            network.check_targets(y, n_samples=len(X), name=f"y_{name}")

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        if (epoch + 1) % self.every == 0:
            for name, (X, y) in self.sets.items():
                for key, value in self.network.evaluate(X, y).items():
                    logs[f"{name}_{key}"] = value
        return False


class LivePlot(Callback):
    """Redraw the learning curves under the notebook cell that trains, as epochs finish.

    The figure (``mlpkit.plots.learning_curves``: loss and accuracy, train,
    validation and test) appears after the first drawn epoch and is replaced
    in place every ``every`` epochs, and after the last one. Outside a Jupyter
    kernel (a terminal, a script, a test run) it draws nothing and imports
    nothing: progress bars are the live view there. Put it after an
    ``EvaluateSets`` callback to see the test curves too.

    Parameters
    ----------
    every : int
        Epochs between redraws (drawing takes a few tenths of a second).
    display : callable, optional
        ``display(figure, display_id=True)`` returning a handle with
        ``update(figure)``, as ``IPython.display.display``; found by itself
        in a notebook.
    """

    def __init__(self, every: int = 1, display: Callable[..., Any] | None = None) -> None:
        self.every = check_int(every, "every")
        self.display = display
        self.history = History()
        self._show: Callable[..., Any] | None = None
        self._handle: Any = None
        self._drawn = -1

    def on_train_begin(self, network: TrainableNetwork) -> None:
        self.history = History()
        self._show = self.display or _notebook_display()
        self._handle, self._drawn = None, -1

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        self.history.append(epoch, logs)
        if (epoch + 1) % self.every == 0:
            self._draw()
        return False

    def on_train_end(self, network: TrainableNetwork) -> None:
        if self.history.epochs and self._drawn != len(self.history.epochs):
            self._draw()

    def _draw(self) -> None:
        if self._show is None:
            return
        figure = learning_curves(self.history)
        if self._handle is None:
            self._handle = self._show(figure, display_id=True)
        else:
            self._handle.update(figure)
        self._drawn = len(self.history.epochs)


def _notebook_display() -> Callable[..., Any] | None:
    """IPython's ``display`` inside a Jupyter kernel, else None.

    Only looked up when IPython is already loaded (a kernel always has it), so
    that a script never pays for importing it.
    """
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or "IPKernelApp" not in shell.config:  # terminal IPython: no kernel
        return None
    return display
