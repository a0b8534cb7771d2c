"""The package stays readable in pieces: no module over 400 lines, no function over 60.

A function's length counts its signature and body, not its docstring (a long
numpydoc docstring is welcome). These limits are the redesign's (issue 28):
a module that outgrows them is split by what it does, not cut to fit.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "mlpkit"
MODULE_LINES = 400
FUNCTION_LINES = 60


def _function_lengths(tree: ast.AST) -> list[tuple[str, int]]:
    lengths = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0]
        has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        docstring_lines = first.end_lineno - first.lineno + 1 if has_docstring else 0
        length = node.end_lineno - node.lineno + 1 - docstring_lines
        lengths.append((f"{node.name} (line {node.lineno})", length))
    return lengths


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(SOURCE)): n
        for path in SOURCE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines_besides_its_docstring():
    long = {}
    for path in SOURCE.rglob("*.py"):
        for name, length in _function_lengths(ast.parse(path.read_text())):
            if length > FUNCTION_LINES:
                long[f"{path.relative_to(SOURCE)}: {name}"] = length
    assert long == {}


def test_the_measure_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    tree = ast.parse(f'def f():\n    """Doc."""\n{body}\n')
    assert _function_lengths(tree) == [("f (line 1)", FUNCTION_LINES + 1)]
