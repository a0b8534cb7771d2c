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
    ("sklearn", "mlpkit.sklearn"),
]


@pytest.mark.parametrize(("name", "module"), LAZY)
def test_lazy_attributes_load_on_first_use(name, module):
    if name == "sklearn":
        pytest.importorskip("sklearn")
    loaded = modules_loaded_by(f"import mlpkit\nmlpkit.{name}")
    assert module in loaded


def test_unknown_attribute_is_an_attribute_error():
    import mlpkit

    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        mlpkit.nonsense  # noqa: B018


def test_mk_sklearn_without_scikit_learn_names_the_extra():
    """Where scikit-learn is missing, ``mk.sklearn`` says how to get it."""
    script = (
        "import sys\n"
        "sys.modules['sklearn'] = None\n"  # as if it were not installed
        "import importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n == 'sklearn' else real(n, *a)\n"
        "import mlpkit\n"
        "try:\n"
        "    mlpkit.sklearn\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'mlpkit[sklearn]'" in output
