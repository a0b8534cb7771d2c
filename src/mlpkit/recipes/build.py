"""Turning a recipe into its parts: prepared data, a network, an optimiser, a loss."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit import initializers, losses, optimizers
from mlpkit.builders import mlp, network_from_config
from mlpkit.datasets import (
    Preprocessor,
    load,
    random_affine,
    random_flips,
    random_shifts,
    read_table,
    train_test_split,
)
from mlpkit.datasets.augment import Augment, chain
from mlpkit.datasets.registry import Dataset
from mlpkit.network import Network
from mlpkit.recipes import DEFAULTS
from mlpkit.schedules import SCHEDULES

__all__ = [
    "RunData",
    "Split",
    "build_augment",
    "build_loss",
    "build_network",
    "build_optimizer",
    "prepare_data",
    "shuffle_rng",
]

Split = tuple[np.ndarray, np.ndarray]
"""One split: inputs of shape (n, ...) and labels of shape (n,)."""


@dataclass
class RunData:
    """A recipe's data, split and preprocessed (``X_*``), and raw (``raw_*``) for pictures.

    ``X_*`` have shape (n, n_features), float32; ``y_*`` (n,), int64. The
    validation arrays are None when the recipe has no validation split.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray | None
    y_valid: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    preprocessor: Preprocessor
    classes: list[str]
    image_shape: tuple[int, int] | None

    @property
    def validation(self) -> Split | None:
        """``(X_valid, y_valid)``, or None without a validation split."""
        if self.X_valid is None or self.y_valid is None:
            return None
        return self.X_valid, self.y_valid

    def splits(self) -> dict[str, Split]:
        """``{"train": (X, y), "valid": ..., "test": ...}`` for the splits that exist."""
        found = {"train": (self.X_train, self.y_train)}
        if self.validation is not None:
            found["valid"] = self.validation
        found["test"] = (self.X_test, self.y_test)
        return found


def _raw_splits(
    data: dict[str, Any],
) -> tuple[Split, Split | None, Split, list[str], tuple[int, int] | None]:
    """Load the recipe's data; return raw (train, valid or None, test), classes, image shape."""
    name, seed = data["name"], data["split_seed"]
    if name == "file":
        if not data["path"]:
            raise ValueError("data.name = 'file' needs data.path (a .csv or .npz file)")
        if not data["target"] and Path(data["path"]).suffix != ".npz":
            raise ValueError(
                f"data.path {data['path']} is a table: name its label column with data.target"
            )
        X, y, classes = read_table(data["path"], data["target"] or None)
        assert classes is not None  # a classification table names its classes
        X_train, X_test, y_train, y_test = _split(X, y, data["test_size"], "data.test_size", seed)
        return (X_train, y_train), None, (X_test, y_test), classes, None
    dataset = _load_named(data)
    valid: Split | None = None
    if dataset.X_valid is not None and dataset.y_valid is not None:
        valid = (dataset.X_valid, dataset.y_valid)
    train, test = (dataset.X_train, dataset.y_train), (dataset.X_test, dataset.y_test)
    if data["split"] == "random":
        parts = [train, test] + ([valid] if valid is not None else [])
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        X_train, X_test, y_train, y_test = _split(X, y, data["test_size"], "data.test_size", seed)
        train, valid, test = (X_train, y_train), None, (X_test, y_test)
    elif data["split"] != "official":
        raise ValueError(f"data.split must be 'official' or 'random', got {data['split']!r}")
    return train, valid, test, dataset.classes, dataset.image_shape


def _synthetic_options(data: dict[str, Any]) -> dict[str, Any]:
    from mlpkit.datasets import get_info

    if get_info(data["name"]).source != "generated":
        if data["options"]:
            raise ValueError(f"data.options only apply to synthetic sets, not {data['name']!r}")
        return {}
    return {"test_size": data["test_size"], "seed": data["split_seed"], **data["options"]}


def _load_named(data: dict[str, Any]) -> Dataset:
    """``datasets.load`` for the recipe's ``data`` table, its errors named by recipe key."""
    options = _synthetic_options(data)
    try:
        return load(data["name"], **options)
    except (TypeError, ValueError) as error:
        # The generators name their own arguments (n_samples, noise); say where they came from.
        message = str(error)
        for key in options:
            if message.startswith(key):
                where = _RECIPE_KEYS.get(key, f"data.options.{key}")
                raise ValueError(f"{where}: {message}") from error
        raise


_RECIPE_KEYS = {"test_size": "data.test_size", "seed": "data.split_seed"}


