"""Saving and loading networks: one ``.npz`` file, never pickle.

The file holds each parameter and buffer under its key (``"0.W"``, ``"0.b"``,
``"3.moving_mean"``, ...) and a JSON document under ``"__config__"``: the
format name and version, the mlpkit version and the network's config (input
shape, dtype, task, the layers' registry names and arguments). A network may
carry a fitted ``preprocessor`` (its arrays stored as ``"preprocess:mean"``,
...) and ``classes`` (the class names): a saved model then takes raw inputs. Files are
written to a temporary file beside the target and renamed, so an existing
model is never left half-written.

Format versions: 2 (this one) adds the input shape and buffers and names
layers by registry name; 1 (mlpkit 0.1.0: MLPs, each Dense layer with its
``n_in`` and ``n_out``) still loads.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mlpkit._npz import member_headers, parse_description
from mlpkit._validation import registry_key
from mlpkit._version import __version__
from mlpkit.builders import network_from_config
from mlpkit.datasets.preprocessing import Preprocessor
from mlpkit.layers import REGISTRY, layer_from_config
from mlpkit.network import Network

__all__ = ["atomic_write", "load", "save"]

FORMAT_NAME = "mlpkit-model"
FORMAT_VERSION = 2
_CONFIG_KEY = "__config__"
_PREPROCESS = "preprocess:"


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name in it")
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        # mkstemp makes the file private (0600); give it the mode any new file gets.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename in (None, temporary):
            # name the file the user asked for, not the temporary one that is gone
            reason = error.strerror or str(error)
            renamed = OSError(f"cannot write {path}: {reason}")
            renamed.errno = error.errno  # callers still test for ENOSPC and the like
            raise renamed from error
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Write ``network`` (architecture, params and buffers) to ``path`` atomically."""
    if not isinstance(network, Network):
        raise TypeError(f"network must be a mlpkit Network, got {type(network).__name__}")
    for index, layer in enumerate(network.layers):
        if REGISTRY.get(registry_key(layer.name)) is not type(layer):
            raise ValueError(
                f"layer {index} ({type(layer).__name__}) has no registry name of its own, so "
                "load could not rebuild it: give its class a unique `name`"
            )
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "mlpkit_version": __version__,
        **network.get_config(),
        "classes": network.classes,
        "preprocess": None,
    }
    arrays = network.get_weights()
    if network.preprocessor is not None:
        config["preprocess"], extra = network.preprocessor.get_state()
        arrays.update({f"{_PREPROCESS}{k}": v for k, v in extra.items()})
    arrays[_CONFIG_KEY] = np.array(json.dumps(config))
    # mypy reads **arrays as possibly holding savez's allow_pickle; the keys are "0.W", ...
    atomic_write(path, lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]


def _not_a_model(path: Path, why: str) -> ValueError:
    return ValueError(f"{path} is not a mlpkit model file: {why}")


def load(path: str | os.PathLike[str]) -> Network:
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
        headers = _array_headers(path)
        if _CONFIG_KEY not in headers:
            raise _not_a_model(path, "it has no mlpkit configuration")
        with np.load(path, allow_pickle=False) as archive:
            description = parse_description(str(archive[_CONFIG_KEY]), partial(_not_a_model, path))
            config = _check_config(description, path)
            if config["format_version"] == 1:
                config = _from_version_1(config)
            _check_shapes(config, headers, path)  # before any array is read
            arrays = {key: archive[key] for key in archive.files if key != _CONFIG_KEY}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError) as error:
        raise _not_a_model(path, f"it is truncated or corrupt ({error})") from error
    except (ValueError, KeyError, TypeError) as error:
        if "mlpkit" in str(error):
            raise
        raise _not_a_model(path, f"it could not be read ({error})") from error
    for key, value in arrays.items():
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            raise _not_a_model(path, f"its array {key!r} holds NaN or infinite values")
    return _build(config, arrays, path)


