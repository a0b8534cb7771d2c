"""Build the notebooks from their sources, run them, and store them with their outputs.

Each ``notebooks/src/NAME.py`` is a script in the "percent" format: cells
start at lines ``# %%`` (code) or ``# %% [markdown]`` (Markdown, every line
behind ``# ``). Comment lines before the first cell are directives, not
cells: ``# mlpkit-notebook: needs MLPKIT_DATA`` says the notebook reads the
real data sets (tests skip it without them). It becomes
``notebooks/NAME.ipynb``, executed top to bottom in a fresh Jupyter kernel,
with its outputs. The sources are what is edited
and reviewed; the notebooks are regenerated, never edited by hand.

    MLPKIT_DATA=/path/to/datasets python scripts/notebooks.py   # full runs, written
    python scripts/notebooks.py --quick --check                   # quick runs, nothing written
    python scripts/notebooks.py 00-backprop-by-hand               # one notebook

``--quick`` sets ``MLPKIT_QUICK=1`` for the kernel: fewer epochs and data
subsets, each notebook in under 2 minutes on 2 cores. ``--check`` runs
without writing (what CI does); any cell's error fails the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "src"
NOTEBOOKS = ROOT / "notebooks"


def cells_of(source: str) -> list[tuple[str, str]]:
    """``(kind, text)`` per cell of a percent-format script; kind is 'code' or 'markdown'."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif not cells:  # before the first cell: directives such as "# mlpkit-notebook: ..."
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"code before the first '# %%' cell marker: {line!r}")
        elif cells[-1][0] == "markdown":
            if line and not line.startswith("#"):
                raise ValueError(f"a Markdown cell's lines start with '#': {line!r}")
            cells[-1][1].append(line[2:] if line.startswith("# ") else line[1:])
        else:
            cells[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def notebook_of(source: str):
    """An nbformat notebook (not yet run) from a percent-format script."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, text in cells_of(source):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(text))
    return notebook


def run(notebook, quick: bool, timeout: int | None = None):
    """Execute ``notebook`` in place in a fresh kernel (this interpreter's); return it.

    ``timeout`` bounds each cell in seconds (None: no bound; a full run of the
    E3 CNN trains for 15 minutes or more in one cell).
    """
    from nbclient import NotebookClient

    previous = os.environ.get("MLPKIT_QUICK")
    os.environ["MLPKIT_QUICK"] = "1" if quick else "0"  # the kernel inherits the environment
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        ).execute()
    finally:
        if previous is None:
            del os.environ["MLPKIT_QUICK"]
        else:
            os.environ["MLPKIT_QUICK"] = previous
    return notebook


def names(chosen: list[str]) -> list[str]:
    """The notebooks to build: ``chosen``, or all. Raises ValueError naming unknown ones."""
    found = sorted(path.stem for path in SOURCES.glob("*.py"))
    unknown = sorted(set(chosen) - set(found))
    if unknown:
        raise ValueError(f"no notebook source for {unknown}; there are {found}")
    return chosen or found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (default: all)")
    parser.add_argument("--quick", action="store_true", help="MLPKIT_QUICK=1: fewer epochs")
    parser.add_argument("--check", action="store_true", help="run only; write nothing")
    args = parser.parse_args(argv)

    import nbformat

    try:  # every source is read and split before any runs: a bad one is exit 2 at once
        chosen = names(args.names)
        cells = {name: notebook_of((SOURCES / f"{name}.py").read_text()) for name in chosen}
    except ValueError as error:
        parser.error(str(error))
    for name in chosen:
        started = time.perf_counter()
        notebook = run(cells[name], args.quick, timeout=600 if args.quick else None)
        seconds = time.perf_counter() - started
        if not args.check:
            target = NOTEBOOKS / f"{name}.ipynb"
            temporary = target.with_suffix(".ipynb.tmp")
            nbformat.write(notebook, temporary)
            temporary.replace(target)  # a run that fails leaves the stored notebook as it was
        print(f"{name}: ran in {seconds:.0f} s{'' if args.check else ', written'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
