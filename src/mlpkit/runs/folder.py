"""A run folder's safety: made new (never reused), one process at a time, the data it saw named."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from mlpkit.io import atomic_write
from mlpkit.recipes.build import RunData

__all__ = [
    "DATA_DIGEST",
    "check_new_run_folder",
    "clear_unless_resumable",
    "data_digest",
    "new_run_dir",
    "only_process_in",
    "os_error",
    "write_text",
]


def new_run_dir(root: str | Path, name: str) -> Path:
    """A new, empty folder ``root/<name>-<YYYYmmdd-HHMMSS>`` (with a suffix if taken), made here.

    The folder is made, not only named, so that two runs started in the same
    second cannot pick the same one: ``mkdir`` succeeds for one of them only.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{Path(name).stem}-{stamp}"
    Path(root).mkdir(parents=True, exist_ok=True)
    candidate, n = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def clear_unless_resumable(run_dir: Path, made: list[Path]) -> bool:
    """After a failed run: keep a folder with a checkpoint (True), else remove what it wrote.

    A run with a checkpoint can go on (``--resume``) once the cause is fixed;
    one without has nothing worth keeping, and a half-made folder would make the
    next run there fail as "already holds a run". The folders the run made go
    too; a folder the user gave (checked empty before) is emptied.
    """
    if (run_dir / "checkpoint.npz").is_file():
        return True
    if made:
        shutil.rmtree(made[-1], ignore_errors=True)
        return False
    for entry in run_dir.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return False


def os_error(cause: OSError, message: str) -> OSError:
    """An ``OSError`` saying ``message`` alone, with ``cause``'s errno for callers to test."""
    error = OSError(message)
    error.errno = cause.errno
    return error


_LOCK = ".lock"


def check_new_run_folder(run_dir: Path) -> None:
    """Refuse a folder that holds a run already, is a file, or holds other files."""
    if (run_dir / "config.toml").exists():
        raise ValueError(f"{run_dir} already holds a run; resume it with --resume {run_dir}")
    if run_dir.exists() and (
        not run_dir.is_dir() or any(p.name != _LOCK for p in run_dir.iterdir())
    ):
        what = "is a file" if not run_dir.is_dir() else "holds other files"
        raise ValueError(
            f"the run folder {run_dir} {what}; give a new or empty folder (nothing was written)"
        )


@contextlib.contextmanager
def only_process_in(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the run folder: a second run or resume there fails at once.

    ``flock`` on ``run_dir/.lock``, released when the process ends in any way.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(run_dir / _LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValueError(
                f"another mlpkit process is training in {run_dir}; wait for it to finish"
            ) from None
        yield


#: The file in a run folder that holds the SHA-256 of the data the run trains on.
DATA_DIGEST = "data.sha256"
"""The file of a run folder naming the data it trained on (``--resume`` checks it)."""


def data_digest(data: RunData) -> str:
    """SHA-256 of the prepared arrays (train, validation, test): what the run learns from."""
    digest = hashlib.sha256()
    for array in (data.X_train, data.y_train, data.X_valid, data.y_valid, data.X_test, data.y_test):
        if array is not None:
            digest.update(str((array.shape, array.dtype.str)).encode())
            digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()
