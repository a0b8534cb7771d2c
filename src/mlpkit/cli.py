"""The ``mlpkit`` command.

Only ``--version`` exists so far; ``run``, ``recipes``, ``evaluate`` and the
other commands arrive with the command-line issue. Until then the main job is
``python examples/quickstart.py``.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and return the exit code."""
    from mlpkit import __version__

    parser = argparse.ArgumentParser(
        prog="mlpkit",
        description="mlpkit: multi-layer neural networks in plain NumPy. "
        "No subcommands exist yet; use the Python API (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"mlpkit {__version__}")
    parser.parse_args(argv)
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
