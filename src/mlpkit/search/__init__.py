"""Hyper-parameter search: a recipe run under many overrides, scored on validation data.

A search is a list of trials, each a set of ``--set`` overrides and a seed:
a grid (every combination of the values given per key) or random draws from
ranges, times ``seeds`` seeds. Each trial trains the recipe and scores it on
the validation split, never on the test split. Trials run in worker
processes through joblib (local processes, or a Dask cluster through
joblib's Dask backend) and land in an SQLite file (``mlpkit.search.store``) as they
finish; running the same search again skips the finished ones.

What to try comes from ``mlpkit.search.space`` (grids, random draws), the
trials run in ``mlpkit.search.runner``, what was found goes to
``mlpkit.search.results`` (the ranked table, the best recipe, the plots); the
names a user calls are re-exported here.
"""

from mlpkit.search.results import SearchResult, format_table, ranked_table, write_outputs
from mlpkit.search.runner import Trial, run_search, run_trial, search
from mlpkit.search.space import grid_points, parse_grid, parse_range, parse_values, random_points

__all__ = [
    "SearchResult",
    "Trial",
    "format_table",
    "grid_points",
    "parse_grid",
    "parse_range",
    "parse_values",
    "random_points",
    "ranked_table",
    "run_search",
    "run_trial",
    "search",
    "write_outputs",
]
