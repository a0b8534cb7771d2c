"""mlpkit: multi-layer neural networks trained by backpropagation in plain NumPy.

>>> import mlpkit as mk
>>> X, y = mk.datasets.make_xor()
>>> net = mk.mlp([2, 8, 2], hidden="tanh", output="softmax", seed=0)
"""

import importlib
import importlib.util
from typing import Any

from mlpkit import initializers, losses, metrics, objective, optimizers
from mlpkit._version import __version__
from mlpkit.builders import mlp, network_from_config
from mlpkit.callbacks import EarlyStopping, EvaluateSets, LivePlot
from mlpkit.gradcheck import gradcheck
from mlpkit.history import History, TrainingDivergedError
from mlpkit.hooks import Callback
from mlpkit.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Exp,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    LeakyReLU,
    Linear,
    MaxPool2D,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Tanh,
    activations,
    layer_from_config,
)
from mlpkit.losses import MSE, BinaryCrossEntropy, CrossEntropy, HalfMSE, Poisson
from mlpkit.network import Network
from mlpkit.objective import Objective
from mlpkit.optimizers import (
    SGD,
    Adam,
    ConstantRate,
    ExponentialDecay,
    InverseTimeDecay,
    RMSprop,
    StepDecay,
)

__all__ = [
    "MSE",
    "SGD",
    "Adam",
    "AvgPool2D",
    "BatchNorm",
    "BinaryCrossEntropy",
    "Callback",
    "ConstantRate",
    "Conv2D",
    "CrossEntropy",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "EvaluateSets",
    "Exp",
    "ExponentialDecay",
    "Flatten",
    "GlobalAvgPool2D",
    "HalfMSE",
    "History",
    "InverseTimeDecay",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LivePlot",
    "MaxPool2D",
    "Network",
    "Objective",
    "Poisson",
    "RMSprop",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "StepDecay",
    "Tanh",
    "TrainingDivergedError",
    "__version__",
    "activations",
    "datasets",
    "export",
    "export_onnx",
    "gradcheck",
    "initializers",
    "layer_from_config",
    "load",
    "losses",
    "metrics",
    "mlp",
    "network_from_config",
    "objective",
    "optimizers",
    "plots",
    "save",
    "search",
]

# Imported on first use, to keep ``import mlpkit`` quick: the data module brings
# hashing, archives and downloads, ``plots`` matplotlib, ``save``/``load`` zipfile,
# ``search`` sqlite3, ``sklearn`` scikit-learn (the ``sklearn`` extra), ``export`` onnx
# (when called: the ``onnx`` extra).
_LAZY = {
    "datasets": ("mlpkit.datasets", None),
    "plots": ("mlpkit.plots", None),
    "save": ("mlpkit.io", "save"),
    "export": ("mlpkit.export", None),
    "export_onnx": ("mlpkit.export", "export_onnx"),
    "load": ("mlpkit.io", "load"),
    "search": ("mlpkit.search", None),
    "sklearn": ("mlpkit.sklearn", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mlpkit' has no attribute {name!r}")
    if name == "sklearn" and importlib.util.find_spec("sklearn") is None:
        raise ImportError(
            "mlpkit.sklearn needs scikit-learn, which is not installed: "
            "pip install 'mlpkit[sklearn]'"
        )
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
