"""Recipes: experiments described in TOML, built in or written by the user.

A recipe has four tables, ``[data]``, ``[model]``, ``[train]`` and
``[report]``, plus a one-line ``description``. Every key has a default
(``DEFAULTS``); a recipe states what differs. ``--set train.learning_rate=0.1``
overrides any key, and a key that does not exist is an error listing the
valid ones. Values are checked when the run builds its parts.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import tomllib
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULTS",
    "RecipeError",
    "apply_overrides",
    "builtin_names",
    "list_recipes",
    "load_recipe",
    "merge",
    "to_toml",
    "toml_value",
]

DEFAULTS: dict[str, Any] = {
    "description": "",
    "data": {
        "name": "optdigits",  # a dataset name, or "file" to read `path`
        "path": "",  # a user's .csv or .npz (with name = "file")
        "target": "",  # the label column of a CSV
        "split": "official",  # "official": the dataset's own test set; "random": re-split all
        "test_size": 0.25,  # fraction (0.25) or count (10000): split = "random", files, synthetic
        "valid_size": 0.0,  # likewise, carved from the training data unless the dataset has its own
        "merge_valid": False,  # train on train + valid (once settings were chosen on valid)
        "train_subset": 0,  # > 0: train on a stratified sample of this many (quick runs)
        "split_seed": 0,
        "preprocess": "standardize",  # standardize | rescale01 | rescale11 | zscore_rows | none
        "options": {},  # synthetic sets: n_samples, noise, ...
    },
    "model": {
        "input_shape": [],  # per sample, e.g. [8, 8, 1] for images; [] = flat rows
        "layers": [],  # [[model.layers]] tables (type = "dense", units = 16, ...); [] = hidden
        "hidden": [64],  # widths of the hidden layers (the MLP shorthand)
        "activation": "relu",
        "output": "softmax",
        "init": "glorot_uniform",
        "init_param": 0.0,  # uniform: limit; normal: std; uniform_fan_in: scale (0 = default)
        "bias_init": "zeros",
        "bias_init_param": 0.0,
        "dtype": "float32",
        "targets": "one_hot",  # one_hot: 0/1 targets; signed: -1/+1 (for tanh outputs)
        "dropout": 0.0,  # dropout rate after each hidden layer
    },
    "train": {
        "loss": "cross_entropy",
        "reduction": "mean",  # mean | mean_all | sum
        "optimizer": "sgd",  # sgd | adam | rmsprop
        "learning_rate": 0.1,
        "momentum": 0.0,
        "nesterov": False,
        "schedule": "constant",  # constant | step | exponential | inverse_time
        "decay": 0.5,  # step: factor; exponential: rate; inverse_time: decay
        "decay_every": 10,  # epochs
        "epochs": 20,
        "batch_size": 32,  # 0 = the whole training set (full-batch gradient descent)
        "l2": 0.0,
        "l2_bias": False,
        "early_stopping": 0,  # patience in epochs; 0 = off
        "monitor": "val_loss",
        "seed": 0,
        "checkpoint_every": 1,
        "evaluate_test_every": 0,  # log test loss/accuracy every k epochs (0 = only at the end)
        "augment_shift": 0,  # images: shift each training image by up to this many pixels
        "augment_rotate": 0.0,  # images: rotate by up to this many degrees (bilinear)
        "augment_scale": 0.0,  # images: scale by a factor within 1 -+ this
        "augment_flip": False,  # images: mirror half of them left to right
    },
    "report": {
        "plots": True,
        "images": 36,  # how many images in sample and mistake grids
    },
}
"""Every recipe key with its default value; a recipe states only what differs."""

_PACKAGE = importlib.resources.files("mlpkit.recipes")


class RecipeError(ValueError):
    """A recipe or an override is malformed."""


def builtin_names() -> list[str]:
    """The names of the built-in recipes, sorted."""
    return sorted(p.name[:-5] for p in _PACKAGE.iterdir() if p.name.endswith(".toml"))


def list_recipes() -> list[tuple[str, str]]:
    """``(name, description)`` for every built-in recipe."""
    return [(name, load_recipe(name)["description"]) for name in builtin_names()]


def load_recipe(name_or_path: str | Path) -> dict[str, Any]:
    """Read a recipe (built-in name or TOML path) and fill in the defaults.

    Raises
    ------
    RecipeError
        Unknown recipe name, unreadable TOML or unknown keys.
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file():
        if not path.is_file():
            raise RecipeError(f"no recipe file at {path}")
        try:
            text, origin = path.read_text(encoding="utf-8"), str(path)
        except UnicodeDecodeError as error:
            raise RecipeError(
                f"{path} is not a UTF-8 text file (TOML must be): byte "
                f"{error.object[error.start]:#04x} at offset {error.start}"
            ) from error
    else:
        resource = _PACKAGE / f"{name_or_path}.toml"
        if not resource.is_file():
            raise RecipeError(
                f"unknown recipe {str(name_or_path)!r}; built-in recipes are "
                f"{', '.join(builtin_names())} (or give a .toml file)"
            )
        text, origin = resource.read_text(encoding="utf-8"), f"built-in recipe {name_or_path}"
    try:
        given = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RecipeError(f"{origin} is not valid TOML: {error}") from error
    config = merge(DEFAULTS, given, origin)
    config.setdefault("name", path.stem if path.suffix == ".toml" else str(name_or_path))
    return config


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _checked_name(value: Any, origin: str) -> str:
    """A recipe ``name``: it names files under runs/, so no folders, no '..'."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or ".." in value:
        raise RecipeError(
            f"{origin}: name must be a plain name of letters, digits, '.', '-' and '_' "
            f"(it names files under runs/), got {value!r}"
        )
    return value


def merge(
    base: dict[str, Any], given: dict[str, Any], origin: str, prefix: str = ""
) -> dict[str, Any]:
    """``base`` updated with ``given``; a key ``base`` lacks is an error listing the valid ones."""
    result = copy.deepcopy(base)
    for key, value in given.items():
        dotted = f"{prefix}{key}"
        if key == "name" and not prefix:
            result["name"] = _checked_name(value, origin)
            continue
        if key not in base:
            valid = ", ".join(f"{prefix}{k}" for k in base)
            raise RecipeError(f"{origin}: unknown key {dotted!r}; valid keys are {valid}")
        if isinstance(base[key], dict) and key != "options":
            if not isinstance(value, dict):
                raise RecipeError(f"{origin}: {dotted!r} must be a table")
            result[key] = merge(base[key], value, origin, f"{dotted}.")
        else:
            result[key] = _checked_type(value, base[key], dotted, origin)
    return result


# Keys read as a fraction when a float and as a count when an integer: an
# integer given for them stays one (1 means one sample, 1.0 is refused).
_FRACTION_OR_COUNT = {"data.test_size", "data.valid_size"}


def _checked_type(value: Any, default: Any, dotted: str, origin: str) -> Any:
    """``value`` if it has the default's type (ints pass for floats)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and dotted not in _FRACTION_OR_COUNT:
            value = float(value)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise RecipeError(f"{origin}: {dotted} must be {type(default).__name__}, got {value!r}")
    return value


