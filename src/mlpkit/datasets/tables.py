"""Readers for users' tables: a CSV with a header row, or an NPZ with ``X`` and ``y``.

Every reader checks what it reads and raises a one-line ``ValueError`` that
names the file for anything truncated, corrupt or malformed.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from pathlib import Path

import numpy as np

from mlpkit._npz import member_headers

__all__ = ["read_features", "read_table"]


def read_table(
    path: str | Path,
    target: str | None = None,
    *,
    classes: list[str] | None = None,
    regression: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Read a user's data file: a CSV with a header row, or an NPZ with ``X`` and ``y``.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (comma-separated, first row names the columns) or ``.npz``.
    target : str
        For a CSV, the name of the label column; every other column is a
        feature and must be numeric.
    classes : list of str, optional
        The classes of a trained model: labels are numbered by their place in
        this list (numbers matched by value), and a label not in it is an
        error. By default labels are numbered from the file itself.
    regression : bool
        Targets are real numbers, kept as they are (``classes`` is then None).

    Returns
    -------
    X : ndarray of shape (n, n_features), float64
    y : ndarray of shape (n,)
        Integer classes (text labels numbered in sorted order, unless
        ``classes`` gives the order), or float64 values for regression.
    classes : list of str or None
        The class names, in label order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path}")
    if path.suffix == ".npz":
        X, raw = _read_npz(path)
    else:
        if target is None:
            raise ValueError(f"{path}: name the label column (target=COLUMN)")
        header, rows = _csv_rows(path)
        if target not in header:
            raise ValueError(f"{path} has no column {target!r}; its columns are {header}")
        column = header.index(target)
        X = _numbers(path, header, rows, [i for i in range(len(header)) if i != column])
        raw = np.array([row[column].strip() for row in rows])
    if regression:
        return X, _real_targets(raw, path), None
    if classes is not None:
        return X, _labels_among(raw, list(classes), path), list(classes)
    y, found = _encode_labels(raw, path)
    return X, y, found


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not an .npz archive (damaged, or another kind of file)")
    try:
        member_headers(path, lambda why: ValueError(f"{path} could not be read: {why}"))
        with np.load(path, allow_pickle=False) as archive:
            if not {"X", "y"} <= set(archive.files):
                raise ValueError(f"{path} must hold arrays 'X' and 'y'; it has {archive.files}")
            X, y = archive["X"], archive["y"]
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is truncated or corrupt: {error}") from error
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(
                f"{path} could not be read: it holds Python objects (pickled data), which "
                "mlpkit never loads; save X and y as numeric arrays"
            ) from None
        raise
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"{path}: X must be (n, n_features) and y (n,); got {X.shape}, {y.shape}")
    for name, array in (("X", X), ("y", y)):
        if array.dtype.kind == "c":  # a cast would drop the imaginary parts with a warning
            raise ValueError(
                f"{path}: {name} holds complex numbers (dtype {array.dtype}), which a network "
                "cannot learn from; save the real part, or both parts as separate columns"
            )
    if not np.issubdtype(X.dtype, np.number) or not np.isfinite(X).all():
        raise ValueError(f"{path}: X must hold finite numbers")
    return X.astype(np.float64), y


def _number(label: object) -> float | None:
    """``label`` as a float, or None if it is not a number."""
    try:
        return float(label)  # type: ignore[arg-type]  # anything float() refuses is None
    except (TypeError, ValueError):
        return None


def _real_targets(raw: np.ndarray, path: Path) -> np.ndarray:
    try:
        values = raw.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        raise ValueError(f"{path}: a regression model needs finite numbers in the target column")
    return values


def _labels_among(raw: np.ndarray, classes: list[str], path: Path) -> np.ndarray:
    """Each label's place in ``classes``; numbers match by value ("3" and "3.0")."""
    by_name = {name: i for i, name in enumerate(classes)}
    by_value = {_number(name): i for i, name in enumerate(classes) if _number(name) is not None}
    distinct, inverse = np.unique(raw, return_inverse=True)
    places, unknown = [], []
    for label in distinct:
        value = _number(label)
        place = by_value.get(value) if value is not None else None
        place = by_name.get(str(label)) if place is None else place
        places.append(-1 if place is None else place)
        if place is None:
            unknown.append(str(label))
    if unknown:
        raise ValueError(
            f"{path}: labels {unknown[:5]} are not among the model's classes {classes[:20]}"
        )
    return np.asarray(places, dtype=np.int64)[inverse.ravel()]


