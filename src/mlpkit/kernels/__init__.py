"""Compiled twins of mlpkit's hot NumPy references, and the choice between them.

Every computation in mlpkit has a *reference*: NumPy code written as the
textbook writes it (Adam as Kingma and Ba's four lines). Where NumPy cannot be
fast, because each of its operations is one pass over memory, a *kernel* does
the same work in one compiled loop written with numba. The kernels are tested
equal to their references (``tests/test_kernels.py``).

Which one runs is chosen at run time by :func:`backend`:

- ``"numba"`` when numba is installed (the ``fast`` extra) and the
  environment variable ``MLPKIT_KERNELS`` is unset or ``numba``;
- ``"numpy"`` (the references) without numba, or with ``MLPKIT_KERNELS=numpy``.

``import mlpkit`` never imports numba: the first kernel used imports it and
compiles that kernel, and numba's on-disk cache serves later runs. When the
installed package's folder cannot be written (a system-wide install), the
cache goes to the user's cache folder instead (see :func:`_cache_folder`).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["BACKENDS", "backend", "describe", "keep_freed_memory", "load"]

BACKENDS = ("numba", "numpy")
"""The values ``MLPKIT_KERNELS`` may take."""

# glibc's mallopt parameters (malloc.h), and the largest mmap threshold it accepts
# on a 64-bit machine (HEAP_MAX_SIZE / 2).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 2**20
_TRIM_THRESHOLD = 2**30


def backend() -> str:
    """The backend in use: ``"numba"`` (compiled kernels) or ``"numpy"`` (references).

    Raises
    ------
    ValueError
        When ``MLPKIT_KERNELS`` names neither backend, or names ``numba``
        while numba is not installed.
    """
    wanted = os.environ.get("MLPKIT_KERNELS", "").strip().lower()
    if wanted not in ("", *BACKENDS):
        raise ValueError(f"MLPKIT_KERNELS must be 'numba' or 'numpy' (or unset), got {wanted!r}")
    installed = _numba_installed()
    if wanted == "numba" and not installed:
        raise ValueError(
            "MLPKIT_KERNELS=numba, but numba is not installed: "
            "pip install 'mlpkit[fast]', or unset MLPKIT_KERNELS"
        )
    if wanted == "numpy" or not installed:
        return "numpy"
    return "numba"


def describe() -> str:
    """The backend in use, with how to get the other: ``mlpkit run``'s first line."""
    if backend() == "numba":
        return "numba (compiled; MLPKIT_KERNELS=numpy runs the NumPy references)"
    return "numpy (the NumPy references; pip install 'mlpkit[fast]' compiles them)"


@functools.cache
def _numba_installed() -> bool:
    # Asked at every optimiser step: finding a module not yet imported
    # searches sys.path (about 50 us), so once per process.
    return importlib.util.find_spec("numba") is not None


def load(name: str) -> ModuleType:
    """The kernel module ``mlpkit.kernels.<name>``, imported (with numba) on first use."""
    loaded = sys.modules.get(f"mlpkit.kernels.{name}")
    if loaded is not None:  # the common case, at every step
        return loaded
    if "NUMBA_CACHE_DIR" not in os.environ and not os.access(Path(__file__).parent, os.W_OK):
        # numba caches next to the source; a read-only install needs another
        # folder, set before numba is first imported.
        os.environ["NUMBA_CACHE_DIR"] = str(_cache_folder())
    return importlib.import_module(f"mlpkit.kernels.{name}")


def _cache_folder() -> Path:
    """Where compiled kernels are kept when the package's own folder is read-only.

    ``$XDG_CACHE_HOME/mlpkit/numba``, by default ``~/.cache/mlpkit/numba``.
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mlpkit" / "numba"


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed blocks for the next batch instead of unmapping them.

    A training step allocates and frees the same large arrays every batch (a
    convolution's 19 MB output at batch 128). glibc serves blocks over its mmap
    threshold by ``mmap`` and returns them at ``free``, and trims its heap when
    the free top passes the trim threshold; both thresholds adapt at run time,
    so, depending on the heap's history, each batch can fault its arrays in
    again, page by page (3,680 faults per batch of 128 on the conv-heavy
    benchmark network: docs/PERFORMANCE.md). Pinning the mmap
    threshold at its largest (32 MiB) and the trim threshold at 1 GiB keeps
    those pages in the process. The cost: memory freed stays in the process
    (up to 1 GiB above its peak use) instead of going back to the system.

    ``mlpkit`` on the command line calls this for its own process. A library
    does not change its caller's allocator by itself: in Python, call it before
    training if the process is yours.

    Returns
    -------
    bool
        True when the C library accepted both settings (glibc); False
        elsewhere (macOS, Windows; musl's mallopt refuses), where nothing
        is changed.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:  # the C library the process already has loaded: no search for a file
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    pinned = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    return mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1 and pinned
