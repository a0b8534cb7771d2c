"""Scaling data, fitted on training data only, and one-hot labels (splits: ``splits.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mlpkit._validation import check_array, check_labels

__all__ = [
    "Preprocessor",
    "Standardizer",
    "flatten_images",
    "one_hot",
    "rescale",
    "zscore_rows",
]


class Standardizer:
    """Z-score features with the mean and standard deviation of the training data.

    A feature that is constant in the training data (an always-blank pixel)
    is only centred: its scale is set to 1 rather than dividing by zero.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
    """

    def fit(self, X: npt.ArrayLike) -> Standardizer:
        """Learn the per-feature mean and standard deviation of ``X`` (n, n_features)."""
        X = check_array(X, "X", dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        with np.errstate(over="ignore"):  # values beyond float32 are refused by transform
            std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Return ``(X - mean_) / scale_``, keeping ``X``'s float dtype (float64 otherwise)."""
        if not hasattr(self, "mean_"):
            raise RuntimeError("this Standardizer is not fitted yet: call fit(X_train) first")
        given = np.asarray(X).dtype
        dtype = given if given in (np.float32, np.float64) else np.dtype(np.float64)
        X = check_array(X, "X", n_features=len(self.mean_), dtype=dtype, owner="the Standardizer")
        return ((X - self.mean_) / self.scale_).astype(dtype, copy=False)

    def fit_transform(self, X: npt.ArrayLike) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: npt.ArrayLike) -> np.ndarray:
        """Map standardised data back to the original units."""
        Z = check_array(
            Z, "Z", n_features=len(self.mean_), dtype=np.float64, owner="the Standardizer"
        )
        return Z * self.scale_ + self.mean_


