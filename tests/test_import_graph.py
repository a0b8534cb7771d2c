"""The import graph: no cycle, and imports only point down the floors of DESIGN.md.

Every ``import`` statement of every module counts, wherever it stands: at the
top, inside a function, or under ``if TYPE_CHECKING``. (A package's own
``__init__`` running before its submodules is Python's doing, not an import
statement, and is not an edge.)
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "mlpkit"

# The floors of DESIGN.md, as module-name prefixes. Floor 0 and 1 are DESIGN's
# first floor split in two: _validation, _version and _memory import nothing from
# mlpkit; metrics, initializers, kernels, _figures and _npz import only them.
FLOORS = {
    0: ["mlpkit._validation", "mlpkit._version", "mlpkit._memory"],
    1: [
        "mlpkit.metrics",
        "mlpkit.initializers",
        "mlpkit.kernels",
        "mlpkit._figures",
        "mlpkit._npz",
    ],
    2: [
        "mlpkit.layers",
        "mlpkit._provenance",
        "mlpkit.losses",
        "mlpkit.optimizers",
        "mlpkit.schedules",
        "mlpkit.training",
        "mlpkit.objective",
        "mlpkit.preflight",
        "mlpkit.history",
        "mlpkit.hooks",
        "mlpkit.callbacks",
        "mlpkit.network",
        "mlpkit.targets",
        "mlpkit.builders",
        "mlpkit.gradcheck",
        "mlpkit.io",
        "mlpkit.datasets",
        "mlpkit.summary",
        "mlpkit.curves",
    ],
    3: [
        "mlpkit.recipes",
        "mlpkit.runs",
        "mlpkit.plots",
        "mlpkit.progress",
        "mlpkit.search",
        "mlpkit.sklearn",
        "mlpkit.export",
        "mlpkit.cli",
    ],
    4: ["mlpkit", "mlpkit.__main__"],  # the package's face: it may import anything
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> int:
    matches = [
        (len(prefix), floor)
        for floor, prefixes in FLOORS.items()
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    if not matches:
        raise AssertionError(f"{module} is on no floor: add it to FLOORS and to DESIGN.md")
    return max(matches)[1]


def imported_modules(module: str) -> set[str]:
    """The mlpkit modules that ``module``'s import statements name, anywhere in it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imported_modules(module) for module in MODULES}


def test_every_module_is_on_a_floor():
    for module in MODULES:
        floor_of(module)


def test_imports_point_only_down_the_floors():
    upward = [
        f"{module} (floor {floor_of(module)}) imports {target} (floor {floor_of(target)})"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if floor_of(target) > floor_of(module)
    ]
    assert upward == []


def test_the_leaves_import_nothing_from_mlpkit():
    for module in FLOORS[0]:
        assert GRAPH[module] == set(), module


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of modules, or None (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set(), "c": {"c"}}, ["c", "c"]),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert find_cycle(graph) == expected


def test_function_level_and_type_checking_imports_count(tmp_path, monkeypatch):
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from mlpkit.network import Network\n"
        "def f():\n    from mlpkit import plots\n    import mlpkit.runs\n"
    )
    monkeypatch.setitem(MODULES, "mlpkit.fake", tmp_path / "fake.py")
    (tmp_path / "fake.py").write_text(source)
    assert imported_modules("mlpkit.fake") == {"mlpkit.network", "mlpkit.plots", "mlpkit.runs"}
