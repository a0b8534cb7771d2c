"""Checks at the public boundary: every user-supplied value passes through here.

A leaf module: it imports nothing from mlpkit, so that every module may use it.

Each check raises a ``ValueError`` or ``TypeError`` that names the argument,
says what was expected and what was received, so that the user can fix the
call without reading mlpkit's source.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

FLOAT_DTYPES: dict[str, type[np.floating]] = {"float32": np.float32, "float64": np.float64}


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a NumPy ``Generator`` for ``seed``; never touch global state.

    Parameters
    ----------
    seed : int, Generator or None
        An integer seed, an existing generator (returned as is) or ``None``
        for fresh operating-system entropy.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")


def as_float_dtype(dtype: Any) -> type[np.floating]:
    """Return ``np.float32`` or ``np.float64`` for a dtype given by name or type."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from error
    if resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {resolved.name!r}")
    return FLOAT_DTYPES[resolved.name]


def refuse_complex(value: Any, name: str) -> None:
    """Raise if ``value`` (an array, sparse matrix, data frame or list) holds complex numbers.

    NumPy casts complex to float by dropping the imaginary part with only a
    warning, so a model would quietly learn from half of each value.
    """
    dtypes = getattr(value, "dtypes", None)  # a data frame: one dtype a column
    if dtypes is not None and not hasattr(value, "dtype"):
        kinds = [np.dtype(d) for d in dtypes if isinstance(d, np.dtype)]
    else:
        dtype = getattr(value, "dtype", None)
        if dtype is None:
            try:
                dtype = np.asarray(value).dtype
            except (ValueError, TypeError):  # ragged or odd input: the caller's checks say so
                return
        kinds = [np.dtype(dtype)] if isinstance(dtype, np.dtype) else []
    for dtype in kinds:
        if dtype.kind == "c":
            raise ValueError(
                f"{name} holds complex numbers (dtype {dtype}). Complex data not supported: "
                f"networks learn from real values; pass {name}.real, or the real and "
                "imaginary parts as separate features"
            )


def check_array(
    X: Any,
    name: str = "X",
    *,
    n_features: int | None = None,
    sample_shape: tuple[int, ...] | None = None,
    dtype: Any = np.float32,
    ndim: int = 2,
    owner: str = "the network",
) -> np.ndarray:
    """Return ``X`` as a finite, C-contiguous float array of ``ndim`` dimensions.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, *sample_shape)
        The data to check.
    name : str
        The argument's name, used in error messages.
    n_features : int, optional
        The number of columns the caller expects.
    sample_shape : tuple of int, optional
        The shape of each sample, e.g. ``(28, 28, 1)``; replaces ``n_features``
        and ``ndim``. Rows of ``prod(sample_shape)`` values are reshaped to it.
    dtype : dtype
        The float dtype to convert to.
    ndim : int
        The number of dimensions expected (2 for a data matrix).
    owner : str
        Who expects ``n_features`` or ``sample_shape``, for messages.
    """
    if isinstance(X, str | bytes):
        raise TypeError(f"{name} must be a numeric array, got a string")
    try:
        array = np.asarray(X)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be a numeric array: {error}") from error
    refuse_complex(array, name)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(
            f"{name} must hold numbers, got an array of dtype {array.dtype}; "
            "convert text columns to numbers first"
        )
    if sample_shape is not None and len(sample_shape) > 1:
        array = _with_sample_shape(array, name, tuple(sample_shape), owner)
    else:
        if sample_shape is not None:
            n_features = sample_shape[0]
        _check_table(array, name, n_features, ndim, owner)
    original = array
    with np.errstate(over="ignore"):
        array = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        index = tuple(np.argwhere(~np.isfinite(array))[0].tolist())
        value = original.reshape(array.shape)[index] if original.size == array.size else None
        if value is not None and np.isfinite(value):  # finite, but beyond the dtype's range
            raise ValueError(
                f"{name} holds {float(value):g} at index {index}, too large for "
                f"{np.dtype(dtype).name} (largest {np.finfo(dtype).max:.3g}); rescale the data"
            )
        raise ValueError(
            f"{name} contains NaN or infinity (first at index {index}); "
            "remove or impute those values"
        )
    return array


def _check_table(
    array: np.ndarray, name: str, n_features: int | None, ndim: int, owner: str
) -> None:
    """Raise unless ``array`` has ``ndim`` axes, some rows and ``n_features`` columns."""
    if array.ndim != ndim:
        hint = " (use X.reshape(-1, 1) for a single feature)" if array.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape (n_samples, n_features), "
            f"got {array.ndim}-D with shape {array.shape}{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {array.shape})")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"{name} has {array.shape[1]} features but {owner} expects {n_features}")


