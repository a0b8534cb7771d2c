"""The ``mlpkit`` command line's parser: commands, options and their checks.

Its errors are one line, like every other mlpkit error (exit code 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from mlpkit.cli.errors import EXIT_USAGE

__all__ = ["DEFAULT_RECIPE", "build_parser"]

DEFAULT_RECIPE = "optdigits-mlp"
"""The recipe ``mlpkit run`` trains when it is given none."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line like every other mlpkit error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"mlpkit: error: {message} (see {self.prog} --help)\n")


def _count(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low``, or a message saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"must be an integer of at least {low}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``mlpkit`` command, one sub-parser per command.

    The documentation's command-line page is generated from it.
    """
    from mlpkit._version import __version__

    parser = _Parser(prog="mlpkit", description="Multi-layer neural networks in plain NumPy.")
    parser.add_argument("--version", action="version", version=f"mlpkit {__version__}")
    _switch(parser, "--debug", "show the traceback of an error (for bug reports)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run_parser(commands)
    commands.add_parser("recipes", help="list the built-in recipes")
    commands.add_parser("datasets", help="list the datasets and whether their files are here")
    _add_model_parsers(commands)
    _add_search_parser(commands)
    download = commands.add_parser("download", help="fetch a dataset's files into the data folder")
    download.add_argument("name")
    gradcheck = commands.add_parser("gradcheck", help="check a recipe's gradients numerically")
    gradcheck.add_argument("recipe", nargs="?", default=DEFAULT_RECIPE)
    gradcheck.add_argument("--samples", type=_count(1), default=16, help="data rows to use (16)")
    gradcheck.add_argument(
        "--entries", type=_count(1), default=40, help="entries checked per parameter array (40)"
    )
    return parser


def _repeatable(
    parser: argparse.ArgumentParser, flag: str, dest: str, metavar: str, text: str
) -> None:
    """An option that may be given several times, collected in a list."""
    parser.add_argument(flag, dest=dest, action="append", default=[], metavar=metavar, help=text)


def _switch(parser: argparse.ArgumentParser, flag: str, text: str) -> None:
    """An option without a value: present is True, absent False."""
    parser.add_argument(flag, action="store_true", help=text)


def _add_run_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    run = commands.add_parser("run", help="train a recipe and write a run folder with a report")
    run.add_argument("recipe", nargs="?", help=f"built-in name or .toml file ({DEFAULT_RECIPE})")
    _repeatable(
        run,
        "--set",
        "overrides",
        "KEY=VALUE",
        "override a recipe key, e.g. train.learning_rate=0.1",
    )
    run.add_argument("--out", type=Path, help="the run folder (default runs/<recipe>-<time>)")
    run.add_argument("--seed", type=_count(0), help="the training seed (train.seed)")
    run.add_argument("--data", type=Path, help="train on your own .csv or .npz file")
    run.add_argument("--target", help="the label column of --data (a CSV)")
    run.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue a stopped run")
    _switch(run, "--quiet", "no progress output")


def _add_model_parsers(commands: argparse._SubParsersAction[_Parser]) -> None:
    evaluate = commands.add_parser("evaluate", help="loss and accuracy of a saved model")
    evaluate.add_argument("model", type=Path)
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a dataset's test split")
    source.add_argument("--data", type=Path, help="a .csv (with --target) or .npz file")
    evaluate.add_argument("--target", help="the label column of a CSV")
    predict = commands.add_parser("predict", help="predict classes for rows of a CSV")
    predict.add_argument(
        "model", type=Path, help="a model .npz (mlpkit.save), or a run folder holding model.npz"
    )
    predict.add_argument(
        "input", type=Path, help="CSV of feature columns only, with a header row naming them"
    )
    _switch(predict, "--proba", "write class probabilities")
    predict.add_argument(
        "--drop", metavar="COLUMN", help="leave out this column (a label column the file has)"
    )
    predict.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        help="the file has no header row: every row is a sample",
    )
    export = commands.add_parser("export", help="write a saved model as an ONNX file")
    export.add_argument(
        "model", type=Path, help="a model .npz (mlpkit.save), or a run folder holding model.npz"
    )
    export.add_argument("output", type=Path, help="the .onnx file to write")
    export.add_argument("--opset", type=int, help="the ONNX operator set (default 17)")


def _add_search_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    search = commands.add_parser(
        "search", help="hyper-parameter search over a recipe, scored on validation data"
    )
    search.add_argument("recipe", nargs="?", help=f"built-in name or .toml file ({DEFAULT_RECIPE})")
    _repeatable(
        search,
        "--grid",
        "grid",
        "KEY=V1,V2,...",
        "try each value; several --grid give every combination",
    )
    search.add_argument(
        "--random",
        type=_count(0),
        default=0,
        metavar="N",
        help="N random points from the --range and --log-range keys",
    )
    _repeatable(search, "--range", "ranges", "KEY=LOW:HIGH", "uniform draws for --random")
    _repeatable(
        search, "--log-range", "log_ranges", "KEY=LOW:HIGH", "log-uniform draws for --random"
    )
    search.add_argument("--search-seed", type=_count(0), default=0, help="seeds the --random draws")
    search.add_argument("--seeds", type=_count(1), default=1, help="training seeds per point (1)")
    search.add_argument("--jobs", type=_count(1), default=1, help="worker processes (1)")
    search.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run the trials on this Dask cluster"
    )
    _switch(search, "--dask", "start a local Dask cluster of --jobs workers and use it")
    search.add_argument("--db", type=Path, help="the SQLite file (runs/<recipe>-search.sqlite)")
    _repeatable(search, "--set", "overrides", "KEY=VALUE", "override a recipe key for every trial")
    search.add_argument(
        "--valid-size",
        type=float,
        default=0.2,
        help="validation share when the recipe has none (0.2)",
    )
    search.add_argument("--show", type=Path, metavar="DB", help="print a search's table again")
    search.add_argument("--top", type=_count(1), default=20, help="rows of the table to print (20)")
    _switch(search, "--no-plots", "write no pictures")
