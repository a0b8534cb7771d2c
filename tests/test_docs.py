"""The documentation site: it builds in strict mode, its API reference covers every
public name, its generated pages match the code, and its examples run."""

import html
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlpkit
from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs extra (mkdocs, mkdocstrings) is not installed")
pytest.importorskip("mkdocstrings", reason="the docs extra (mkdocs, mkdocstrings) is not installed")


def hooks():
    return load_script("scripts/docs_hooks.py")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once with ``mkdocs build --strict`` (any warning fails it)."""
    out = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def anchors(site: Path) -> set[str]:
    """Every ``id`` of the reference pages."""
    ids: set[str] = set()
    for page in (site / "api").rglob("*.html"):
        ids |= set(re.findall(r'id="([^"]+)"', page.read_text()))
    return ids


def public_modules() -> list[str]:
    """Every module of mlpkit whose name has no leading underscore."""
    names = ["mlpkit"]
    for info in pkgutil.walk_packages(mlpkit.__path__, "mlpkit."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def home_of(module_name: str, name: str) -> str:
    """The dotted path where the reference documents ``module.name``."""
    value = getattr(importlib.import_module(module_name), name)
    if inspect.ismodule(value):
        return value.__name__
    if inspect.isclass(value) or inspect.isfunction(value):
        return f"{value.__module__}.{value.__qualname__}"
    return f"{module_name}.{name}"


def test_site_builds_in_strict_mode(site):
    assert (site / "index.html").is_file()
    assert (site / "api" / "index.html").is_file()


def test_every_public_module_declares_its_public_names():
    missing = [
        name for name in public_modules() if not hasattr(importlib.import_module(name), "__all__")
    ]
    assert missing == []


def test_reference_covers_every_public_name(site):
    ids = anchors(site)
    expected = {home_of("mlpkit", name) for name in mlpkit.__all__ if name != "__version__"}
    for module_name in public_modules():
        expected.add(module_name)
        module = importlib.import_module(module_name)
        expected |= {home_of(module_name, n) for n in module.__all__ if not n.startswith("__")}
    uncovered = set()
    for path in expected:
        # a constant re-exported by a package is documented in the submodule defining it
        package, _, name = path.rpartition(".")
        if path not in ids and not any(
            i.startswith(package + ".") and i.endswith("." + name) for i in ids
        ):
            uncovered.add(path)
    assert sorted(uncovered) == [], sorted(uncovered)


def test_top_level_page_links_every_name_of_mlpkit(site):
    page = (site / "api" / "index.html").read_text()
    for name in mlpkit.__all__:
        assert f"mlpkit.{name}" in page, name


def test_docstring_check_passes_for_mlpkit_and_finds_a_missing_one(tmp_path):
    check = hooks().missing_docstrings
    assert check() == []
    package = tmp_path / "toy"
    package.mkdir()
    (package / "__init__.py").write_text('"""A toy package."""\n')
    (package / "shapes.py").write_text(
        textwrap.dedent(
            '''
            """Shapes."""

            __all__ = ["Square", "area"]


            class Square:
                """A square."""

                def side(self):
                    return 1

                def _private(self):
                    return 2


            def area(square):
                return 1
            '''
        )
    )
    assert sorted(check("toy", tmp_path)) == ["toy.shapes.Square.side", "toy.shapes.area"]


def test_cli_page_has_every_command_and_option(site):
    from mlpkit.cli.parser import build_parser

    page = (site / "guide" / "cli" / "index.html").read_text()
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    for name, command in commands.choices.items():
        assert f"mlpkit {name}" in page
        for action in command._actions:
            for option in action.option_strings:
                assert option in page, (name, option)
    assert "runs/&lt;recipe&gt;" in page  # help text with angle brackets stays visible


def test_recipe_page_lists_every_builtin_recipe(site):
    from mlpkit.recipes import builtin_names

    page = (site / "guide" / "recipes" / "index.html").read_text()
    for name in builtin_names():
        assert f"<code>{name}</code>" in page, name


def test_formulas_are_mathml_and_sources_are_current(site):
    page = (site / "backprop" / "index.html").read_text()
    assert page.count("<math") > 20
    assert 'class="arithmatex"' not in page
    # the listings are the code as it is now, line for line
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    from mlpkit.layers.dense import Dense
    from mlpkit.layers.normalization import BatchNorm

    for method in (Dense.backward, BatchNorm.backward):
        for line in inspect.getsource(method).splitlines():
            assert line.strip() in text, line


def test_every_notebook_has_a_page_with_its_images(site):
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "notebooks" / notebook.stem / "index.html"
        assert page.is_file(), notebook.name
        images = re.findall(r'<img[^>]+src="([^"]+)"', page.read_text())
        assert len(images) == notebook.read_text().count('"image/png"'), notebook.name
        for image in images:
            assert (page.parent / image).resolve().is_file(), (notebook.name, image)


def code_blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


def test_home_page_setup_commands_are_the_readmes():
    readme = code_blocks(ROOT / "README.md", "bash")[0]
    home = code_blocks(ROOT / "docs" / "index.md", "bash")[0]
    assert home == readme


GUIDE = [ROOT / "docs" / "index.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE, ids=lambda path: path.stem)
def test_python_examples_of_the_guide_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs_example"}  # a page reads top to bottom: blocks build on blocks
    for block in code_blocks(page, "python"):
        exec(compile(block, f"{page.name} example", "exec"), namespace)


def test_readme_shows_the_screenshots_of_the_site():
    readme = (ROOT / "README.md").read_text()
    for name in ("site-home.png", "site-notebook.png"):
        assert f"(docs/screenshots/{name})" in readme
        assert (ROOT / "docs" / "screenshots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_screenshots_script_takes_both_pictures(tmp_path):
    import shutil

    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    script = ROOT / "scripts" / "screenshots.py"
    command = [sys.executable, str(script), "--out", str(tmp_path)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=600)
    from PIL import Image

    for name in ("site-home.png", "site-notebook.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size[0] == 1280
