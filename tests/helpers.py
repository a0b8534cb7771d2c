"""Helpers shared by the tests.

Layers written for the tests (they register themselves, so saved models
rebuild them), gradient helpers, and a loader for the scripts in ``scripts/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from mlpkit.layers import Layer


class MeanCentering(Layer):
    """A small layer with a buffer, standing in for BatchNorm until it exists.

    Training: ``Y = X - mean(X)`` over the batch (gradient ``dY - mean(dY)``),
    and a moving mean ``m = momentum * m + (1 - momentum) * mean(X)`` kept as a
    buffer. Inference: ``Y = X - m``.
    """

    name = "test_mean_centering"

    def __init__(self, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum

    def build(self, input_shape, rng, dtype):
        super().build(input_shape, rng, dtype)
        self.buffers["moving_mean"] = np.zeros(input_shape, dtype)

    def forward(self, X, *, training=False):
        if not training:
            return X - self.buffers["moving_mean"]
        mean = X.mean(axis=0)
        moving = self.buffers["moving_mean"]
        moving *= self.momentum
        moving += (1 - self.momentum) * mean
        return X - mean

    def backward(self, dY, *, need_input_grad=True):
        return dY - dY.mean(axis=0)

    def get_config(self):
        return {"momentum": self.momentum}


def input_gradient(network, X, loss, T, *, training=False, h=1e-6):
    """``(dL/dX by network.backward, dL/dX by central differences)`` for a float64 network.

    ``loss`` is computed on the outputs (unfused), so backward runs through
    every layer. Stochastic layers get the same generator state at every pass.
    """

    def value(inputs):
        for layer in network.layers:
            if layer.stochastic:
                layer.rng = np.random.default_rng(0)
        return loss.forward(network.forward(inputs, training=training), T)

    value(X)
    backprop = network.backward(loss.backward())
    numeric = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        step = np.zeros_like(X)
        step[index] = h
        numeric[index] = (value(X + step) - value(X - step)) / (2 * h)
    return backprop, numeric


def load_script(relative_path: str) -> ModuleType:
    """Import a script of the project (``"scripts/notebooks.py"``) as a module."""
    path = Path(__file__).resolve().parents[1] / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_bytes_of(call):
    """Run ``call``; return its ValueError's message (or None) and the peak traced memory."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
    except ValueError as error:
        message = str(error)
    else:
        message = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return message, peak


def one_line_error(argv, capsys):
    """Run the CLI in this process; assert exit 2 with one line on stderr; return it."""
    from mlpkit import cli

    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err