def prepare_data(config: dict[str, Any]) -> RunData:
    """Load, split and preprocess the recipe's data (preprocessing fitted on train only)."""
    data = config["data"]
    train, valid, test, classes, image_shape = _raw_splits(data)
    if valid is None and data["valid_size"] > 0:
        X_train, X_valid, y_train, y_valid = _split(
            *train, data["valid_size"], "data.valid_size", data["split_seed"]
        )
        train, valid = (X_train, y_train), (X_valid, y_valid)
    if data["merge_valid"]:
        train, valid = _merged(train, valid), None
    train = _subset(train, data["train_subset"], data["split_seed"])
    value_range = None if data["name"] == "file" else _value_range(data)
    preprocessor = Preprocessor(data["preprocess"], value_range).fit(train[0])
    return RunData(
        X_train=preprocessor.transform(train[0]),
        y_train=train[1],
        X_valid=None if valid is None else preprocessor.transform(valid[0]),
        y_valid=None if valid is None else valid[1],
        X_test=preprocessor.transform(test[0]),
        y_test=test[1],
        raw_train=np.asarray(train[0]),
        raw_test=np.asarray(test[0]),
        preprocessor=preprocessor,
        classes=classes,
        image_shape=image_shape,
    )


def _subset(train: Split, size: int, seed: int) -> Split:
    """A stratified sample of ``size`` training rows (``data.train_subset``), or all of them."""
    if size < 0:
        raise ValueError(f"data.train_subset must be 0 (all) or a number of rows, got {size}")
    if size == 0 or size >= len(train[1]):
        return train
    n_classes = len(np.unique(train[1]))
    if size < n_classes:
        raise ValueError(
            f"data.train_subset must be 0 (all) or at least the number of classes "
            f"({n_classes}: one sample of each), got {size}"
        )
    _, X, _, y = _split(*train, size, "data.train_subset", seed)
    return X, y


def _split(
    X: np.ndarray, y: np.ndarray, size: float | int, key: str, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``train_test_split`` with its size's errors named by the recipe key it came from."""
    try:
        return train_test_split(X, y, size, seed=seed)
    except (TypeError, ValueError) as error:
        message = str(error).replace("test_size", key.rpartition(".")[2], 1)
        raise ValueError(f"{key}: {message}") from error


def _merged(train: Split, valid: Split | None) -> Split:
    """The training split with the validation split appended (``data.merge_valid``).

    The usual last step once the settings were chosen on the validation split:
    the final model learns from every labelled example the test set leaves.
    """
    if valid is None:
        raise ValueError(
            "data.merge_valid = true needs a validation split: the dataset has none "
            "and data.valid_size is 0"
        )
    return np.concatenate([train[0], valid[0]]), np.concatenate([train[1], valid[1]])


def _value_range(data: dict[str, Any]) -> tuple[float, float] | None:
    from mlpkit.datasets import registry

    ranges = {"optdigits": (0, 16), "digits20": (0, 1)}
    if data["name"] in ranges:
        return ranges[data["name"]]
    if registry.get_info(data["name"]).source == "files":
        return (0, 255)
    return None


def _initializer(name: str, param: float) -> initializers.Initializer:
    """An initialiser by name, with its one parameter if the recipe gives one."""
    with_param = {
        "uniform": initializers.Uniform,
        "normal": initializers.Normal,
        "uniform_fan_in": initializers.UniformFanIn,
    }
    if param and name in with_param:
        return with_param[name](param)
    if param:
        raise ValueError(f"init_param applies to {sorted(with_param)}, not to {name!r}")
    return initializers.get(name)


#: The ``model`` keys that describe an MLP in short; with ``model.layers`` they do not apply.
SHORTHAND_KEYS = ("hidden", "activation", "output", "dropout")


def build_network(config: dict[str, Any], n_features: int, n_classes: int) -> Network:
    """The recipe's network, with weights drawn from ``train.seed``.

    ``[[model.layers]]`` lists every layer, output included; without it,
    ``model.hidden`` and friends describe an MLP. ``model.init`` (with
    ``init_param``) and ``model.bias_init`` are the dense layers' defaults.
    """
    model = config["model"]
    seed = np.random.default_rng(np.random.SeedSequence(config["train"]["seed"]).spawn(2)[0])
    init = _initializer(model["init"], model["init_param"])
    bias_init = _initializer(model["bias_init"], model["bias_init_param"])
    if model["layers"]:
        return _from_layer_tables(model, n_features, n_classes, seed, init, bias_init)
    if model["input_shape"] not in ([], [n_features]):
        raise ValueError(
            f"model.input_shape {model['input_shape']} needs [[model.layers]] (the model.hidden "
            "shorthand builds an MLP on flat rows)"
        )
    if not all(isinstance(w, int) and w > 0 for w in model["hidden"]):
        raise ValueError(f"model.hidden must list positive widths, got {model['hidden']}")
    return mlp(
        [n_features, *model["hidden"], n_classes],
        hidden=model["activation"],
        output=model["output"],
        init=init,
        bias_init=bias_init,
        seed=seed,
        dtype=model["dtype"],
        task="classification",
        targets=model["targets"],
        dropout=model["dropout"],
    )


def _from_layer_tables(
    model: dict[str, Any],
    n_features: int,
    n_classes: int,
    seed: np.random.Generator,
    init: initializers.Initializer,
    bias_init: initializers.Initializer,
) -> Network:
    """The network of ``[[model.layers]]``, checked against the data's shape and classes."""
    shorthand = [key for key in SHORTHAND_KEYS if model[key] != DEFAULTS["model"][key]]
    if shorthand:
        raise ValueError(
            f"model.layers lists every layer, so model.{shorthand[0]} does not apply; "
            "remove it or describe that layer in model.layers"
        )
    input_shape = model["input_shape"] or [n_features]
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_shape):
        raise ValueError(
            f"model.input_shape must list positive whole sizes (height, width, channels), "
            f"got {input_shape}"
        )
    if np.prod(input_shape) != n_features:
        raise ValueError(
            f"model.input_shape {input_shape} does not fit the data's {n_features} features "
            "per sample"
        )
    spec = {
        "input_shape": input_shape,
        "layers": model["layers"],
        "dtype": model["dtype"],
        "task": "classification",
        "targets": model["targets"],
    }
    try:
        network = network_from_config(
            spec, seed=seed, defaults={"dense": {"init": init, "bias_init": bias_init}}
        )
    except (TypeError, ValueError) as error:
        where = "model." if str(error).startswith("layers[") else "model.layers: "
        raise ValueError(f"{where}{error}") from error
    if network.n_outputs != n_classes and not (network.n_outputs == 1 and n_classes == 2):
        raise ValueError(
            f"model.layers end with {network.n_outputs} outputs, but the data has {n_classes} "
            f"classes: give the last dense layer units = {n_classes}"
        )
    return network


