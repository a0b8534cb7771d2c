"""docs/architecture.md stays true: every module on it, on the floor the import graph gives."""

import re
from pathlib import Path

from test_import_graph import MODULES, floor_of

PAGE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def floors_on_the_page(text: str) -> dict[str, int]:
    """``{module: floor}`` from the page's ``### Floor N`` sections and their table rows."""
    floors, floor = {}, None
    for line in text.splitlines():
        heading = re.match(r"### Floor (\d+)\b", line)
        if heading:
            floor = int(heading.group(1))
        elif line.startswith("## "):
            floor = None
        row = re.match(r"\| `(mlpkit[\w.]*)` \|", line)
        if row and floor is not None:
            assert row.group(1) not in floors, f"{row.group(1)} is listed twice"
            floors[row.group(1)] = floor
    return floors


def test_every_module_is_on_the_page_on_its_floor():
    listed = floors_on_the_page(PAGE.read_text(encoding="utf-8"))
    missing = sorted(set(MODULES) - set(listed))
    gone = sorted(set(listed) - set(MODULES))
    assert missing == [], f"modules not on docs/architecture.md: {missing}"
    assert gone == [], f"docs/architecture.md lists modules that do not exist: {gone}"
    misplaced = {m: (f, floor_of(m)) for m, f in listed.items() if f != floor_of(m)}
    assert misplaced == {}, f"(page's floor, import graph's floor): {misplaced}"


def test_the_parser_sees_floors_and_rows():
    text = (
        "### Floor 1: x\n\n| module | what |\n|---|---|\n| `mlpkit.a` | a |\n"
        "## Other\n| `mlpkit.b` | b |\n"
    )
    assert floors_on_the_page(text) == {"mlpkit.a": 1}


def test_the_readme_and_docs_never_point_outside_the_repository():
    """A user's clone has no ``../shared``: nothing a user reads may send them there."""
    root = PAGE.parents[1]
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    pointing = [str(p.relative_to(root)) for p in pages if "../shared" in p.read_text("utf-8")]
    assert pointing == []