def _array_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's shape and dtype, from the ``.npy`` headers alone (no data is read).

    Raises ValueError naming the entry when the archive would inflate far
    beyond its size (``mlpkit._npz``), an entry is not a plain array of real
    numbers, or holds more or fewer bytes than its header declares.
    """
    headers = member_headers(path, lambda why: _not_a_model(path, why))
    for name, (_, dtype) in headers.items():
        if name != _CONFIG_KEY and dtype.kind not in "fiu":
            raise _not_a_model(path, f"its array {name!r} has dtype {dtype}, not real numbers")
    return headers


def _check_config(config: object, path: Path) -> dict[str, Any]:
    """``config`` if it is a model configuration this mlpkit reads; else a clear error."""
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise _not_a_model(path, "its configuration names another format")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _not_a_model(path, f"its format version is {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses model format version {version}, newer than this mlpkit reads "
            f"(up to {FORMAT_VERSION}); upgrade mlpkit to load it"
        )
    return config


def _check_shapes(config: dict[str, Any], headers: dict[str, Any], path: Path) -> None:
    """Compare the arrays' declared shapes with those the config's layers would build.

    Done before the network is built or any array read, so that a crafted
    file cannot make ``load`` allocate what its few bytes do not hold.
    """
    shape = tuple(config["input_shape"])
    for index, spec in enumerate(config["layers"]):
        layer = layer_from_config(dict(spec))
        expected = layer.weight_shapes(shape)
        for key, wanted in (expected or {}).items():
            found = headers.get(f"{index}.{key}")
            if found is None or found[0] != wanted:
                what = "missing" if found is None else f"of shape {found[0]}"
                raise _not_a_model(
                    path, f"array '{index}.{key}' is {what}, but layer {index} needs {wanted}"
                )
        shape = layer.output_shape(shape)


#: The layer classes format version 1 could hold (before convolutions).
_VERSION_1_LAYERS = (
    "Dense",
    "Dropout",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "Linear",
    "Softmax",
)


def _from_version_1(config: dict[str, Any]) -> dict[str, Any]:
    """A version-1 config in version 2's terms.

    Version 1 named layers by class ("Dense", "LeakyReLU") and gave each
    Dense layer ``n_in`` and ``n_out``; the first ``n_in`` is the input shape.
    """
    by_class = {cls.__name__: cls.name for cls in REGISTRY.values()}
    layers, input_shape, size = [], None, None
    if not isinstance(config.get("layers"), list) or not config["layers"]:
        raise ValueError(f"its layers are {config.get('layers')!r:.40}, not a list of layers")
    for index, spec in enumerate(config["layers"]):
        if not isinstance(spec, dict):
            raise ValueError(f"layer {index} is {type(spec).__name__}, not a table")
        spec = dict(spec)
        kind = spec.pop("type", None)
        if kind not in _VERSION_1_LAYERS:
            raise ValueError(
                f"layer {index} is of type {kind!r}, which format version 1 never held (only "
                f"{', '.join(_VERSION_1_LAYERS)}), so the file is damaged or forged"
            )
        if kind == "Dense":
            n_in, n_out = spec.pop("n_in", None), spec.pop("n_out", None)
            if not all(
                isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in (n_in, n_out)
            ):
                raise ValueError(
                    f"layer {index} (Dense) needs positive whole n_in and n_out, "
                    f"got {n_in!r} and {n_out!r}"
                )
            if size is not None and n_in != size:
                raise ValueError(f"layer {index} (Dense) takes {n_in} inputs after {size} outputs")
            input_shape, size = input_shape or [n_in], n_out
            spec["units"] = n_out
        layers.append({"type": by_class[kind], **spec})
    return {**config, "layers": layers, "input_shape": input_shape}


def _build(config: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Network:
    try:
        # The weights drawn here are overwritten from the file at once: any seed does.
        network = network_from_config(config, seed=0)
        extra = {k[len(_PREPROCESS) :]: v for k, v in arrays.items() if k.startswith(_PREPROCESS)}
        network.set_weights({k: v for k, v in arrays.items() if not k.startswith(_PREPROCESS)})
        network.classes = config.get("classes")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _not_a_model(path, f"its contents do not describe a network ({error})") from error
    _check_classes(network, path)
    if config.get("preprocess") is not None:
        try:
            network.preprocessor = Preprocessor.from_state(
                config["preprocess"], extra, n_features=network.n_inputs
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _not_a_model(path, f"its preprocessing block is unusable ({error})") from error
    return network


def _check_classes(network: Network, path: Path) -> None:
    """The saved class names: distinct, one per class the outputs stand for."""
    classes = network.classes
    if classes is None:
        return
    if not isinstance(classes, list) or not all(
        isinstance(c, str | int) and not isinstance(c, bool) for c in classes
    ):
        raise _not_a_model(path, f"its class list {classes!r:.60} is not a list of names")
    if network.task != "classification":
        raise _not_a_model(path, f"it is a regressor but names classes {classes!r:.60}")
    wanted = max(network.n_outputs, 2)  # one sigmoid output stands for two classes
    if len(classes) != wanted:
        raise _not_a_model(
            path,
            f"it names {len(classes)} class{'' if len(classes) == 1 else 'es'} "
            f"({classes!r:.60}) but its output layer stands for {wanted}",
        )
    if len(set(classes)) != len(classes):
        raise _not_a_model(path, f"its class list {classes!r:.60} repeats a name")
