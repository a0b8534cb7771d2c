"""``mlpkit run``: train a recipe into a run folder, or resume one; Ctrl-C stops cleanly."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from mlpkit import kernels
from mlpkit.cli.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from mlpkit.cli.parser import DEFAULT_RECIPE

if TYPE_CHECKING:  # the runs load on demand (a fast --help)
    from mlpkit.runs import RunResult, StopRequest

__all__ = ["command_run", "recipe_config"]


def recipe_config(args: argparse.Namespace) -> dict[str, Any]:
    """The recipe ``mlpkit run`` trains, with its ``--set``, ``--seed`` and ``--data`` applied."""
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


def command_run(args: argparse.Namespace) -> int:
    """``mlpkit run``: train into a run folder (or ``--resume`` one); the exit code."""
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
            config = recipe_config(args)
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


def _on_interrupt(stop: StopRequest, previous: Any) -> None:  # previous: signal.getsignal's
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


def _print_result(result: RunResult, quiet: bool = False) -> None:
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
