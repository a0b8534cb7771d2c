"""``import mlpkit`` stays light: optional and rarely needed modules load on first use."""

import subprocess
import sys

import pytest

HEAVY = [
    "matplotlib",
    "tqdm",
    "mlpkit.datasets",
    "mlpkit.io",
    "mlpkit.plots",
    "zipfile",
    "mlpkit.search",
    "sqlite3",
    "joblib",
    "sklearn",
]


def modules_loaded_by(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return set(output.split())


def test_import_mlpkit_leaves_the_heavy_modules_alone():
    loaded = modules_loaded_by("import mlpkit")
    assert loaded & set(HEAVY) == set()


LAZY = [
    ("datasets", "mlpkit.datasets"),
    ("plots", "mlpkit.plots"),
    ("save", "mlpkit.io"),
    ("search", "mlpkit.search"),
]


@pytest.mark.parametrize(("name", "module"), LAZY)
def test_lazy_attributes_load_on_first_use(name, module):
    loaded = modules_loaded_by(f"import mlpkit\nmlpkit.{name}")
    assert module in loaded


def test_unknown_attribute_is_an_attribute_error():
    import mlpkit

    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        mlpkit.nonsense  # noqa: B018
