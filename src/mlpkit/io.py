"""Saving and loading networks: one ``.npz`` file, never pickle.

The file holds each parameter under its key (``"0.W"``, ``"0.b"``, ...) and
a JSON document under ``"__config__"``: the format name and version, the
mlpkit version, the task and the layers' types and arguments. A network may
carry a fitted ``preprocessor`` (its arrays stored as ``"preprocess:mean"``,
...) and ``classes`` (the class names): a saved model then takes raw inputs. Files are
written to a temporary file beside the target and renamed, so an existing
model is never left half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit import activations
from mlpkit.datasets.preprocessing import Preprocessor
from mlpkit.layers import Dense, Dropout, Layer
from mlpkit.network import Network

FORMAT_NAME = "mlpkit-model"
FORMAT_VERSION = 1
_CONFIG_KEY = "__config__"
_PREPROCESS = "preprocess:"
_LAYER_TYPES: dict[str, type[Layer]] = {
    "Dense": Dense,
    "Dropout": Dropout,
    **{cls.__name__: cls for cls in set(activations.ACTIVATIONS.values())},
}


def atomic_write(path: str | os.PathLike, write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(network: Network, path: str | os.PathLike) -> None:
    """Write ``network`` (architecture and weights) to ``path`` atomically."""
    from mlpkit import __version__

    if not isinstance(network, Network):
        raise TypeError(f"network must be a mlpkit Network, got {type(network).__name__}")
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "mlpkit_version": __version__,
        "task": network.task,
        "targets": network.targets,
        "dtype": np.dtype(network.dtype).name,
        "layers": [
            {"type": type(layer).__name__, **layer.get_config()} for layer in network.layers
        ],
        "classes": network.classes,
        "preprocess": None,
    }
    arrays = {key: param for key, param, _ in network.parameters()}
    if network.preprocessor is not None:
        config["preprocess"], extra = network.preprocessor.get_state()
        arrays.update({f"{_PREPROCESS}{k}": v for k, v in extra.items()})
    arrays[_CONFIG_KEY] = np.array(json.dumps(config))
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def _not_a_model(path: Path, why: str) -> ValueError:
    return ValueError(f"{path} is not a mlpkit model file: {why}")


def load(path: str | os.PathLike) -> Network:
    """Read a network written by :func:`save`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a mlpkit model, is truncated or corrupt, or was
        written by a newer mlpkit with a format this version cannot read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if _CONFIG_KEY not in archive.files:
                raise _not_a_model(path, "it has no mlpkit configuration")
            config = json.loads(str(archive[_CONFIG_KEY]))
            arrays = {key: archive[key] for key in archive.files if key != _CONFIG_KEY}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError) as error:
        raise _not_a_model(path, f"it is truncated or corrupt ({error})") from error
    except ValueError as error:
        if "mlpkit" in str(error):
            raise
        raise _not_a_model(path, f"it could not be read ({error})") from error
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise _not_a_model(path, "its configuration names another format")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses model format version {version}, newer than this mlpkit reads "
            f"(up to {FORMAT_VERSION}); upgrade mlpkit to load it"
        )
    return _build(config, arrays, path)


def _build(config: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Network:
    layers: list[Layer] = []
    try:
        for spec in config["layers"]:
            spec = dict(spec)
            cls = _LAYER_TYPES[spec.pop("type")]
            if cls is Dense:
                layers.append(Dense(**spec, init="zeros", dtype=config["dtype"]))
            else:
                layers.append(cls(**spec))
        network = Network(layers, task=config["task"], targets=config.get("targets", "one_hot"))
        extra = {k[len(_PREPROCESS) :]: v for k, v in arrays.items() if k.startswith(_PREPROCESS)}
        network.set_weights({k: v for k, v in arrays.items() if not k.startswith(_PREPROCESS)})
        network.classes = config.get("classes")
        if config.get("preprocess"):
            network.preprocessor = Preprocessor.from_state(config["preprocess"], extra)
    except (KeyError, TypeError, ValueError) as error:
        raise _not_a_model(path, f"its contents do not describe a network ({error})") from error
    return network
