"""The ``mlpkit`` command: parse, call the library, return an exit code.

Exit codes (``mlpkit.cli.errors``): 0 success, 1 a check failed (gradcheck),
2 bad usage or bad input (one line on stderr, no traceback), 130 interrupted.
Each command is a function ``command_<name>(args) -> int`` in a module of
this package: ``run`` (run and resume), ``models`` (evaluate, predict),
``tools`` (recipes, datasets, download, gradcheck) and ``search``.
"""

from __future__ import annotations

import os
import sys

from mlpkit import kernels
from mlpkit.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError, report_error
from mlpkit.cli.models import command_evaluate, command_export, command_predict
from mlpkit.cli.parser import build_parser
from mlpkit.cli.run import command_run
from mlpkit.cli.search import command_search
from mlpkit.cli.tools import command_datasets, command_download, command_gradcheck, command_recipes

__all__ = ["COMMANDS", "UsageError", "main"]

COMMANDS = {
    "run": command_run,
    "recipes": command_recipes,
    "datasets": command_datasets,
    "download": command_download,
    "gradcheck": command_gradcheck,
    "evaluate": command_evaluate,
    "predict": command_predict,
    "export": command_export,
    "search": command_search,
}
"""Each sub-command's function, by the name it has on the command line."""


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a bad argument (already reported)
        return int(exit_.code or 0)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    # Pictures are written to files: no window, whatever the machine's default backend.
    os.environ.setdefault("MPLBACKEND", "Agg")
    kernels.keep_freed_memory()  # the process is the command's: a batch reuses the last one's pages
    handler = COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("mlpkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        return report_error(error)
