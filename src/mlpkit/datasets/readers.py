"""Readers for the datasets' own formats: IDX (MNIST and its kin), the optdigits CSV, ex4data1.mat.

Every reader checks what it reads and raises a one-line ``ValueError`` that
names the file for anything truncated, corrupt or malformed.
"""

from __future__ import annotations

import io
import math
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["read_ex4data1", "read_idx", "read_optdigits"]

_IDX_DTYPES: dict[int, npt.DTypeLike] = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


# A gzip file that inflates more than this many times its size is refused before it
# fills memory (a "gzip bomb"); real data compresses far less (MNIST's images: 5x).
MAX_INFLATION = 100


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed if it is gzip (at most ``MAX_INFLATION`` times its size)."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:2] != b"\x1f\x8b":
        return data
    limit = MAX_INFLATION * len(data)
    parts, size = [], 0
    try:
        while data:  # a gzip file may hold several members, one after another
            member = zlib.decompressobj(wbits=31)
            parts.append(member.decompress(data, limit + 1 - size))
            size += len(parts[-1])
            if size > limit:
                raise ValueError(
                    f"{path} inflates to more than {MAX_INFLATION} times its size: "
                    f"not a data file (refused before filling memory)"
                )
            if not member.eof:
                raise ValueError(f"{path} is truncated or corrupt: its gzip stream ends early")
            data = member.unused_data
    except zlib.error as error:
        raise ValueError(f"{path} is truncated or corrupt: {error}") from error
    return b"".join(parts)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or not.

    Header: two zero bytes, a type code (0x08 for uint8), the number of
    dimensions, then each dimension as a big-endian uint32; then the data.

    Returns
    -------
    ndarray of the stored shape, e.g. (60000, 28, 28) uint8 for images.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    if ndim == 0:
        raise ValueError(f"{path} is not an IDX file: it declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: its IDX header is incomplete")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize  # exact: np.prod would overflow
    if len(data) - header != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header promises {expected} bytes of data "
            f"for shape {shape}, but it holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape)


def read_optdigits(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a UCI optdigits file: rows of 64 features (0..16) and a class (0..9).

    Returns
    -------
    X : ndarray of shape (n, 64), uint8
    y : ndarray of shape (n,), int64
    """
    path = Path(path)
    text = _read_bytes(path).decode("ascii", errors="replace")
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path} is not an optdigits file: {error}") from error
    if table.shape[1] != 65:
        raise ValueError(f"{path} has {table.shape[1]} columns; optdigits rows have 65")
    X, y = table[:, :64], table[:, 64]
    if X.min() < 0 or X.max() > 16 or y.min() < 0 or y.max() > 9:
        raise ValueError(f"{path} has values outside optdigits' ranges (0..16, classes 0..9)")
    return X.astype(np.uint8), y


def read_ex4data1(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The 5000 20x20 digits of ex4data1.mat: ``X`` (5000, 400) float32 row by row, ``y`` 0..9."""
    path = Path(path)
    try:
        from scipy.io import loadmat
    except ImportError as error:
        raise ImportError(f"reading {path} needs scipy: pip install scipy") from error
    try:
        content = loadmat(path)
        X, y = content["X"], content["y"].ravel()
    except NotImplementedError:  # scipy reads MAT versions 4 to 7.2, not 7.3 (HDF5)
        raise ValueError(
            f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; save it again "
            "from MATLAB or Octave with -v7 (save ex4data1.mat X y -v7)"
        ) from None
    except (ValueError, KeyError, OSError) as error:
        raise ValueError(f"{path} is not the 20x20 digits file ex4data1.mat: {error}") from error
    if X.ndim != 2 or X.shape[1] != 400 or len(X) != len(y):
        raise ValueError(
            f"{path} is not the 20x20 digits file ex4data1.mat: its X has shape {X.shape} and "
            f"its y {len(y)} labels, not (n, 400) and n"
        )
    # The file stores each image column by column (MATLAB order) and labels 1..10, 10 for 0.
    X = X.reshape(-1, 20, 20).transpose(0, 2, 1).reshape(-1, 400).astype(np.float32)
    return X, np.where(y == 10, 0, y).astype(np.int64)