def one_hot(
    labels: npt.ArrayLike, n_classes: int | None = None, dtype: Any = np.float32
) -> np.ndarray:
    """One-hot rows for integer ``labels``.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Integer classes in ``[0, n_classes)``.
    n_classes : int, optional
        Defaults to ``max(labels) + 1``.

    Returns
    -------
    ndarray of shape (n, n_classes)
    """
    raw = np.asarray(labels)
    if n_classes is None:
        if raw.size == 0:
            raise ValueError("labels is empty: it has 0 labels")
        n_classes = int(np.max(raw)) + 1
    labels = check_labels(
        raw, n_classes, "labels", context=f"n_classes is {n_classes} (labels 0..{n_classes - 1})"
    )
    encoded = np.zeros((len(labels), n_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1
    return encoded


def rescale(
    X: npt.ArrayLike,
    data_range: tuple[float, float],
    feature_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Map values from ``data_range`` (e.g. pixels 0..255) linearly onto ``feature_range``.

    The ranges are fixed, not learnt, so train and test data map the same way.

    Returns
    -------
    ndarray of X's shape, float32 unless X is float64.
    """
    (low, high), (new_low, new_high) = data_range, feature_range
    if not high > low or not new_high > new_low:
        raise ValueError(
            f"ranges must be (low, high) with low < high, got {data_range} and {feature_range}"
        )
    X = np.asarray(X)
    dtype = np.float64 if X.dtype == np.float64 else np.float32
    scale = (new_high - new_low) / (high - low)
    values: np.ndarray = X.astype(dtype)
    return ((values - low) * dtype(scale) + dtype(new_low)).astype(dtype, copy=False)


def zscore_rows(X: npt.ArrayLike) -> np.ndarray:
    """Standardise each sample on its own: subtract its mean, divide by its std.

    A constant row (a blank image) is only centred.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    """
    X = check_array(X, "X", dtype=np.float64 if np.asarray(X).dtype == np.float64 else np.float32)
    mean = X.mean(axis=1, keepdims=True)
    std = X.std(axis=1, keepdims=True)
    return (X - mean) / np.where(std > 0, std, 1)


def flatten_images(images: npt.ArrayLike) -> np.ndarray:
    """Turn images of shape (n, height, width) into rows of shape (n, height * width)."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}")
    return images.reshape(len(images), -1)


PREPROCESSING = ("standardize", "rescale01", "rescale11", "zscore_rows", "none")


#: Standard deviations from the training mean beyond which a value is far from the data.
FAR_Z = 10


class Preprocessor:
    """One named preprocessing step, fitted on training data and saved with a model.

    Parameters
    ----------
    kind : {'standardize', 'rescale01', 'rescale11', 'zscore_rows', 'none'}
        ``standardize``: z-score each feature with training statistics;
        ``rescale01`` / ``rescale11``: map the data's value range (e.g. pixels
        0..255) onto [0, 1] / [-1, 1]; ``zscore_rows``: z-score each sample
        on its own; ``none``: leave the data as it is.
    value_range : (low, high), optional
        The range rescaling maps from; by default the training data's
        minimum and maximum.
    """

    def __init__(
        self, kind: str = "standardize", value_range: tuple[float, float] | None = None
    ) -> None:
        if kind not in PREPROCESSING:
            valid = ", ".join(repr(k) for k in PREPROCESSING)
            raise ValueError(f"unknown preprocessing {kind!r}; valid kinds are {valid}")
        self.kind = kind
        self.value_range: tuple[float, float] | None = (
            None if value_range is None else (float(value_range[0]), float(value_range[1]))
        )
        self.standardizer: Standardizer | None = None

    def fit(self, X: npt.ArrayLike) -> Preprocessor:
        """Learn what the step needs from the training data ``X`` (n, n_features)."""
        if self.kind == "standardize":
            self.standardizer = Standardizer().fit(X)
        elif self.kind.startswith("rescale") and self.value_range is None:
            X = np.asarray(X)
            self.value_range = (float(X.min()), float(X.max()))
        return self

    def transform(self, X: npt.ArrayLike) -> np.ndarray:
        """Apply the step; returns float32 rows."""
        if self.kind == "standardize":
            if self.standardizer is None:
                raise RuntimeError("this Preprocessor is not fitted yet: call fit(X_train)")
            # check_array, not asarray: a value beyond float32's range is named as such,
            # where a plain cast turned it into an infinity reported as "NaN or infinity"
            return self.standardizer.transform(check_array(X, "X", dtype=np.float32))
        if self.kind.startswith("rescale"):
            if self.value_range is None:
                raise RuntimeError("this Preprocessor is not fitted yet: call fit(X_train)")
            target = (0.0, 1.0) if self.kind == "rescale01" else (-1.0, 1.0)
            return rescale(X, self.value_range, target)
        if self.kind == "zscore_rows":
            return zscore_rows(check_array(X, "X", dtype=np.float32))
        return check_array(X, "X", dtype=np.float32)

    def far_outside(self, Z: np.ndarray) -> str | None:
        """Say how many values of transformed data ``Z`` lie far from the training data.

        Far is more than one whole range beyond the range rescaling maps from,
        or more than ``FAR_Z`` standard deviations from the training mean: a
        network says nothing reliable there (pixels of 0..65535 fed to a model
        trained on 0..255). None when all is near, or the step keeps no
        training statistics.
        """
        Z = np.asarray(Z)
        if self.kind.startswith("rescale") and self.value_range is not None:
            low, high = (0.0, 1.0) if self.kind == "rescale01" else (-1.0, 1.0)
            span = high - low
            far = (low - span > Z) | (high + span < Z)
            if far.any():
                worst = self.value_range[0] + (
                    Z[far].flat[np.argmax(np.abs(Z[far]))] - low
                ) / span * (self.value_range[1] - self.value_range[0])
                return (
                    f"{int(far.sum())} of {Z.size} values lie far outside the range "
                    f"{self.value_range[0]:g}..{self.value_range[1]:g} the model was trained on "
                    f"(one is {worst:g})"
                )
        elif self.kind == "standardize":
            far = np.abs(Z) > FAR_Z
            if far.any():
                return (
                    f"{int(far.sum())} of {Z.size} values lie more than {FAR_Z} standard "
                    f"deviations from the training mean (up to {float(np.abs(Z).max()):.3g})"
                )
        return None

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """A JSON-ready description and the fitted arrays, for saving with a model."""
        arrays = {}
        if self.standardizer is not None:
            arrays = {"mean": self.standardizer.mean_, "scale": self.standardizer.scale_}
        return {"kind": self.kind, "value_range": self.value_range}, arrays

    @classmethod
    def from_state(
        cls,
        config: dict[str, Any],
        arrays: dict[str, np.ndarray],
        n_features: int | None = None,
    ) -> Preprocessor:
        """Rebuild a fitted Preprocessor from :meth:`get_state` output.

        Everything is checked here, not when data first goes through: a saved
        range or statistics that cannot be used are refused on load, where the
        message can name the file. ``n_features``, if given, is the width the
        standardisation statistics must have.

        Raises
        ------
        ValueError
            Naming the field: an unknown kind, a rescaling range that is not two
            finite numbers ``low < high``, statistics missing, of another width,
            not finite, or with a scale that is not positive.
        """
        if not isinstance(config, dict):
            raise ValueError(f"it is {type(config).__name__}, not a table")
        step = cls(config.get("kind"))  # type: ignore[arg-type]  # the constructor names a bad kind
        if step.kind.startswith("rescale"):
            step.value_range = _saved_range(config.get("value_range"))
        if step.kind == "standardize":
            mean, scale = (_saved_statistic(arrays, key, n_features) for key in ("mean", "scale"))
            if not (scale > 0).all():
                raise ValueError("its scale must be > 0 for every feature")
            step.standardizer = Standardizer()
            step.standardizer.mean_, step.standardizer.scale_ = mean, scale
        return step

    def __repr__(self) -> str:
        return f"Preprocessor({self.kind!r})"


def _saved_range(value: Any) -> tuple[float, float]:
    """A saved ``value_range``: two finite numbers, low < high."""
    numbers = isinstance(value, list | tuple) and len(value) == 2
    numbers = numbers and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not numbers or not all(np.isfinite(value)) or not value[0] < value[1]:
        raise ValueError(f"value_range must be [low, high] with low < high, got {value!r}")
    return float(value[0]), float(value[1])


def _saved_statistic(arrays: dict[str, np.ndarray], key: str, n_features: int | None) -> np.ndarray:
    """A saved standardisation array (``mean`` or ``scale``), checked."""
    if key not in arrays:
        raise ValueError(f"its standardisation {key!r} array is missing")
    value = np.asarray(arrays[key], np.float64)
    width = value.shape[0] if value.ndim == 1 else None
    if width is None or (n_features is not None and width != n_features):
        expected = f"({n_features},)" if n_features is not None else "one dimension"
        raise ValueError(f"its standardisation {key!r} has shape {value.shape}, not {expected}")
    if not np.isfinite(value).all():
        raise ValueError(f"its standardisation {key!r} holds NaN or infinite values")
    return value
