"""Figures the stored notebooks quote from docs/RESULTS.md are RESULTS.md's (issue 26).

Notebook 04 showed RESULTS.md's old 93.00 ± 0.14 after the table had moved on:
a stored output is a quote, and goes stale when the table is updated without
rerunning the notebook (``python scripts/notebooks.py NAME``).
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))
from results_table import row  # noqa: E402

QUOTE = re.compile(r"(\S+): classic \S+   RESULTS\.md ([\d.]+) ± ([\d.]+)   this run ([\d.]+)")


def quotes(notebook: Path) -> list[re.Match]:
    cells = json.loads(notebook.read_text())["cells"]
    texts = ["".join(o.get("text", "")) for c in cells for o in c.get("outputs", [])]
    return [m for text in texts for line in text.splitlines() if (m := QUOTE.match(line))]


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_quoted_from_results_md_is_current(notebook):
    for quote in quotes(notebook):
        recipe, mean, sd = quote[1], float(quote[2]), float(quote[3])
        current = row(recipe)
        assert (mean, sd) == (current["mean"], current["sd"]), (
            f"{notebook.name} quotes {recipe} as {mean:.2f} ± {sd:.2f}, RESULTS.md now says "
            f"{current['mean']:.2f} ± {current['sd']:.2f}: rerun the notebook"
        )


def test_the_notebooks_quote_results_md_at_all():
    """The pattern must keep matching, or the test above would pass on nothing."""
    assert sum(len(quotes(notebook)) for notebook in NOTEBOOKS) >= 15


def test_the_readme_states_the_e3_cnn_runs_it_names():
    """README: seed 0's figure in RESULTS.md's run and in notebook 04's stored run."""
    readme = (ROOT / "README.md").read_text()
    seed0 = json.loads((ROOT / "docs" / "results" / "e3-cnn-seed0.json").read_text())
    stored = {q[1]: float(q[4]) for q in quotes(ROOT / "notebooks" / "04-e3-cnn.ipynb")}
    results_md = f"{100 * seed0['test']['accuracy']:.2f}%"
    notebook = f"{stored['e3-cnn']:.2f}%"
    assert f"RESULTS.md's seed-0 run reached {results_md}" in readme
    assert f"notebook 04's stored run {notebook}" in readme
