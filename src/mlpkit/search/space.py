"""What a search tries: override sets from a grid or from random draws over ranges.

Every point is a list of recipe overrides (``"train.learning_rate=0.1"``), the
same strings ``mlpkit run --set`` takes.

>>> parse_values("model.hidden", "16,[32, 32]")
['model.hidden=[16]', 'model.hidden=[32, 32]']
>>> grid_points(parse_grid(["train.momentum=0,0.9", "model.hidden=16"]))
[['train.momentum=0', 'model.hidden=[16]'], ['train.momentum=0.9', 'model.hidden=[16]']]
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from mlpkit.recipes import DEFAULTS, RecipeError, toml_value

__all__ = [
    "axes_from",
    "grid_points",
    "parse_grid",
    "parse_range",
    "parse_values",
    "points_from",
    "random_points",
    "ranges_from",
]


#: A range to draw from: ``(key, low, high)``.
Range = tuple[str, float, float]


def _split_top_level(text: str) -> list[str]:
    """Split ``text`` at commas that are not inside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def _default_of(key: str) -> Any:
    if key.startswith("data.options."):
        return None  # synthetic sets' own options: any name, any type
    value: Any = DEFAULTS
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RecipeError(f"--grid: unknown key {key!r}")
        value = value[part]
    return value


def parse_values(key: str, values: str) -> list[str]:
    """``"16,36"`` for ``key`` as override strings ``["key=16", "key=36"]``.

    A bare value for a list-valued key (``model.hidden=16``) means a list of one.
    """
    is_list = isinstance(_default_of(key), list)
    found = []
    for value in _split_top_level(values):
        if is_list and not value.startswith("["):
            value = f"[{value}]"
        found.append(f"{key}={value}")
    if not found:
        raise RecipeError(f"--grid {key}= lists no values")
    return found


def parse_grid(items: list[str]) -> list[list[str]]:
    """``["train.learning_rate=0.01,0.1", ...]`` as one list of overrides per key."""
    axes = []
    for item in items:
        key, sep, values = item.partition("=")
        if not sep:
            raise RecipeError(f"--grid takes key=v1,v2,..., got {item!r}")
        axes.append(parse_values(key.strip(), values))
    return axes


def parse_range(item: str) -> Range:
    """``"train.learning_rate=0.001:0.3"`` as ``(key, 0.001, 0.3)``."""
    key, sep, bounds = item.partition("=")
    low, colon, high = bounds.partition(":")
    try:
        low_value, high_value = float(low), float(high)
    except ValueError:
        low_value = high_value = math.nan
    if not sep or not colon or not low_value < high_value:
        raise RecipeError(f"a range takes key=low:high with low < high, got {item!r}")
    _default_of(key.strip())
    return key.strip(), low_value, high_value


def random_points(
    n: int,
    ranges: list[Range],
    log_ranges: list[Range],
    seed: int = 0,
) -> list[list[str]]:
    """``n`` override sets drawn uniformly from ``ranges`` and log-uniformly from ``log_ranges``.

    The same ``seed`` draws the same points, so a rerun finds its trials again.
    Integer-valued keys (epochs, batch_size, ...) are rounded.
    """
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n):
        point = []
        for (key, low, high), log in [(r, False) for r in ranges] + [(r, True) for r in log_ranges]:
            if log:
                if low <= 0:
                    raise RecipeError(f"a log range needs low > 0, got {key}={low}:{high}")
                value = math.exp(rng.uniform(math.log(low), math.log(high)))
            else:
                value = rng.uniform(low, high)
            default = _default_of(key)
            if isinstance(default, int | list) and not isinstance(default, bool):
                text = str(round(value))
                text = f"[{text}]" if isinstance(default, list) else text
            else:
                text = f"{value:.4g}"
            point.append(f"{key}={text}")
        points.append(point)
    return points


def grid_points(axes: list[list[str]]) -> list[list[str]]:
    """Every combination of one override per axis (the recipe as is for no axes)."""
    return [list(point) for point in itertools.product(*axes)]


def axes_from(grid: dict[str, Any] | list[str] | None) -> list[list[str]]:
    """Grid axes from ``{"train.learning_rate": [0.01, 0.1]}`` or ``["key=v1,v2", ...]``."""
    if not grid:
        return []
    if isinstance(grid, dict):
        axes = []
        for key, values in grid.items():
            is_list = isinstance(_default_of(key), list)
            axis = [
                f"{key}={toml_value([v] if is_list and not isinstance(v, list) else v)}"
                for v in values
            ]
            if not axis:
                raise RecipeError(f"grid[{key!r}] lists no values")
            axes.append(axis)
        return axes
    return parse_grid(list(grid))


def ranges_from(ranges: dict[str, tuple[float, float]] | list[str] | None) -> list[Range]:
    """Ranges from ``{"train.momentum": (0.5, 0.99)}`` or ``["key=low:high", ...]``."""
    if not ranges:
        return []
    if isinstance(ranges, dict):
        return [parse_range(f"{key}={low}:{high}") for key, (low, high) in ranges.items()]
    return [parse_range(item) for item in ranges]


def points_from(
    grid: dict[str, Any] | list[str] | None = None,
    random: int = 0,
    ranges: dict[str, tuple[float, float]] | list[str] | None = None,
    log_ranges: dict[str, tuple[float, float]] | list[str] | None = None,
    seed: int = 0,
) -> list[list[str]]:
    """Every point of the grid, each combined with ``random`` draws when asked."""
    points = grid_points(axes_from(grid))
    uniform, logarithmic = ranges_from(ranges), ranges_from(log_ranges)
    if random:
        if not uniform and not logarithmic:
            raise RecipeError("--random N needs at least one --range or --log-range")
        drawn = random_points(random, uniform, logarithmic, seed)
        points = [point + extra for point in points for extra in drawn]
    elif uniform or logarithmic:
        raise RecipeError("--range and --log-range go with --random N")
    return points
