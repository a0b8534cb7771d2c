"""Progress reporting as callbacks: a live tqdm bar, or one plain line per epoch.

The library itself never prints; these callbacks do, when a caller adds them.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from mlpkit.hooks import Callback, TrainableNetwork

__all__ = ["LogLines", "ProgressBar", "make_progress"]

# An epoch with at least this many batches also gets a bar over its batches.
BATCH_BAR_THRESHOLD = 200


def _summary(logs: dict[str, float]) -> dict[str, str]:
    """The figures worth showing live, formatted short."""
    shown = {}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "test_accuracy"):
        if key in logs:
            shown[key.replace("accuracy", "acc")] = f"{logs[key]:.4f}"
    return shown


class LogLines(Callback):
    """Write ``epoch 3/40  loss 0.1234  acc 0.9650 ...`` per epoch to ``stream``."""

    def __init__(self, epochs: int, stream: IO[str] | None = None) -> None:
        self.epochs = epochs
        self.stream = stream or sys.stderr

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        figures = "  ".join(f"{k} {v}" for k, v in _summary(logs).items())
        seconds = logs.get("time", 0.0)
        print(f"epoch {epoch + 1}/{self.epochs}  {figures}  {seconds:.2f}s", file=self.stream)
        self.stream.flush()
        return False


class ProgressBar(Callback):
    """A tqdm bar over epochs with the latest loss and accuracy, and one over batches
    when an epoch is long (``BATCH_BAR_THRESHOLD`` batches or more)."""

    def __init__(self, epochs: int, batches_per_epoch: int, initial_epoch: int = 0) -> None:
        from tqdm.auto import tqdm  # imported on use: tqdm is an optional dependency

        self._tqdm = tqdm
        self.bar = tqdm(total=epochs, initial=initial_epoch, desc="epochs", unit="epoch")
        self.batches_per_epoch = batches_per_epoch
        self.batch_bar: Any = None

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> bool:
        if self.batches_per_epoch < BATCH_BAR_THRESHOLD:
            return False
        if self.batch_bar is None:
            self.batch_bar = self._tqdm(
                total=self.batches_per_epoch, desc="batches", unit="batch", leave=False
            )
        self.batch_bar.update(1)
        if batch % 20 == 0:
            self.batch_bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)
        return False

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        if self.batch_bar is not None:
            self.batch_bar.close()
            self.batch_bar = None
        self.bar.set_postfix(_summary(logs), refresh=False)
        self.bar.update(1)
        return False

    def on_train_end(self, network: TrainableNetwork) -> None:
        if self.batch_bar is not None:
            self.batch_bar.close()
        self.bar.close()


def make_progress(
    epochs: int, batches_per_epoch: int, initial_epoch: int = 0, quiet: bool = False
) -> Callback | None:
    """A bar when stderr is a terminal and tqdm is installed, log lines otherwise, or none."""
    if quiet:
        return None
    if sys.stderr.isatty():
        try:
            return ProgressBar(epochs, batches_per_epoch, initial_epoch)
        except ImportError:
            pass
    return LogLines(epochs)
