"""What made a run: versions, the kernel backend and the source commit (``metrics.json``)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import numpy as np

from mlpkit import kernels
from mlpkit._version import __version__


def provenance() -> dict[str, str]:
    """What made the run: the versions, the kernel backend, and the source commit if known."""
    versions = {
        "mlpkit": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "kernels": kernels.backend(),
    }
    commit = source_commit()
    if commit:
        versions["commit"] = commit
    return versions


def source_commit() -> str | None:
    """The git commit of mlpkit's source when it runs from a checkout (``+dirty`` if edited).

    A record then says which code made it, not only which version number:
    two runs of one version can differ by a change in float order.
    """
    source = Path(__file__).parent

    def git(*args: str) -> str:
        command = ["git", "-C", str(source), *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        # Tracked: else this is an installed copy inside some other repository.
        git("ls-files", "--error-unmatch", "__init__.py")
        head = git("rev-parse", "--short", "HEAD")
        edited = git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):  # no git, or not a checkout of mlpkit
        return None
    return f"{head}+dirty" if edited else head