def build_optimizer(config: dict[str, Any]) -> optimizers.Optimizer:
    """The recipe's optimiser and learning-rate schedule."""
    train = config["train"]
    if train["schedule"] not in SCHEDULES:
        raise ValueError(
            f"unknown train.schedule {train['schedule']!r}; valid schedules are "
            f"{', '.join(repr(k) for k in SCHEDULES)}"
        )
    make = SCHEDULES[train["schedule"]]
    schedule = make(train["learning_rate"], train["decay"], train["decay_every"])
    name = train["optimizer"]
    if name == "sgd":
        return optimizers.SGD(schedule, momentum=train["momentum"], nesterov=train["nesterov"])
    if name in ("adam", "rmsprop"):
        return {"adam": optimizers.Adam, "rmsprop": optimizers.RMSprop}[name](schedule)
    raise ValueError(
        f"unknown train.optimizer {name!r}; valid optimizers are 'sgd', 'adam', 'rmsprop'"
    )


def build_loss(config: dict[str, Any]) -> losses.Loss:
    """The recipe's loss with its reduction."""
    loss = losses.get(config["train"]["loss"])
    return type(loss)(reduction=config["train"]["reduction"])


def shuffle_rng(config: dict[str, Any]) -> np.random.Generator:
    """The generator that shuffles the batches: a stream of ``train.seed`` apart from init's."""
    return np.random.default_rng(np.random.SeedSequence(config["train"]["seed"]).spawn(2)[1])


def build_augment(config: dict[str, Any], data: RunData) -> Augment | None:
    """The recipe's batch augmentation, or None.

    Whole-pixel shifts alone (``augment_shift``) move pixels without blending
    them; a rotation or scaling (``augment_rotate``, ``augment_scale``) turns
    on ``random_affine``, which also shifts by fractions of a pixel. Mirroring
    (``augment_flip``) comes first.
    """
    keys = ("augment_flip", "augment_shift", "augment_rotate", "augment_scale")
    flip, shift, rotate, scale = (config["train"][key] for key in keys)
    given = [f"train.{key}" for key in keys if config["train"][key]]
    if not given:
        return None
    if data.image_shape is None:
        raise ValueError(f"{', '.join(given)} needs an image dataset")
    image_shape = (int(data.image_shape[0]), int(data.image_shape[1]))
    try:
        return _augment(image_shape, flip, shift, rotate, scale)
    except ValueError as error:  # the augmenters name their arguments; say which recipe key
        message = str(error).replace("max_shift", "train.augment_shift", 1)
        raise ValueError(message) from error


def _augment(
    image_shape: tuple[int, int], flip: bool, shift: int, rotate: float, scale: float
) -> Augment:
    steps = [random_flips(image_shape)] if flip else []
    if rotate or scale:
        steps.append(
            random_affine(
                image_shape,
                max_rotation=float(rotate),
                max_scale=float(scale),
                max_shift=float(shift),
            )
        )
    elif shift:
        steps.append(random_shifts(image_shape, shift))
    return steps[0] if len(steps) == 1 else chain(*steps)
