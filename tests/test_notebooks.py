"""The notebooks: built from their sources, up to date, and run top to bottom in quick mode."""

import json
import os
from pathlib import Path

import pytest

from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("*.py"))

pytest.importorskip("nbclient", reason="the notebook extra (nbclient, ipykernel) is not installed")
pytest.importorskip("ipykernel", reason="the notebook extra (nbclient, ipykernel) is not installed")


def builder():
    return load_script("scripts/notebooks.py")


def test_there_is_a_notebook_per_classic_experiment():
    assert [path.stem for path in SOURCES] == [
        "00-backprop-by-hand",
        "01-e1-tanh-mse",
        "02-e2-sigmoid-l2",
        "03-e3-notmnist-mlp",
        "04-e3-cnn",
        "05-e4-moons",
        "06-e5-mnist",
    ]


def needs_data(source: Path) -> bool:
    """Whether the notebook says it reads the real data sets (``MLPKIT_DATA``)."""
    return "# mlpkit-notebook: needs MLPKIT_DATA" in source.read_text().splitlines()[:2]


def test_cells_are_read_from_percent_markers():
    cells = builder().cells_of("# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\nprint(x)\n")
    assert cells == [("markdown", "# Title\n\ntext"), ("code", "x = 1\n\nprint(x)")]
    assert builder().cells_of("# a directive\n# %%\nx = 1\n") == [("code", "x = 1")]
    with pytest.raises(ValueError, match="before the first"):
        builder().cells_of("x = 1\n# %%\n")
    with pytest.raises(ValueError, match="Markdown cell's lines"):
        builder().cells_of("# %% [markdown]\nnot a comment\n")


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_stored_notebook_matches_its_source(source):
    """The .ipynb beside the source was regenerated after the source's last change."""
    stored = json.loads((source.parents[1] / f"{source.stem}.ipynb").read_text())
    built = builder().notebook_of(source.read_text())
    assert ["".join(c["source"]) for c in stored["cells"]] == [c.source for c in built.cells]
    code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "stored without its outputs"
    assert not any(o.get("output_type") == "error" for c in code for o in c["outputs"])


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_runs_in_quick_mode(source):
    if needs_data(source) and not os.environ.get("MLPKIT_DATA"):
        pytest.skip("needs the real data sets: set MLPKIT_DATA to ../shared/datasets")
    script = builder()
    notebook = script.run(script.notebook_of(source.read_text()), quick=True, timeout=300)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code)