def apply_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``["train.learning_rate=0.1", ...]``; values are read as TOML, else as text."""
    result = copy.deepcopy(config)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise RecipeError(f"--set takes key=value, got {item!r}")
        parts = key.strip().split(".")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()  # a bare word such as adam or tanh
        nested: Any = value
        for part in reversed(parts):
            nested = {part: nested}
        if parts[:2] == ["data", "options"]:
            result["data"]["options"] = {**result["data"]["options"], **nested["data"]["options"]}
            continue
        merged = merge(DEFAULTS, nested, "--set")
        _assign(result, parts, _lookup(merged, parts))
    return result


def _lookup(config: dict[str, Any], parts: list[str]) -> Any:
    for part in parts:
        config = config[part]
    return config


def _assign(config: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        config = config[part]
    config[parts[-1]] = value


def to_toml(config: dict[str, Any]) -> str:
    """Write a recipe back as TOML (top-level scalars first, then tables)."""
    lines = [f"{k} = {toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for table, values in config.items():
        if isinstance(values, dict):
            lines.append(f"\n[{table}]")
            subtables = {k: v for k, v in values.items() if isinstance(v, dict)}
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items() if k not in subtables]
            for name, sub in subtables.items():
                lines.append(f"\n[{table}.{name}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in sub.items()]
    return "\n".join(lines) + "\n"


def toml_value(value: Any) -> str:
    """``value`` written as TOML writes it: ``true``, ``0.1``, ``"relu"``, ``[16, 16]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):  # layer tables: one per line
            return "[\n" + "".join(f"  {toml_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table: a [[model.layers]] entry
        items = (f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(str(value))  # a TOML basic string uses JSON's escapes


def _toml_key(key: str) -> str:
    """A bare TOML key where allowed, else a quoted one."""
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else json.dumps(key)
