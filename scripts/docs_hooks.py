"""MkDocs hooks of mlpkit's documentation site (``mkdocs.yml`` names this file).

- ``on_config``: every public name of mlpkit has a docstring, or the build fails
  (mkdocstrings alone would silently leave such a name out of the reference).
- ``on_files``: each notebook of ``notebooks/`` becomes a page with its stored
  outputs, ``notebooks/<name>.md``, and its images.
- ``on_page_markdown``: the markers ``<!-- mlpkit:cli -->``,
  ``<!-- mlpkit:recipes -->``, ``<!-- mlpkit:defaults -->`` and
  ``<!-- mlpkit:names -->`` are replaced by tables generated from the code, and
  ``<!-- mlpkit:source PATH -->`` by the source of that object, so those pages
  cannot fall behind the code.
- ``on_page_content``: the formulas pymdownx.arithmatex kept aside become MathML,
  which browsers draw without JavaScript or a network.
- ``on_post_build``: the "Draw a digit" page's network (``web/mnist.npz``) is
  exported to ``draw/mnist.onnx``, and onnxruntime-web's files, installed from
  the npm registry into ``web/node_modules`` (``npm ci --prefix web``), are
  copied into ``draw/ort/``: the page loads nothing from elsewhere.
"""

from __future__ import annotations

import argparse
import html
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WEB = ROOT / "web"
# onnxruntime-web's WebAssembly build: the script, its loader and its binary.
ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
log = logging.getLogger("mkdocs.hooks.mlpkit")


# ----------------------------------------------------------------- docstrings


def missing_docstrings(package_name: str = "mlpkit", search_path: Path = ROOT / "src") -> list[str]:
    """Paths of public modules, classes, functions, methods and exported constants
    without a docstring (an overriding method inherits its base's, as in the site).
    """
    import griffe

    package = griffe.load(
        package_name,
        search_paths=[str(search_path)],
        extensions=griffe.load_extensions("griffe_inherited_docstrings"),
    )
    missing: list[str] = []

    def visit(module: Any) -> None:
        if not module.docstring:
            missing.append(module.path)
        for name, member in module.members.items():
            if member.is_alias:
                continue
            if member.is_module:
                if not name.startswith("_"):
                    visit(member)
            elif member.is_public and not member.docstring:
                missing.append(member.path)
            elif member.is_class and member.is_public:
                missing.extend(
                    method.path
                    for method_name, method in member.members.items()
                    if not method.is_alias
                    and method.is_function
                    and not method_name.startswith("_")
                    and not method.docstring
                )

    visit(package)
    return missing


def on_config(config: Any) -> Any:
    missing = missing_docstrings()
    if missing:
        raise PluginError("public names without a docstring: " + ", ".join(missing))
    return config


# ------------------------------------------------------------------ notebooks


def notebook_markdown(path: Path) -> tuple[str, dict[str, bytes]]:
    """A stored notebook as Markdown with its outputs, and its images by file name."""
    import nbconvert
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    exporter = nbconvert.MarkdownExporter()
    body, resources = exporter.from_notebook_node(
        notebook, resources={"output_files_dir": f"{path.stem}_files"}
    )
    source = f"notebooks/{path.name}"
    note = (
        f"\n!!! note\n    This page is the notebook `{source}` with the outputs of its full"
        f" run. Open it in Jupyter (`pip install jupyterlab`, then `jupyter lab {source}`),"
        " or rebuild every notebook with `python scripts/notebooks.py`.\n"
    )
    # the note goes under the notebook's title, its first line
    title, _, rest = body.lstrip("\n").partition("\n")
    return f"{title}\n{note}\n{rest}", dict(resources.get("outputs", {}))


def on_files(files: Files, config: Any) -> Files:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        body, images = notebook_markdown(path)
        files.append(File.generated(config, f"notebooks/{path.stem}.md", content=body))
        for name, data in images.items():
            files.append(File.generated(config, f"notebooks/{name}", content=data))
    return files


# --------------------------------------------------------- generated sections


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _text(text: str) -> str:
    """Help text as Markdown: ``<recipe>`` stays visible instead of passing as a tag."""
    return html.escape(text, quote=False)


def cli_reference() -> str:
    """Every command of ``mlpkit`` with its usage and options, from the parser."""
    from mlpkit.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {action.dest: action.help for action in commands._choices_actions}
    parts = [
        "## `mlpkit`",
        "",
        f"```text\n{parser.format_usage().strip()}\n```",
        "",
        _options_table(parser),
        "",
    ]
    for name, command in commands.choices.items():
        parts += [
            f"## `mlpkit {name}`",
            "",
            _text(helps.get(name) or "").capitalize() + ".",
            "",
            f"```text\n{command.format_usage().strip()}\n```",
            "",
            _options_table(command),
            "",
        ]
    return "\n".join(parts) + "\n"


