"""The classic's figure and mlpkit's, side by side: read from docs/RESULTS.md.

The notebooks import this to set their own run beside the table of
``docs/RESULTS.md`` (the classic figure, and mlpkit's mean ± sd over three
seeds), and, in a full run, to check that they reproduced it.
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "RESULTS.md"


def row(recipe: str) -> dict[str, float | None]:
    """``{"classic": ..., "mean": ..., "sd": ...}`` from the row of ``mlpkit run RECIPE``."""
    for line in RESULTS.read_text(encoding="utf-8").splitlines():
        if f"`mlpkit run {recipe}`" in line:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            # "93.00 ± 0.14", or "93.20" while only one seed has finished
            mean, _, sd = re.match(r"([\d.]+)( ± ([\d.]+))?", cells[2]).groups()
            classic = None if cells[1] == "-" else float(cells[1])
            return {"classic": classic, "mean": float(mean), "sd": float(sd or 0)}
    raise KeyError(f"no row for `mlpkit run {recipe}` in {RESULTS}")


def compare(recipe: str, accuracy: float, quick: bool) -> None:
    """Print the classic, RESULTS.md and this run's test accuracy (percent).

    In a full run, fail unless this run is within the seed spread RESULTS.md
    states (twice its standard deviation, at least 0.3 points): the notebook
    trains seed 0 of the same recipe.
    """
    found = row(recipe)
    classic = "-" if found["classic"] is None else f"{found['classic']:.2f}"
    print(
        f"{recipe}: classic {classic}   RESULTS.md {found['mean']:.2f} ± {found['sd']:.2f}"
        f"   this run {accuracy:.2f}{'  (quick mode: fewer epochs)' if quick else ''}"
    )
    if not quick:
        allowed = max(2 * found["sd"], 0.3)
        assert abs(accuracy - found["mean"]) <= allowed, (recipe, accuracy, found)
