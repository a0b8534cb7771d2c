"""Look inside an ``.npz`` archive before reading it: models, checkpoints and data files.

An ``.npz`` is a zip of ``.npy`` members. Each member's zip entry declares
how many bytes it inflates to, and Python's ``zipfile`` never yields more than
that, so the declarations bound what reading can cost. ``member_headers``
checks them, and each member's ``.npy`` header, before any array is read: a
few stored bytes that would inflate into gigabytes (a zip bomb) are refused,
whether in one member or spread over a thousand.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["MAX_INFLATION", "member_headers", "parse_description"]

#: The archive may declare at most this many bytes per byte it holds on disk, plus
#: ``SLACK``: ``np.savez`` stores members uncompressed (1x), ``np.savez_compressed``
#: packs real weights and images 1-10x; a thousand-fold archive is not data.
MAX_INFLATION = 100
SLACK = 2**20

Refusal = Callable[[str], Exception]

_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def member_headers(path: Path, refuse: Refusal) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each member's shape and dtype, read from the ``.npy`` headers alone.

    Parameters
    ----------
    path : Path
        The archive.
    refuse : callable
        Makes the exception to raise from a reason ("its entry 'W' holds ...").

    Raises
    ------
    the exception ``refuse`` makes
        When the archive declares more than ``MAX_INFLATION`` times its size
        on disk (however its members share it out), holds two members of one
        name (readers would see only the last), a member is not a plain ``.npy``
        array, holds Python objects, or holds more or fewer bytes than its
        header says.
    """
    on_disk = os.path.getsize(path)
    headers = {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        declared = sum(info.file_size for info in members)
        if declared > MAX_INFLATION * on_disk + SLACK:
            raise refuse(
                f"its {len(members)} entries would inflate from {on_disk} bytes to {declared} "
                f"(more than {MAX_INFLATION} times; refused before reading)"
            )
        for info in members:
            name = info.filename.removesuffix(".npy")
            if name in headers:  # zipfile and np.load would read the last, hiding the first
                raise refuse(f"it holds two entries named {name!r} (an edited or spliced archive)")
            shape, dtype = _npy_header(archive, info, name, refuse)
            headers[name] = (shape, dtype)
    return headers


def _npy_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, refuse: Refusal
) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(info) as handle:
        try:
            version = np.lib.format.read_magic(handle)
            read_header = _HEADER_READERS.get(version)
            if read_header is not None:
                shape, _, dtype = read_header(handle)
        except ValueError as error:  # NumPy's word for a member that is not .npy
            raise refuse(f"its entry {name!r} is not a .npy array ({error})") from error
        if read_header is None:
            raise refuse(f"its entry {name!r} has .npy version {version}")
        offset = handle.tell()
    if dtype.hasobject:
        raise refuse(
            f"its entry {name!r} holds Python objects (pickled data), which mlpkit never loads"
        )
    if offset + math.prod(shape) * dtype.itemsize != info.file_size:
        raise refuse(f"its entry {name!r} is not the size its header says")
    return tuple(shape), dtype


def parse_description(text: str, refuse: Refusal) -> object:
    """The JSON description an archive carries (a model's config, a checkpoint's meta).

    Stricter than ``json.loads``: a repeated key is refused rather than read as
    its last value (an edited ``format_version`` would hide behind the first),
    and nesting too deep for Python's parser is refused in words, not a
    ``RecursionError``. A ``json.JSONDecodeError`` is the caller's to report.
    """

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise refuse(f"its description gives {key!r} twice")
            seen.add(key)
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=unique)
    except RecursionError:
        raise refuse("its description is nested deeper than any mlpkit writes") from None
