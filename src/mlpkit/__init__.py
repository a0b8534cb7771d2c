"""mlpkit: multi-layer neural networks trained by backpropagation in plain NumPy.

>>> import mlpkit as mk
>>> X, y = mk.datasets.make_xor()
>>> net = mk.mlp([2, 8, 2], hidden="tanh", output="softmax", seed=0)
"""

__version__ = "0.1.0"

from mlpkit import activations, datasets, initializers, losses, metrics, optimizers, plots
from mlpkit.activations import LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from mlpkit.gradcheck import gradcheck
from mlpkit.io import load, save
from mlpkit.layers import Dense, Dropout, Layer
from mlpkit.losses import MSE, BinaryCrossEntropy, CrossEntropy
from mlpkit.network import Network, mlp
from mlpkit.optimizers import (
    SGD,
    Adam,
    ConstantRate,
    ExponentialDecay,
    InverseTimeDecay,
    RMSprop,
    StepDecay,
)
from mlpkit.training import (
    Callback,
    EarlyStopping,
    EvaluateSets,
    History,
    TrainingDivergedError,
)

__all__ = [
    "MSE",
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "Callback",
    "ConstantRate",
    "CrossEntropy",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "EvaluateSets",
    "ExponentialDecay",
    "History",
    "InverseTimeDecay",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Network",
    "RMSprop",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "StepDecay",
    "Tanh",
    "TrainingDivergedError",
    "__version__",
    "activations",
    "datasets",
    "gradcheck",
    "initializers",
    "load",
    "losses",
    "metrics",
    "mlp",
    "optimizers",
    "plots",
    "save",
]
