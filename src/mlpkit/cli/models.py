"""``mlpkit evaluate``, ``mlpkit predict`` and ``mlpkit export``: a saved model put to use."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mlpkit.cli.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    import numpy as np

    from mlpkit.network import Network

__all__ = ["command_evaluate", "command_export", "command_predict"]


def _load_model(path: Path) -> Network:
    """The model at ``path``: a model file, or the ``model.npz`` of a run folder."""
    from mlpkit.io import load

    if path.is_dir():
        if not (path / "model.npz").is_file():
            raise UsageError(
                f"{path} is a folder without a model.npz: give a model file, or a finished "
                "run's folder"
            )
        path = path / "model.npz"
    return load(path)


def _model_inputs(
    network: Network, X: np.ndarray, source: str, model: Path, hint: str = ""
) -> np.ndarray:
    """``X`` through the preprocessing saved with the model, once its width is checked.

    ``source`` names where ``X`` came from, for the message if it does not fit;
    ``hint`` is added to it when ``X`` has one value too many (a label column).
    """
    import math

    width, expected = math.prod(X.shape[1:]), math.prod(network.input_shape)
    if width != expected:
        shape = "x".join(map(str, network.input_shape))
        raise UsageError(
            f"{source} has {width} value{'' if width == 1 else 's'} per sample, but the model "
            f"{model} takes {expected}"
            + (f" ({shape} images)" if len(network.input_shape) > 1 else "")
            + (hint if width == expected + 1 else "")
        )
    if network.preprocessor is None:
        return X
    inputs = network.preprocessor.transform(X)
    far = network.preprocessor.far_outside(inputs)
    if far:  # a warning, not an error: the user may know; but the figures would mislead
        print(
            f"mlpkit: warning: {source}: {far}; the model's answers there are extrapolation",
            file=sys.stderr,
        )
    return inputs


def command_evaluate(args: argparse.Namespace) -> int:
    """``mlpkit evaluate``: a saved model's loss and accuracy on a dataset or file."""
    from mlpkit import datasets

    network = _load_model(args.model)
    if args.dataset:
        data = datasets.load(args.dataset)
        X, y = data.X_test, data.y_test
    elif args.target is None and Path(args.data).suffix != ".npz":
        raise UsageError(f"{args.data}: name its label column with --target COLUMN")
    elif network.task == "regression":
        X, y, _ = datasets.read_table(args.data, args.target, regression=True)
    else:  # labels numbered as the model numbered its classes, not as the file sorts them
        classes = network.classes or [str(i) for i in range(max(network.n_outputs, 2))]
        X, y, _ = datasets.read_table(args.data, args.target, classes=classes)
    source = f"--dataset {args.dataset} (its test split)" if args.dataset else str(args.data)
    result = network.evaluate(_model_inputs(network, X, source, args.model), y)
    for key, value in result.items():
        print(f"{key} {value:.6f}")
    return EXIT_OK


def command_predict(args: argparse.Namespace) -> int:
    """``mlpkit predict``: a CSV of predicted classes (or probabilities) on stdout."""
    import csv

    from mlpkit.datasets import read_features

    network = _load_model(args.model)
    try:
        X, _ = read_features(args.input, args.drop, header=args.header)
    except ValueError as error:
        if "is not a number" not in str(error) or args.drop:
            raise
        # most often a label column left in: say that predict reads features only
        raise ValueError(
            f"{error}; predict reads feature columns only: leave out a label column "
            "with --drop COLUMN"
        ) from None
    hint = "; if one column is the label, leave it out with --drop COLUMN"
    inputs = _model_inputs(network, X, str(args.input), args.model, hint)
    # Everything is computed before the first line is written: an error leaves no
    # half-written output behind.
    if network.task == "regression":
        if args.proba:
            raise UsageError("--proba needs a classifier; this model is a regressor")
        values = network.predict(inputs).reshape(len(inputs), -1)
        header = (
            ["prediction"]
            if values.shape[1] == 1
            else [f"output_{i}" for i in range(values.shape[1])]
        )
        rows = [[f"{v:.9g}" for v in row] for row in values]
    elif args.proba:
        header = _class_names(network)
        rows = [[f"{p:.6g}" for p in row] for row in network.predict_proba(inputs)]
    else:
        names = _class_names(network)
        header, rows = ["prediction"], [[names[label]] for label in network.predict(inputs)]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return EXIT_OK


def _class_names(network: Network) -> list[str]:
    return network.classes or [str(i) for i in range(max(network.n_outputs, 2))]


def command_export(args: argparse.Namespace) -> int:
    """``mlpkit export``: a saved model, or a run folder's, as an ONNX file."""
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        raise UsageError("mlpkit export needs the onnx package: pip install 'mlpkit[onnx]'")
    from mlpkit.export import export_onnx

    if args.model.is_dir() and not (args.model / "model.npz").is_file():
        _load_model(args.model)  # the folder's own message
    path = export_onnx(args.model, args.output, opset=args.opset)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return EXIT_OK
