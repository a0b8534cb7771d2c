"""The README's Python example and the main job run as written."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_python_example_runs(tmp_path, monkeypatch):
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert blocks, "README.md has no ```python block"
    monkeypatch.chdir(tmp_path)  # the example saves a model file
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "moons.npz").is_file()


def test_readme_first_screen_has_the_setup_and_test_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:20])
    assert 'pip install ".[plot,fast]" && .venv/bin/mlpkit run' in first_screen
    assert 'pip install -e ".[dev]" && .venv/bin/python -m pytest' in first_screen


def test_readme_recipe_examples_are_valid_recipes(tmp_path):
    from mlpkit.recipes import load_recipe
    from mlpkit.recipes.build import build_network

    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    assert len(blocks) == 2
    configs = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.toml"
        path.write_text(block)
        configs.append(load_recipe(path))
    assert configs[0]["data"]["options"] == {"n_samples": 2000, "noise": 0.1}
    assert build_network(configs[1], n_features=64, n_classes=10).n_parameters == 1210


def test_readme_report_picture_exists():
    pictures = re.findall(r"!\[[^]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text())
    assert pictures and all((ROOT / p).is_file() for p in pictures)


def test_quickstart_trains_and_reports_test_accuracy():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    assert sum(line.startswith("epoch") for line in lines) == 30
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", result.stdout).group(1))
    assert accuracy >= 99.0
