"""What a search found: the ranked table, the best settings as a recipe, and plots.

A ``SearchResult`` holds the table (one row per configuration, mean and
standard deviation of the validation score over seeds, best first); the
files go next to the search database: ``<db>-best.toml``, ``<db>-scores.png``
and ``<db>-curves.png``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpkit import _figures
from mlpkit.recipes import apply_overrides, to_toml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SearchResult",
    "format_table",
    "ranked_table",
    "search_curves",
    "search_scores",
    "write_outputs",
]

_POINT = "#1f77b4"


@dataclass
class SearchResult:
    """What a search leaves: the ranked table and where its files are."""

    db: Path
    table: list[dict[str, Any]]
    ran: int
    skipped: int
    failed: int
    files: dict[str, Path] = field(default_factory=dict)


def ranked_table(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finished trials grouped by overrides (over seeds), best mean score first.

    A database keeps every trial of its recipe, so a second search with other
    values into the same file adds rows to the same table.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for trial in trials:
        groups.setdefault(json.dumps(trial["overrides"]), []).append(trial)
    rows = []
    for key, members in groups.items():
        scores = [m["score"] for m in members]
        rows.append(
            {
                "overrides": json.loads(key),
                "mean": statistics.mean(scores),
                "sd": statistics.stdev(scores) if len(scores) > 1 else 0.0,
                "seeds": sorted(m["seed"] for m in members),
                "val_loss": statistics.mean(
                    m["metrics"].get("val_loss", math.nan) for m in members
                ),
                "wall_time": statistics.mean(m["wall_time"] for m in members),
                "histories": [m["history"] for m in sorted(members, key=lambda m: m["seed"])],
            }
        )
    rows.sort(key=lambda row: (-row["mean"], row["val_loss"], row["overrides"]))
    return rows


def format_table(table: list[dict[str, Any]], limit: int | None = None) -> str:
    """The ranked table as aligned text: rank, settings, mean ± sd, seeds, time."""
    keys = _swept_keys(table)
    header = ["rank", *keys, "val score", "seeds", "val loss", "s/trial"]
    lines = []
    for rank, row in enumerate(table[:limit], 1):
        values = _values(row["overrides"])
        lines.append(
            [
                str(rank),
                *(values.get(k, "") for k in keys),
                f"{row['mean']:.4f} ± {row['sd']:.4f}",
                str(len(row["seeds"])),
                f"{row['val_loss']:.4f}",
                f"{row['wall_time']:.1f}",
            ]
        )
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(header)
    ]
    rendered = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    rendered += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(rendered)


def _values(overrides: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in overrides)


def _swept_keys(table: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for row in table:
        for key in _values(row["overrides"]):
            if key not in keys:
                keys.append(key)
    return keys


def write_outputs(result: SearchResult, config: dict[str, Any], plots: bool = True) -> None:
    """The best configuration as a recipe, and the plots, next to the database.

    ``<db>-best.toml`` always; with matplotlib, ``<db>-scores.png`` (a heat
    map for two swept keys, one panel per key otherwise) and
    ``<db>-curves.png`` (validation curves of the best three).
    """
    if not result.table:
        return
    stem = result.db.with_suffix("")
    best = apply_overrides(config, result.table[0]["overrides"])
    top = result.table[0]
    best["description"] = (
        f"Best of a search over {config['name']}: {' '.join(top['overrides']) or 'as is'} "
        f"(validation {top['mean']:.4f} over {len(top['seeds'])} seed(s)); the base recipe "
        f"was: {config.get('description', '')}"
    )
    path = Path(f"{stem}-best.toml")
    path.write_text(to_toml(best))
    result.files["best"] = path
    if plots:
        try:
            import matplotlib  # noqa: F401  (optional: no pictures without it)
        except ImportError:
            return
        keys = _swept_keys(result.table)
        rows = [(_values(r["overrides"]), r["mean"]) for r in result.table]
        figure = search_scores(rows, keys)
        result.files["scores"] = _save(figure, f"{stem}-scores.png")
        figure = search_curves(result.table[:3])
        result.files["curves"] = _save(figure, f"{stem}-curves.png")


def _save(figure: Figure, path: str) -> Path:
    figure.savefig(path, dpi=90)
    return Path(path)


# -- plots ------------------------------------------------------------------------------
def search_scores(rows: Sequence[tuple[dict[str, str], float]], keys: Sequence[str]) -> Figure:
    """Validation score against the swept settings of a search.

    Two swept keys give a heat map (one cell per pair of values, the mean
    score written in it); any other number gives one panel per key, each
    point a configuration, so that a key's effect shows across the others.

    Parameters
    ----------
    rows : sequence of (settings, score)
        ``settings`` maps each key to its value as written in the override.
    keys : sequence of str
    """
    if len(keys) == 2:
        return _heat_map(rows, keys)
    fig, axes = _figures.subplots(
        1, max(1, len(keys)), figsize=(4 * max(1, len(keys)), 3.5), squeeze=False
    )
    for ax, key in zip(axes[0], keys or [""], strict=False):
        values = sorted({r[0].get(key, "") for r in rows}, key=_as_number)
        for settings, score in rows:
            ax.plot(values.index(settings.get(key, "")), score, "o", color=_POINT, alpha=0.7)
        ax.set(
            xticks=range(len(values)),
            xticklabels=values,
            xlabel=key or "recipe as is",
            ylabel="validation score",
        )
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _heat_map(rows: Sequence[tuple[dict[str, str], float]], keys: Sequence[str]) -> Figure:
    """One cell per pair of values of the two ``keys``, the mean score written in it."""
    xs = sorted({r[0][keys[0]] for r in rows}, key=_as_number)
    ys = sorted({r[0][keys[1]] for r in rows}, key=_as_number)
    grid = np.full((len(ys), len(xs)), np.nan)
    for settings, score in rows:
        grid[ys.index(settings[keys[1]]), xs.index(settings[keys[0]])] = score
    fig, ax = _figures.subplots(figsize=(1.2 * len(xs) + 3, 0.8 * len(ys) + 2))
    image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
    middle = np.nanmean([np.nanmin(grid), np.nanmax(grid)])
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value):  # dark text on the bright (high) end of viridis
            ax.text(
                j,
                i,
                f"{value:.4f}",
                ha="center",
                va="center",
                fontsize=8,
                color="k" if value > middle else "w",
            )
    ax.set(
        xticks=range(len(xs)),
        xticklabels=xs,
        yticks=range(len(ys)),
        yticklabels=ys,
        xlabel=keys[0],
        ylabel=keys[1],
        title="validation score (mean over seeds)",
    )
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def _as_number(text: str) -> Any:
    """Sort key: numbers by value, anything else after them by text."""
    try:
        return (0, float(text.strip("[]")), "")
    except ValueError:
        return (1, 0.0, text)


def search_curves(table: Sequence[dict[str, Any]]) -> Figure:
    """Validation curves (seed 0's) of the best configurations of a search, best first."""
    fig, ax = _figures.subplots(figsize=(7, 4))
    for rank, row in enumerate(table, 1):
        history = row["histories"][0]
        key = "val_accuracy" if "val_accuracy" in history else "val_r2"
        values = history.get(key, [])
        ax.plot(
            range(1, len(values) + 1),
            values,
            label=f"{rank}. {' '.join(row['overrides']) or 'recipe as is'}",
        )
    ax.set(ylabel="validation score", title="best configurations")
    _figures.epoch_axis(ax)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
