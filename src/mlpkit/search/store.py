"""The trial store of a hyper-parameter search: one SQLite file.

One row per trial (a set of recipe overrides and a seed). Only the process
that runs the search writes, one short transaction per finished trial, in
WAL mode: a search killed at any moment leaves a readable database holding
every trial that had finished, and a rerun of the same command skips them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["TrialStore", "trial_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    key TEXT PRIMARY KEY,        -- JSON [overrides, seed]: what makes a trial itself
    overrides TEXT NOT NULL,     -- JSON list of "section.key=value"
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,        -- running | done | failed
    score REAL,                  -- validation accuracy (or R2) at the end of training
    metrics TEXT,                -- JSON: final validation metrics, epochs run
    history TEXT,                -- JSON: per-epoch columns (loss, val_accuracy, ...)
    wall_time REAL,              -- seconds the trial took in its worker
    error TEXT,                  -- why a failed trial failed
    updated REAL NOT NULL        -- Unix time of the row's last change
);
"""


#: The columns ``trials`` returns, in order (``key`` is also in the table).
_COLUMNS = (
    "overrides",
    "seed",
    "status",
    "score",
    "metrics",
    "history",
    "wall_time",
    "error",
    "updated",
)


def _create(path: Path) -> None:
    """Make a new database with its schema, so that no reader ever sees it without one.

    The schema is written to a temporary file in the same folder, which is
    then hard-linked into place: the name appears complete or not at all. If
    another process made ``path`` meanwhile, its database is kept.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # kept in the file
            with connection:
                connection.executescript(_SCHEMA)
        finally:
            connection.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another search created it first: use that one
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        # Also when the schema could not be written (a full disk): leave nothing behind.
        for leftover in ("", "-wal", "-shm", "-journal"):
            Path(f"{temporary}{leftover}").unlink(missing_ok=True)


def trial_key(overrides: list[str], seed: int) -> str:
    """The key a trial is stored under: its overrides and seed as JSON."""
    return json.dumps([list(overrides), int(seed)])


class TrialStore:
    """The SQLite file of one search.

    Parameters
    ----------
    path : str or Path
        Created with its folder if missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock: BinaryIO | None = None  # the open file whose lock this process holds
        if not self.path.exists():
            _create(self.path)
        self._db = sqlite3.connect(self.path, timeout=30)
        try:
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
            if columns != {"key", *_COLUMNS} or "meta" not in tables:
                raise ValueError(
                    f"{self.path} is not an mlpkit search database (it has no search tables); "
                    "pass another --db (nothing was changed in it)"
                )
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ValueError(
                f"{self.path} is not a search database ({error}); nothing was changed in it"
            ) from error
        except ValueError:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the database and release the file lock."""
        self._db.close()
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def lock(self) -> None:
        """Make this process the only search writing trials here, until ``close``.

        A second search on the same file would run the same trials again; it
        fails at once instead. The lock is ``flock`` on the database file (not
        SQLite's own locks), released when the process ends in any way.
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return
        handle = open(self.path, "rb")  # noqa: SIM115 - held open until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ValueError(
                f"another mlpkit search is running on {self.path}; wait for it to finish "
                "or pass another --db"
            ) from None
        self._lock = handle

    def __enter__(self) -> TrialStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the search the file belongs to ---------------------------------------------
    def check_base(self, name: str, value: str) -> None:
        """Remember ``value`` under ``name``, or fail if the file holds another one.

        Guards a database against trials of a different base recipe: their
        scores would not be comparable.
        """
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        if row is None:
            with self._db:
                self._db.execute("INSERT INTO meta VALUES (?, ?)", (name, value))
        elif row[0] != value and not _same_toml(row[0], value):
            raise ValueError(
                f"{self.path} holds a search with a different {name}; "
                "pass another --db for this one (nothing was changed in it)"
            )

    def meta(self, name: str) -> str | None:
        """The stored value of the search setting ``name``, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    # -- trials ------------------------------------------------------------------------
    def finished_keys(self) -> set[str]:
        """Keys (:func:`trial_key`) of the trials that finished."""
        rows = self._db.execute("SELECT key FROM trials WHERE status = 'done'")
        return {key for (key,) in rows}

    def mark_running(self, overrides: list[str], seed: int) -> None:
        """Record that a trial has started (a killed search shows it as running)."""
        with self._db:
            self._db.execute(
                "INSERT INTO trials (key, overrides, seed, status, updated) "
                "VALUES (?, ?, ?, 'running', ?) ON CONFLICT(key) DO UPDATE SET "
                "status = 'running', score = NULL, metrics = NULL, history = NULL, "
                "wall_time = NULL, error = NULL, updated = excluded.updated",
                (trial_key(overrides, seed), json.dumps(overrides), seed, time.time()),
            )

    def record(self, overrides: list[str], seed: int, result: dict[str, Any]) -> None:
        """Store a trial's outcome (``result`` as ``search.run_trial`` returns it)."""
        with self._db:
            self._db.execute(
                "UPDATE trials SET status = ?, score = ?, metrics = ?, history = ?, "
                "wall_time = ?, error = ?, updated = ? WHERE key = ?",
                (
                    result["status"],
                    result.get("score"),
                    json.dumps(result.get("metrics", {})),
                    json.dumps(result.get("history", {})),
                    result.get("wall_time"),
                    result.get("error"),
                    time.time(),
                    trial_key(overrides, seed),
                ),
            )

    def trials(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every trial (or those with ``status``) as a dict, in insertion order."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM trials"
        query += (" WHERE status = ?" if status else "") + " ORDER BY rowid"
        rows = self._db.execute(query, (status,) if status else ())
        found = []
        for row in rows:
            trial = dict(zip(_COLUMNS, row, strict=True))
            for column in ("overrides", "metrics", "history"):
                trial[column] = json.loads(trial[column]) if trial[column] else {}
            found.append(trial)
        return found


def _same_toml(stored: str, value: str) -> bool:
    """Whether two texts are the same TOML document written differently.

    The recipe is stored as TOML; a newer mlpkit may lay the same recipe out
    otherwise (layer tables one per line), which is no reason to refuse a
    search it began.
    """
    import tomllib

    try:
        return tomllib.loads(stored) == tomllib.loads(value)
    except tomllib.TOMLDecodeError:
        return False