def _with_sample_shape(
    array: np.ndarray, name: str, sample_shape: tuple[int, ...], owner: str
) -> np.ndarray:
    """``array`` of shape (n, *sample_shape); flat rows of the right size are reshaped."""
    size = math.prod(sample_shape)
    if array.ndim == 2 and array.shape[1] == size and len(array):
        return array.reshape(len(array), *sample_shape)
    if array.ndim >= 1 and array.shape[1:] == sample_shape and len(array):
        return array
    if array.ndim >= 1 and len(array) == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {array.shape})")
    raise ValueError(
        f"{name} has shape {array.shape}, but {owner} takes samples of shape {sample_shape}: "
        f"pass an array of shape (n, {', '.join(map(str, sample_shape))}) or flat rows of "
        f"shape (n, {size})"
    )


def check_same_length(X: np.ndarray, y: np.ndarray, x_name: str = "X", y_name: str = "y") -> None:
    """Raise if ``X`` and ``y`` do not have the same number of samples."""
    if len(X) != len(y):
        raise ValueError(
            f"{x_name} and {y_name} have different lengths: "
            f"{x_name} has {len(X)} samples, {y_name} has {len(y)}"
        )


def check_labels(y: Any, n_classes: int, name: str = "y", context: str | None = None) -> np.ndarray:
    """Return integer class labels in ``[0, n_classes)`` as an int64 array.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels: integers, or floats with integral values.
    n_classes : int
        The number of classes the network can output.
    context : str, optional
        What sets ``n_classes``, said when a label is out of range; the
        network's output size by default.
    """
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels, got shape {labels.shape}")
    if labels.size == 0:
        raise ValueError(f"{name} is empty: it has 0 labels")
    refuse_complex(labels, name)
    if not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise TypeError(
            f"{name} must hold integer class labels 0..{n_classes - 1}, got dtype {labels.dtype}"
        )
    if not np.isfinite(labels).all() or not np.all(labels == np.round(labels)):
        raise ValueError(
            f"{name} must hold integer class labels 0..{n_classes - 1}; it has non-integer values"
        )
    low, high = labels.min(), labels.max()
    if low < 0 or high >= n_classes:
        context = context or (
            f"the network has {n_classes} classes (labels 0..{n_classes - 1}); "
            "relabel the data or change the output size"
        )
        raise ValueError(f"{name} has labels from {low:g} to {high:g}, but {context}")
    return labels.astype(np.int64)


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, raising unless it is positive (or zero)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not ok or not np.isfinite(value):
        expected = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {expected} number, got {value}")
    return value


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_shape(value: Any, name: str) -> tuple[int, ...]:
    """Return a shape (an int, or a sequence of positive ints) as a tuple of ints."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a tuple of ints such as (28, 28, 1), got {value!r}")
    shape = tuple(value)
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ValueError(f"{name} must be a non-empty tuple of positive ints, got {shape}")
    return tuple(int(s) for s in shape)


def check_fraction(value: Any, name: str) -> float:
    """Return ``value`` as a float in ``[0, 1)``."""
    value = check_positive(value, name, allow_zero=True)
    if value >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def registry_key(name: str) -> str:
    """A name as every registry of mlpkit looks it up: trimmed, lower case, ``-`` and
    spaces read as ``_`` (layers, activations, losses, optimisers, initialisers and,
    with ``-`` between words, datasets)."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def resolve(
    spec: Any,
    registry: Mapping[str, Callable[..., T]],
    kind: str,
    base: type[T],
) -> T:
    """Turn a name or an instance into an instance, through one registry per kind.

    Parameters
    ----------
    spec : str or instance of ``base``
        A registered name such as ``"tanh"`` or an object to use as is.
    registry : mapping of str to callable
        The names of this kind and the factories that build them.
    kind : str
        What the registry holds ("activation", "loss", ...), for messages.
    base : type
        The class that instances must derive from.
    """
    if isinstance(spec, base):
        return spec
    if isinstance(spec, str):
        key = registry_key(spec)
        if key in registry:
            return registry[key]()
        valid = ", ".join(repr(name) for name in sorted(registry))
        raise ValueError(f"unknown {kind} {spec!r}; valid names are {valid}")
    raise TypeError(
        f"{kind} must be a name (str) or a {base.__name__} instance, got {type(spec).__name__}"
    )
