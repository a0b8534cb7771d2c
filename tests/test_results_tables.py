"""docs/RESULTS.md states the figures of the recorded runs (docs/results/), no other.

The reproductions', CNN and better-recipe tables are written by scripts from
each finished run's metrics.json; these tests rebuild them from the records
and compare, so a figure edited by hand, or a record added without rewriting
the tables, fails.
"""

from __future__ import annotations

from pathlib import Path

from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = (ROOT / "docs" / "RESULTS.md").read_text()


def section(name: str) -> str:
    return RESULTS.split(f"<!-- {name}:start -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]


def test_the_reproductions_table_is_the_recorded_runs(monkeypatch):
    results = load_script("scripts/results.py")

    def recorded_only(recipe, seed):  # never train here: every seed must be recorded
        metrics = results.record(recipe, seed)
        assert metrics is not None, f"no record of {recipe} seed {seed} in docs/results/"
        return metrics

    monkeypatch.setattr(results, "run_recipe", recorded_only)
    reproductions = RESULTS.split("## Reproductions", 1)[1].split("\n\n<!-- cnn:start", 1)[0]
    assert table_rows(reproductions)[1:] == results.classic_table_rows()


def test_the_cnn_table_is_the_recorded_runs():
    results = load_script("scripts/results.py")
    assert table_rows(section("cnn"))[1:] == results.cnn_table_rows()


def test_the_better_table_is_the_recorded_runs():
    results = load_script("scripts/results.py")
    assert section("better").strip() == "\n".join(results.better_section()[1:-1]).strip()
