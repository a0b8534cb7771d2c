"""Layers, one file per family, each beside its backward pass.

``REGISTRY`` maps every layer name ("dense", "relu", "flatten", ...) to its
class; a layer class registers itself when it is defined (see ``base``), so
this package's imports are what put the built-in layers there.
``layer_from_config`` rebuilds a layer from a saved model's or a recipe's
table: ``{"type": "dense", "units": 128}``.
"""

from mlpkit.layers import activations
from mlpkit.layers.activations import (
    Activation,
    Exp,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from mlpkit.layers.base import REGISTRY, Layer, Shape, layer_class, layer_from_config
from mlpkit.layers.conv import Conv2D
from mlpkit.layers.dense import Dense
from mlpkit.layers.dropout import Dropout
from mlpkit.layers.normalization import BatchNorm
from mlpkit.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from mlpkit.layers.reshape import Flatten, Reshape

__all__ = [
    "REGISTRY",
    "Activation",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Exp",
    "Flatten",
    "GlobalAvgPool2D",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MaxPool2D",
    "ReLU",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activations",
    "layer_class",
    "layer_from_config",
]