def _encode_labels(raw: np.ndarray, path: Path) -> tuple[np.ndarray, list[str]]:
    """Class indices for ``raw`` labels: numbers as they are if 0..K-1, else numbered by sort."""
    try:
        numeric = raw.astype(np.float64)
    except ValueError:
        numeric = None
    if numeric is not None:
        if np.isnan(numeric).any():
            raise ValueError(f"{path}: the label column has empty or NaN cells")
        values = np.unique(numeric)
        if not np.all(values == np.round(values)):
            fractional = values[values != np.round(values)]
            raise ValueError(
                f"{path}: the label column holds numbers with fractions ({fractional[0]:g}, "
                f"{len(values)} distinct values): a regression target, but recipes classify; "
                "label classes with integers or names"
            )
        _check_classes(len(values), path)
        if np.array_equal(values, np.arange(len(values))):
            return numeric.astype(np.int64), [str(int(v)) for v in values]
        classes, y = np.unique(numeric, return_inverse=True)
        return y.astype(np.int64), [f"{v:g}" for v in classes]
    if (raw == "").any():
        raise ValueError(f"{path}: the label column has empty cells")
    classes, y = np.unique(raw, return_inverse=True)
    _check_classes(len(classes), path)
    return y.astype(np.int64), [str(c) for c in classes]


def _check_classes(count: int, path: Path) -> None:
    if count < 2:
        raise ValueError(f"{path}: the labels hold {count} class; a classifier needs at least 2")


def read_features(
    path: str | Path, drop: str | None = None, *, header: bool = True
) -> tuple[np.ndarray, list[str]]:
    """Read a CSV of features only (a header row, then numbers), e.g. inputs to predict.

    Parameters
    ----------
    drop : str, optional
        A column to leave out (a label column the file may still have).
    header : bool
        Whether the first row names the columns. With True (the default), a
        first row of numbers alone is refused rather than taken as names (it
        would silently lose a sample), unless the numbers are the column
        indices ``0, 1, ...`` or ``1, 2, ...`` that pandas and others write.
        With False, every row is data and the columns are named ``"0"``, ``"1"``, ...

    Returns
    -------
    X : ndarray of shape (n, n_features), float64
    names : list of str
        The feature columns' names.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no input file at {path}")
    hint = (
        ", or read the file as having none (mlpkit predict --no-header; "
        "read_features(..., header=False))"
    )
    names, rows = _csv_rows(path, header, hint)
    if drop is not None and drop not in names:
        raise ValueError(f"{path} has no column {drop!r} to drop; its columns are {names}")
    keep = [i for i, name in enumerate(names) if name != drop]
    return _numbers(path, names, rows, keep), [names[i] for i in keep]


def _csv_rows(
    path: Path, header: bool = True, no_header_hint: str = ""
) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a CSV file, each row as long as the header.

    ``header=False``: every row is data, and the columns are named by index.
    ``no_header_hint`` tells a file without a header how to be read anyway.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                rows = list(reader)
            except csv.Error as error:  # a cell over csv's field limit, a NUL byte, ...
                raise ValueError(
                    f"{path} line {reader.line_num} cannot be read as CSV ({error}); "
                    "it holds no table of numbers mlpkit can use"
                ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}); save it as UTF-8"
        ) from None
    if not header:
        if not rows:
            raise ValueError(f"{path} has no rows")
        names = [str(i) for i in range(len(rows[0]))]
        for r, row in enumerate(rows[1:], start=2):
            if len(row) != len(names):
                raise ValueError(f"{path} line {r} has {len(row)} cells, line 1 has {len(names)}")
        return names, rows
    if len(rows) < 2:
        raise ValueError(f"{path} has no data rows under its header")
    names = [name.strip() for name in rows[0]]
    _check_names_not_data(path, names, no_header_hint)
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(names):
            raise ValueError(f"{path} line {r} has {len(row)} cells, the header has {len(names)}")
    return names, rows[1:]


def _check_names_not_data(path: Path, names: list[str], hint: str) -> None:
    """Refuse a first row that is a sample, not column names: it would be lost silently.

    Column names that are numbers are refused unless they count the columns
    (``0, 1, 2, ...`` or ``1, 2, 3, ...``), as a DataFrame of an array writes them.
    """
    try:
        values = [float(name) for name in names]
    except ValueError:
        return  # some name is not a number: a real header
    counting = values in (list(range(len(names))), list(range(1, len(names) + 1)))
    if not counting:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ValueError(
            f"{path}'s first row holds only numbers ({shown}): it looks like a sample, not a "
            f"header naming the columns; add a header row{hint}"
        )


def _numbers(path: Path, header: list[str], rows: list[list[str]], keep: list[int]) -> np.ndarray:
    """The cells of columns ``keep`` as floats; a clear error names the first bad cell."""
    X = np.empty((len(rows), len(keep)))
    for r, row in enumerate(rows):
        for c, i in enumerate(keep):
            where = f"{path} line {r + 2}, column {header[i]!r}"
            try:
                X[r, c] = float(row[i]) if row[i].strip() else np.nan
            except ValueError:
                raise ValueError(f"{where}: {row[i]!r} is not a number") from None
            if np.isnan(X[r, c]):
                raise ValueError(f"{where} is empty or NaN")
            if np.isinf(X[r, c]):
                raise ValueError(f"{where} is infinite")
    return X