def _options_table(parser: argparse.ArgumentParser) -> str:
    rows = [_row(["argument", "meaning", "default"]), "|---|---|---|"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = "" if action.nargs == 0 else " " + (action.metavar or action.dest.upper())
            name = ", ".join(f"`{option}{metavar}`" for option in action.option_strings)
        else:
            name = f"`{action.metavar or action.dest}`"
        default = action.default
        hidden = default in (None, False, [], argparse.SUPPRESS) or action.nargs == 0
        shown = "" if hidden else f"`{default}`"
        rows.append(_row([name, _text(action.help or ""), shown]))
    return "\n".join(rows)


def recipe_table() -> str:
    """The built-in recipes, one row each, as ``mlpkit recipes`` lists them."""
    from mlpkit.recipes import builtin_names, load_recipe

    rows = [_row(["recipe", "what it trains"]), "|---|---|"]
    for name in builtin_names():
        rows.append(_row([f"`{name}`", _text(load_recipe(name).get("description", ""))]))
    return "\n".join(rows) + "\n"


def recipe_defaults() -> str:
    """Every recipe key with its default, as TOML."""
    from mlpkit.recipes import DEFAULTS, to_toml

    return f"```toml\n{to_toml(DEFAULTS).strip()}\n```\n"


def top_level_names() -> str:
    """``mlpkit.__all__``: each name linked to its entry in the reference."""
    import inspect

    import mlpkit

    rows = [_row(["name", "what it is"]), "|---|---|"]
    for name in sorted(mlpkit.__all__, key=str.lower):
        value = getattr(mlpkit, name)
        if name == "__version__":
            rows.append(_row(["`mlpkit.__version__`", f"the version, `{value}`"]))
            continue
        target = value.__name__ if inspect.ismodule(value) else f"{value.__module__}.{name}"
        summary = (inspect.getdoc(value) or "").split("\n\n")[0]
        rows.append(_row([f"[`mlpkit.{name}`][{target}]", summary]))
    return "\n".join(rows) + "\n"


MARKERS = {
    "<!-- mlpkit:cli -->": cli_reference,
    "<!-- mlpkit:recipes -->": recipe_table,
    "<!-- mlpkit:defaults -->": recipe_defaults,
    "<!-- mlpkit:names -->": top_level_names,
}


_SOURCE = re.compile(r"<!-- mlpkit:source ([\w.]+) -->")


def source_listing(path: str) -> str:
    """The source of the object at dotted ``path``, after a link to its reference entry.

    A private object (``SGD._update``) links to its nearest public owner.
    """
    import importlib
    import inspect
    import textwrap

    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        break
    public = ".".join(parts[: next((i for i, p in enumerate(parts) if p.startswith("_")), None)])
    where = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT)
    code = textwrap.dedent(inspect.getsource(obj)).rstrip()
    return f"[`{path}`][{public}], in `{where}`:\n\n```python\n{code}\n```"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    for marker, generate in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return _SOURCE.sub(lambda match: source_listing(match.group(1)), markdown)


# ------------------------------------------------------------------- formulas

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def _mathml(tex: str, display: str) -> str:
    from latex2mathml.converter import convert

    return convert(html.unescape(tex).strip(), display=display)


def on_page_content(content: str, page: Any, config: Any, files: Files) -> str:
    content = _BLOCK.sub(lambda m: f"<div>{_mathml(m.group(1), 'block')}</div>", content)
    return _INLINE.sub(lambda m: _mathml(m.group(1), "inline"), content)


# ------------------------------------------------------------ draw a digit


def on_post_build(config: Any) -> None:
    import mlpkit as mk

    draw = Path(config["site_dir"]) / "draw"
    draw.mkdir(exist_ok=True)
    mk.export_onnx(mk.load(WEB / "mnist.npz"), draw / "mnist.onnx")
    dist = WEB / "node_modules" / "onnxruntime-web" / "dist"
    if not dist.is_dir():  # info, not a warning: a strict build without npm still passes
        log.info("web/node_modules is absent (npm ci --prefix web): draw/ort/ left empty")
        return
    (draw / "ort").mkdir(exist_ok=True)
    for name in ORT_FILES:
        shutil.copyfile(dist / name, draw / "ort" / name)
