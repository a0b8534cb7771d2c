"""How the command line reports an error: one line on stderr, and the exit code.

All of the command's exit codes are defined here.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "one_line",
    "report_error",
]

EXIT_OK = 0
"""The exit code of a command that did what it was asked."""
EXIT_FAILED = 1
"""The exit code of a failed check (``gradcheck``, failed trials) or a fault in mlpkit."""
EXIT_USAGE = 2
"""The exit code of bad usage or bad input: one line on stderr says what."""
EXIT_INTERRUPTED = 130
"""The exit code after Ctrl-C (128 + SIGINT, as shells report it)."""


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


def report_error(error: Exception) -> int:
    """One line on stderr for ``error``; the exit code.

    Errors in what the user gave (arguments, files, data, the disk) exit 2.
    Anything else is a fault in mlpkit: exit 1 with the place it happened,
    to put in a bug report (``mlpkit --debug ...`` shows the traceback).
    """
    import sqlite3
    import traceback

    if isinstance(error, sqlite3.Error):
        print(f"mlpkit: error: the search database failed: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    from mlpkit._memory import NotEnoughMemoryError

    if isinstance(error, NotEnoughMemoryError):  # foreseen, with sizes: a setting to change
        print(f"mlpkit: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, MemoryError):
        print("mlpkit: error: out of memory; try a smaller batch or model", file=sys.stderr)
        return EXIT_FAILED
    if isinstance(error, (UsageError, *USER_ERRORS)):
        print(f"mlpkit: error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    place = traceback.extract_tb(error.__traceback__)[-1]
    where = f"{Path(place.filename).name}:{place.lineno}"
    print(
        f"mlpkit: internal error ({type(error).__name__} at {where}: {one_line(error)}); "
        "please report it with the command that gave it, rerun with --debug for the traceback",
        file=sys.stderr,
    )
    return EXIT_FAILED


#: Exceptions that describe bad input, not a fault in mlpkit.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FloatingPointError, ImportError, OSError)


def one_line(error: BaseException) -> str:
    """An error's message on one line (its type's name when the message is empty)."""
    return " ".join(str(error).split()) or type(error).__name__
