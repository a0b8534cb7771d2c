"""Hostile input and faults (issue 13): each case asserts the exact outcome.

A growing corpus: bad arguments, damaged or foreign files, and faults. Every
case checks what the user sees (the error and its message) and that nothing
the user had was changed.
"""

import hashlib
import sqlite3
import subprocess
import sys

import pytest

from mlpkit.searchdb import TrialStore


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign_database(path):
    """An unrelated SQLite database in rollback-journal mode, as a user might own."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (name TEXT)")
        connection.execute("INSERT INTO people VALUES ('ada')")
    connection.close()
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not an mlpkit search database"),
        (b"not a database at all, just text\n" * 40, "is not a search database"),
        (b"", "is not an mlpkit search database"),
    ],
)
def test_search_refuses_a_file_that_is_not_its_database_and_leaves_it_alone(
    tmp_path, content, message
):
    path = tmp_path / "mine.sqlite"
    if content is None:
        foreign_database(path)
    else:
        path.write_bytes(content)
    before = digest(path)
    with pytest.raises(ValueError, match=message):
        TrialStore(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.sqlite"]  # no -wal, no -shm
    if content is None:
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_search_cli_refuses_a_foreign_database_in_one_line(tmp_path):
    path = foreign_database(tmp_path / "mine.sqlite")
    before = digest(path)
    result = subprocess.run(
        [sys.executable, "-m", "mlpkit", "search", "optdigits-mlp", "--db", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is not an mlpkit search database" in result.stderr
    assert digest(path) == before


def test_a_new_search_database_is_complete_the_moment_it_appears(tmp_path):
    """Made aside and linked into place: a reader finds the schema or no file at all."""
    path = tmp_path / "sub" / "new.sqlite"
    with TrialStore(path) as store:
        assert store.trials() == []
    assert sorted(
        p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))
    ) == ["new.sqlite"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT count(*) FROM trials").fetchone()[0] == 0


def test_a_database_made_meanwhile_by_another_search_is_kept(tmp_path, monkeypatch):
    import mlpkit.searchdb as searchdb

    path = tmp_path / "race.sqlite"
    with TrialStore(tmp_path / "other.sqlite") as other:  # made before the patch
        other.check_base("recipe", "theirs")
    real_link = searchdb.os.link

    def other_search_first(source, target):
        (tmp_path / "other.sqlite").rename(target)  # the other search wins the race
        return real_link(source, target)

    monkeypatch.setattr(searchdb.os, "link", other_search_first)
    with TrialStore(path) as store:
        assert store.meta("recipe") == "theirs"
    assert not list(tmp_path.glob(".*.new"))
