"""``mlpkit search``: a hyper-parameter search, or the table of an earlier one."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from mlpkit.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from mlpkit.cli.parser import DEFAULT_RECIPE

if TYPE_CHECKING:
    from mlpkit.search.results import SearchResult

__all__ = ["command_search"]


def command_search(args: argparse.Namespace) -> int:
    """``mlpkit search``: run a search (resuming its database), or ``--show`` one."""
    import sqlite3

    from mlpkit import search
    from mlpkit.recipes import apply_overrides, load_recipe
    from mlpkit.search.runner import default_db
    from mlpkit.search.store import TrialStore

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
    db = args.db or default_db(config)
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


def _search(args: argparse.Namespace, config: dict[str, Any]) -> SearchResult:
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
