"""A whole model as one ONNX graph: raw rows in, labels and probabilities out.

The graph's input ``input`` takes what ``mlpkit predict`` and an estimator's
``predict`` take: float32 rows of shape ``(n, n_features)``, images as flat
rows of ``height * width * channels`` values in channels-last order, with any
batch size. The model's preprocessing and the reshape to images come first,
then the layers, then the outputs:

- a classifier: ``label`` (what ``predict`` returns) and, where the network
  ends in softmax or sigmoid, ``probabilities`` (what ``predict_proba`` returns);
  a tanh classifier gives its raw ``scores`` instead;
- a regressor: ``prediction``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlpkit.datasets.preprocessing import Preprocessor
from mlpkit.export.graph import Graph, Value
from mlpkit.export.layers import MAPPINGS
from mlpkit.layers import Layer, Sigmoid, Softmax
from mlpkit.network import Network
from mlpkit.targets import TARGET_VALUES

__all__ = ["ExportError", "Spec", "build_graph", "layer_values", "spec_of"]


class ExportError(TypeError):
    """A model or layer that cannot be written as ONNX."""


@dataclass
class Spec:
    """What the graph around the network needs to know about the model.

    Parameters
    ----------
    network : Network
        The layers exported, in order.
    preprocessor : Preprocessor or None
        Applied to the raw rows first.
    task : {'classification', 'regression'}
    threshold : float
        A single-output classifier's label is ``output > threshold``.
    classes : ndarray or None
        The labels ``label`` takes, by index (an estimator's ``classes_``);
        None: the index itself, as ``Network.predict`` returns.
    multilabel : bool
        ``label`` is a 0/1 matrix, one column per class (scikit-learn's multilabel).
    metadata : dict of str to str
        Written in the file's ``metadata_props``.
    """

    network: Network
    preprocessor: Preprocessor | None
    task: str
    threshold: float = 0.5
    classes: np.ndarray | None = None
    multilabel: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


def spec_of(model: Any) -> Spec:
    """The ``Spec`` of a ``Network`` or a fitted ``mlpkit.sklearn`` estimator."""
    from mlpkit._version import __version__

    if isinstance(model, Network):
        low, high = TARGET_VALUES[model.targets]
        names = model.classes
        meta = {"classes": json.dumps(names)} if names else {}
        return Spec(
            model,
            model.preprocessor,
            model.task,
            threshold=(low + high) / 2,
            metadata=meta | _common(model, __version__),
        )
    network = getattr(model, "network_", None)
    if not isinstance(network, Network):
        raise ExportError(
            "model must be an mlpkit Network or a fitted mlpkit.sklearn estimator, got "
            f"{type(model).__name__}" + (" (not fitted yet)" if hasattr(model, "fit") else "")
        )
    classes = getattr(model, "classes_", None)
    spec = Spec(network, None, "classification" if classes is not None else "regression")
    spec.metadata = _common(network, __version__) | {"estimator": type(model).__name__}
    if classes is not None:
        binarizer = getattr(model, "_label_binarizer", None)
        spec.multilabel = str(getattr(binarizer, "y_type_", "")).startswith("multilabel")
        spec.classes = _label_array(np.asarray(classes))
        spec.metadata["classes"] = json.dumps([_plain(c) for c in classes])
    return spec


def _common(network: Network, version: str) -> dict[str, str]:
    return {
        "mlpkit_version": version,
        "input_shape": json.dumps(list(network.input_shape)),
        "task": network.task,
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _label_array(classes: np.ndarray) -> np.ndarray:
    """The classes as a tensor ONNX holds: int64, bool, float64 or strings."""
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64)
    if classes.dtype.kind in "bf":
        return classes.astype(np.float64) if classes.dtype.kind == "f" else classes
    if classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes):
        return classes.astype(object)
    raise ExportError(
        f"class labels of dtype {classes.dtype} cannot be an ONNX tensor: use ints or strings"
    )


def _preprocess(graph: Graph, preprocessor: Preprocessor | None, name: str) -> str:
    """The preprocessing of ``datasets.Preprocessor`` on float32 rows ``name``."""
    if preprocessor is None or preprocessor.kind == "none":
        return name
    kind = preprocessor.kind
    if kind == "standardize":
        standardizer = preprocessor.standardizer
        if standardizer is None:
            raise ExportError("the model's preprocessor is not fitted")
        centred = graph.op("Sub", [name, graph.floats("mean", standardizer.mean_)], "centred")
        return graph.op("Div", [centred, graph.floats("scale", standardizer.scale_)], "scaled")
    if kind.startswith("rescale"):
        if preprocessor.value_range is None:
            raise ExportError("the model's preprocessor is not fitted")
        (low, high), (new_low, new_high) = (
            preprocessor.value_range,
            ((0.0, 1.0) if kind == "rescale01" else (-1.0, 1.0)),
        )
        shifted = graph.op("Sub", [name, graph.floats("low", low)], "shifted")
        scaled = graph.op(
            "Mul", [shifted, graph.floats("scale", (new_high - new_low) / (high - low))], "scaled"
        )
        return graph.op("Add", [scaled, graph.floats("new_low", new_low)], "rescaled")
    if kind == "zscore_rows":
        mean = graph.reduce_mean(name, [1], "row_mean")
        centred = graph.op("Sub", [name, mean], "row_centred")
        squares = graph.op("Mul", [centred, centred], "row_squares")
        std = graph.op("Sqrt", [graph.reduce_mean(squares, [1], "row_variance")], "row_std")
        positive = graph.op("Greater", [std, graph.floats("zero", 0.0)], "row_std_positive")
        divisor = graph.op("Where", [positive, std, graph.floats("one", 1.0)], "row_divisor")
        return graph.op("Div", [centred, divisor], "row_scaled")
    raise ExportError(f"preprocessing {kind!r} has no ONNX form")


def layer_values(graph: Graph, network: Network, value: Value) -> Value:
    """The network's layers applied to ``value``: its output, flat ``(n, n_outputs)``."""
    for index, layer in enumerate(network.layers):
        mapping = MAPPINGS.get(type(layer))
        if mapping is None:
            raise ExportError(_unmapped(index, layer))
        value = mapping(layer, graph, value, f"layer{index}_{layer.name or 'layer'}")
    return graph.channels_last(value, "output")


def _unmapped(index: int, layer: Layer) -> str:
    cls = type(layer)
    return (
        f"layer {index} ({cls.__module__}.{cls.__qualname__}) has no ONNX mapping: "
        f"register one with @mlpkit.export.register({cls.__qualname__})"
    )


def build_graph(spec: Spec, graph: Graph) -> tuple[list[Any], list[Any]]:
    """Add the whole model to ``graph``; returns its inputs' and outputs' ValueInfos."""
    from onnx import TensorProto, helper

    network = spec.network
    n_features = int(np.prod(network.input_shape))
    rows = _preprocess(graph, spec.preprocessor, graph.fresh_name("input"))
    value = Value(rows, (n_features,))
    if len(network.input_shape) > 1:
        shape = graph.ints("image_shape", [-1, *network.input_shape])
        value = Value(graph.op("Reshape", [rows, shape], "images"), tuple(network.input_shape))
    outputs = layer_values(graph, network, value).name
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", n_features])]
    return inputs, _outputs(spec, graph, outputs)


def _outputs(spec: Spec, graph: Graph, outputs: str) -> list[Any]:
    from onnx import TensorProto, helper

    k = spec.network.n_outputs
    if spec.task == "regression":
        shape: list[Any] = ["n"] if k == 1 else ["n", k]
        graph.op(
            "Reshape",
            [outputs, graph.ints("flat", [-1] if k == 1 else [-1, k])],
            "out",
            output="prediction",
        )
        return [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, shape)]
    last = spec.network.layers[-1]
    infos = []
    if spec.multilabel:  # one 0/1 column per class, as LabelBinarizer gives
        above = graph.op("Greater", [outputs, graph.floats("threshold", spec.threshold)], "on")
        graph.op("Cast", [above], "label", output="label", to=TensorProto.INT64)
        infos.append(helper.make_tensor_value_info("label", TensorProto.INT64, ["n", k]))
    else:
        index = _label_index(graph, outputs, k, spec.threshold)
        if spec.classes is None:
            graph.op("Identity", [index], "label", output="label")
            label_type = TensorProto.INT64
        else:
            classes = graph.constant("classes", spec.classes)
            graph.op("Gather", [classes, index], "label", output="label", axis=0)
            label_type = helper.np_dtype_to_tensor_dtype(spec.classes.dtype)
        infos.append(helper.make_tensor_value_info("label", label_type, ["n"]))
    if isinstance(last, Softmax | Sigmoid):
        if k == 1:  # two columns, [1 - p, p], as predict_proba gives
            negative = graph.op("Sub", [graph.floats("one", 1.0), outputs], "negative")
            graph.op("Concat", [negative, outputs], "both", output="probabilities", axis=1)
            columns = 2
        else:
            graph.op("Identity", [outputs], "probabilities", output="probabilities")
            columns = k
        infos.append(
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", columns])
        )
    else:
        graph.op("Identity", [outputs], "scores", output="scores")
        infos.append(helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n", k]))
    return infos


def _label_index(graph: Graph, outputs: str, k: int, threshold: float) -> str:
    """Each row's class index, int64 (n,): the argmax, or ``output > threshold``."""
    from onnx import TensorProto

    if k > 1:  # ONNX's ArgMax picks the first of equal maxima, as np.argmax does
        return graph.op("ArgMax", [outputs], "index", axis=1, keepdims=0)
    above = graph.op("Greater", [outputs, graph.floats("threshold", threshold)], "above")
    index = graph.op("Cast", [above], "index", to=TensorProto.INT64)
    return graph.op("Reshape", [index, graph.ints("rows", [-1])], "index_flat")
