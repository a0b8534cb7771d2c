"""Hostile arguments to the project's scripts (issue 26): exit 2 with a line, before any work.

Before these checks ``scripts/results.py --only`` with a pattern that matched
nothing and ``scripts/weights_digest.py --only`` with no recipe did nothing and
exited 0; an unknown notebook name exited 1; a notebook source with code before
its first cell marker and an unknown recipe to the digest script gave tracebacks.
"""

import pytest

from helpers import load_script


def _usage_error(main, argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def results():
    return load_script("scripts/results.py")


def test_results_only_matching_nothing_is_refused(results, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(results, "run_recipe", lambda *args: ran.append(args))
    monkeypatch.setattr(results, "update_section", lambda *args: ran.append(args))
    line = _usage_error(results.main, ["--only", "e3-cnn*", "e9-*"], capsys)
    assert "--only ['e9-*'] matches no recipe; recipes: " in line and "e3-cnn" in line
    line = _usage_error(results.main, ["--only"], capsys)
    assert "--only needs at least one pattern" in line
    assert ran == []  # nothing trained, no table rewritten


def test_weights_digest_only_needs_known_recipes(capsys, monkeypatch):
    digest = load_script("scripts/weights_digest.py")
    monkeypatch.setattr(digest, "trained_digest", lambda *args: pytest.fail("trained"))
    assert "--only needs at least one recipe" in _usage_error(digest.main, ["--only"], capsys)
    line = _usage_error(digest.main, ["--only", "no-such-recipe"], capsys)
    assert "--only names ['no-such-recipe'], which have no recorded run; known: " in line


def test_notebooks_refuse_unknown_names_and_bad_sources(capsys, monkeypatch, tmp_path):
    notebooks = load_script("scripts/notebooks.py")
    monkeypatch.setattr(notebooks, "run", lambda *args, **kwargs: pytest.fail("ran"))
    line = _usage_error(notebooks.main, ["no-such-notebook", "--check"], capsys)
    assert "no notebook source for ['no-such-notebook']; there are [" in line
    (tmp_path / "bad.py").write_text("import numpy\n# %%\nx = 1\n")
    monkeypatch.setattr(notebooks, "SOURCES", tmp_path)
    line = _usage_error(notebooks.main, ["bad", "--check"], capsys)
    assert "code before the first '# %%' cell marker: 'import numpy'" in line
