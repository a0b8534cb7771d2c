"""The ``mlpkit`` command: parse, call the library, return an exit code.

Exit codes: 0 success, 1 a check failed (gradcheck), 2 bad usage or bad
input (one line on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from mlpkit import kernels
from mlpkit.cli_errors import EXIT_FAILED, EXIT_USAGE, report_error
from mlpkit.cli_parser import DEFAULT_RECIPE, build_parser

__all__ = ["UsageError", "main"]

EXIT_OK, EXIT_INTERRUPTED = 0, 130


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


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
    handler = globals()[f"_command_{args.command}"]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("mlpkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        return report_error(error, UsageError)


def _recipe_config(args: argparse.Namespace) -> dict[str, Any]:
    from mlpkit.recipes import apply_overrides, load_recipe

    config = load_recipe(args.recipe or DEFAULT_RECIPE)
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"train.seed={args.seed}")
    if args.target and args.data is None:
        raise UsageError("--target goes with --data")
    config = apply_overrides(config, overrides)
    if args.data is not None:
        config["data"].update(
            name="file", path=str(args.data), target=args.target or "", split="official", options={}
        )
    return config


def _command_run(args: argparse.Namespace) -> int:
    from mlpkit import runs

    line = f"kernels: {kernels.describe()}"  # a bad MLPKIT_KERNELS fails here, before any work
    if not args.quiet:
        print(line)
    stop = runs.StopRequest()
    previous = signal.signal(signal.SIGINT, lambda *_: _on_interrupt(stop, previous))
    try:
        if args.resume is not None:
            if args.recipe or args.overrides or args.data or args.out or args.seed is not None:
                raise UsageError("--resume takes only the run folder (and --quiet)")
            result = runs.resume(args.resume, quiet=args.quiet, stop=stop)
        else:
            config = _recipe_config(args)
            if args.out:
                result = runs.run(config, args.out, quiet=args.quiet, stop=stop)
            else:
                made_root = not os.path.exists("runs")
                run_dir = runs.new_run_dir("runs", config["name"])
                try:
                    result = runs.run(config, run_dir, quiet=args.quiet, stop=stop)
                except BaseException:
                    with contextlib.suppress(OSError):  # rmdir removes only what is empty
                        run_dir.rmdir()
                        if made_root:
                            run_dir.parent.rmdir()
                    raise
    finally:
        signal.signal(signal.SIGINT, previous)
    _print_result(result, args.quiet)
    if result.status == "interrupted":
        print(f"stopped; continue with: mlpkit run --resume {result.run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _on_interrupt(stop: Any, previous: Any) -> None:
    """First Ctrl-C: stop after this batch and write everything. Second: stop now."""
    if stop.requested:
        signal.signal(signal.SIGINT, previous)
        raise KeyboardInterrupt
    stop.request()
    print("\nmlpkit: stopping after this batch (Ctrl-C again to abort)", file=sys.stderr)


#: Why the figures below the epoch lines differ from the last of them (a CNN's 96.7%
#: training accuracy per epoch, 90.4% evaluated, met a new user without a word).
FINAL_FIGURES_NOTE = (
    "the final weights, evaluated (dropout off, batch norm on its moving statistics)"
)
EPOCH_LINES_NOTE = (
    "; the epoch lines' loss and acc are means over each epoch's batches as they trained"
)


def _print_result(result: Any, quiet: bool = False) -> None:
    metrics = result.metrics
    print(FINAL_FIGURES_NOTE + ("" if quiet else EPOCH_LINES_NOTE) + ":")
    for split in ("train", "valid", "test"):
        if split in metrics:
            figures = metrics[split]
            accuracy = (
                f"  accuracy {100 * figures['accuracy']:.2f}%" if "accuracy" in figures else ""
            )
            print(f"{split:5s}  loss {figures['loss']:.4f}{accuracy}")
    print(
        f"{metrics['status']} after {metrics['epochs_run']} epochs "
        f"({metrics['train_time_s']:.1f} s training)"
    )
    print(f"report: {result.run_dir / 'report.html'}")


def _command_recipes(args: argparse.Namespace) -> int:
    from mlpkit.recipes import list_recipes

    recipes = list_recipes()
    width = max(len(name) for name, _ in recipes)
    for name, description in recipes:
        print(f"{name:{width}s}  {description}")
    return EXIT_OK


def _command_datasets(args: argparse.Namespace) -> int:
    from mlpkit.datasets import REGISTRY

    rows = [("name", "features", "classes", "present", "where")]
    for info in REGISTRY.values():
        where = {"bundled": "inside the package", "generated": "generated from a seed"}
        rows.append(
            (
                info.name,
                "x".join(map(str, info.sample_shape)),
                str(info.n_classes),
                "yes" if info.present() else "no",
                where.get(info.source, str(info.folder)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    return EXIT_OK


def _load_model(path: Path):
    """The model at ``path``: a model file, or the ``model.npz`` of a run folder."""
    from mlpkit.io import load

    if path.is_dir():
        if not (path / "model.npz").is_file():
            raise UsageError(
                f"{path} is a folder without a model.npz: give a model file, or a finished "
                "run's folder"
            )
        path = path / "model.npz"
    return load(path)


def _model_inputs(network: Any, X: Any, source: str, model: Path, hint: str = "") -> Any:
    """``X`` through the preprocessing saved with the model, once its width is checked.

    ``source`` names where ``X`` came from, for the message if it does not fit;
    ``hint`` is added to it when ``X`` has one value too many (a label column).
    """
    import math

    width, expected = math.prod(X.shape[1:]), math.prod(network.input_shape)
    if width != expected:
        shape = "x".join(map(str, network.input_shape))
        raise UsageError(
            f"{source} has {width} value{'' if width == 1 else 's'} per sample, but the model "
            f"{model} takes {expected}"
            + (f" ({shape} images)" if len(network.input_shape) > 1 else "")
            + (hint if width == expected + 1 else "")
        )
    if network.preprocessor is None:
        return X
    inputs = network.preprocessor.transform(X)
    far = network.preprocessor.far_outside(inputs)
    if far:  # a warning, not an error: the user may know; but the figures would mislead
        print(
            f"mlpkit: warning: {source}: {far}; the model's answers there are extrapolation",
            file=sys.stderr,
        )
    return inputs


def _command_evaluate(args: argparse.Namespace) -> int:
    from mlpkit import datasets

    network = _load_model(args.model)
    if args.dataset:
        data = datasets.load(args.dataset)
        X, y = data.X_test, data.y_test
    elif args.target is None and Path(args.data).suffix != ".npz":
        raise UsageError(f"{args.data}: name its label column with --target COLUMN")
    elif network.task == "regression":
        X, y, _ = datasets.read_table(args.data, args.target, regression=True)
    else:  # labels numbered as the model numbered its classes, not as the file sorts them
        classes = network.classes or [str(i) for i in range(max(network.n_outputs, 2))]
        X, y, _ = datasets.read_table(args.data, args.target, classes=classes)
    source = f"--dataset {args.dataset} (its test split)" if args.dataset else str(args.data)
    result = network.evaluate(_model_inputs(network, X, source, args.model), y)
    for key, value in result.items():
        print(f"{key} {value:.6f}")
    return EXIT_OK


def _command_predict(args: argparse.Namespace) -> int:
    import csv

    from mlpkit.datasets import read_features

    network = _load_model(args.model)
    try:
        X, _ = read_features(args.input, args.drop, header=args.header)
    except ValueError as error:
        if "is not a number" not in str(error) or args.drop:
            raise
        # most often a label column left in: say that predict reads features only
        raise ValueError(
            f"{error}; predict reads feature columns only: leave out a label column "
            "with --drop COLUMN"
        ) from None
    hint = "; if one column is the label, leave it out with --drop COLUMN"
    inputs = _model_inputs(network, X, str(args.input), args.model, hint)
    # Everything is computed before the first line is written: an error leaves no
    # half-written output behind.
    if network.task == "regression":
        if args.proba:
            raise UsageError("--proba needs a classifier; this model is a regressor")
        values = network.predict(inputs).reshape(len(inputs), -1)
        header = (
            ["prediction"]
            if values.shape[1] == 1
            else [f"output_{i}" for i in range(values.shape[1])]
        )
        rows = [[f"{v:.9g}" for v in row] for row in values]
    elif args.proba:
        header = _class_names(network)
        rows = [[f"{p:.6g}" for p in row] for row in network.predict_proba(inputs)]
    else:
        names = _class_names(network)
        header, rows = ["prediction"], [[names[label]] for label in network.predict(inputs)]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return EXIT_OK


def _class_names(network: Any) -> list[str]:
    return network.classes or [str(i) for i in range(max(network.n_outputs, 2))]


def _command_download(args: argparse.Namespace) -> int:
    from mlpkit.datasets import get_info
    from mlpkit.datasets.files import fetch

    info = get_info(args.name)
    if info.source != "files":
        print(f"{info.name} needs no download: it is {info.source}")
        return EXIT_OK
    for remote in info.files:
        print(fetch(info.folder, remote))
    return EXIT_OK


def _command_gradcheck(args: argparse.Namespace) -> int:
    import numpy as np

    from mlpkit.gradcheck import gradcheck
    from mlpkit.recipes import apply_overrides, load_recipe
    from mlpkit.recipes.build import build_loss, build_network, prepare_data

    config = apply_overrides(load_recipe(args.recipe), ["model.dtype='float64'"])
    data = prepare_data(config)
    network = build_network(config, data.X_train.shape[1], len(data.classes))
    # Biases drawn off zero, so that units seeing only blank pixels do not sit
    # exactly on a ReLU's kink, where no finite difference measures a slope.
    rng = np.random.default_rng(0)
    for layer in network.layers:
        for key in layer.biases:
            layer.params[key][...] = rng.normal(0, 0.1, layer.params[key].shape)
    rows, report = slice(0, args.samples), {}
    errors = gradcheck(
        network,
        data.X_train[rows].astype("float64"),
        data.y_train[rows],
        build_loss(config),
        l2=config["train"]["l2"],
        l2_bias=config["train"]["l2_bias"],
        max_entries=args.entries,
        report=report,
    )
    for key, error in errors.items():
        skipped = report["skipped"][key]
        note = f", {skipped} skipped at kinks" if skipped else ""
        print(f"{key:8s} relative error {error:.2e}  ({report['checked'][key]} entries{note})")
    worst = max(errors.values())
    unchecked = [key for key, count in report["checked"].items() if count == 0]
    if unchecked:
        print(f"FAILED: no entry of {', '.join(unchecked)} could be checked (all at kinks)")
        return EXIT_FAILED
    verdict = "passed" if worst < 1e-6 else "FAILED"
    print(f"{verdict}: largest relative error {worst:.2e} (threshold 1e-6)")
    return EXIT_OK if worst < 1e-6 else EXIT_FAILED


def _command_search(args: argparse.Namespace) -> int:
    import sqlite3

    from mlpkit import search
    from mlpkit.recipes import apply_overrides, load_recipe
    from mlpkit.searchdb import TrialStore

    if args.show is not None:
        if not args.show.is_file():
            raise FileNotFoundError(f"--show: no search database at {args.show}")
        with TrialStore(args.show) as store:
            table = search.ranked_table(store.trials("done"))
            counts = {s: len(store.trials(s)) for s in ("done", "running", "failed")}
        print(search.format_table(table, args.top))
        print(
            f"{counts['done']} trials finished, {counts['failed']} failed, "
            f"{counts['running']} unfinished (running now, or interrupted)"
        )
        return EXIT_OK
    config = apply_overrides(load_recipe(args.recipe or DEFAULT_RECIPE), args.overrides)
    db = args.db or search.default_db(config)
    try:
        result = _search(args, config)
    except sqlite3.Error as error:
        raise OSError(
            f"the search database {db} failed: {error} (is the disk full, or the folder read-only?)"
        ) from error
    except KeyboardInterrupt:
        print(
            f"mlpkit: interrupted; finished trials are kept in {db}: the same command runs "
            "only the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(search.format_table(result.table, args.top))
    search.write_outputs(result, config, plots=not args.no_plots)
    for name, path in result.files.items():
        print(f"{name}: {path}")
    print(f"database: {result.db} (show again: mlpkit search --show {result.db})")
    return EXIT_FAILED if result.failed else EXIT_OK


def _search(args: argparse.Namespace, config: dict):
    from mlpkit import search

    return search.search(
        config,
        grid=args.grid,
        random=args.random,
        ranges=args.ranges,
        log_ranges=args.log_ranges,
        search_seed=args.search_seed,
        db=args.db,
        seeds=args.seeds,
        jobs=args.jobs,
        scheduler=args.scheduler,
        dask=args.dask,
        valid_size=args.valid_size,
    )


if __name__ == "__main__":
    sys.exit(main())
