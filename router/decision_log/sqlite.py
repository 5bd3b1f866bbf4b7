"""Decision log in an SQLite file in WAL mode: the embedded default, for one machine.

Logging never fails a route nor holds it up: an SQLite or OS error, or a lock held elsewhere for more
than `LOG_LOCK_TIMEOUT` (100 ms), is reported once (a `RuntimeWarning`) and the decision is returned
without a `decision_id`. One connection per thread; a batch is one transaction. Every connection first
brings the file's schema up to `SCHEMA_VERSION` (the first one creates it).

Privacy: the file (and its WAL and shared-memory files) is created 0600 and tightened to 0600 when
found looser; the text is stored whole, redacted or as a hash (`text_mode`); deleted rows are
overwritten (`secure_delete`), and `purge` removes rows older than a cut-off.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.decision_log.base import (
    COLUMNS,
    SCHEMA_VERSION,
    VERSION_TABLE,
    FailureNotice,
    LoggedDecision,
    Migration,
    check_text_mode,
    cutoff,
    logged,
    new_rows,
    pending,
)
from router.errors import DataError
from router.settings import DEFAULT_LOG_TEXT, LOG_LOCK_TIMEOUT

#: Permissions of the log's files: the owner only (prompts can hold anything).
FILE_MODE = 0o600
#: How long maintenance (purge, reads, migration) waits for a lock: it is not on the routing path.
MAINTENANCE_TIMEOUT = 10.0

#: The statements that take a log from the version before to each version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE IF NOT EXISTS decisions (
            decision_id TEXT PRIMARY KEY,
            time TEXT NOT NULL,
            text TEXT NOT NULL,
            probability REAL NOT NULL,
            threshold REAL NOT NULL,
            delegate INTEGER NOT NULL,
            uncertain INTEGER NOT NULL,
            criteria TEXT NOT NULL,
            model_version TEXT NOT NULL,
            registry_version TEXT
        )
        """,
        "CREATE INDEX IF NOT EXISTS decisions_time ON decisions (time)",
    ),
}
VERSIONS = f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
# The SQL here is composed from module constants only (column and table names); values are always bound.
INSERT = f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"  # nosec B608


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version of an open log (0: none recorded, a new file or one from before versions)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)).fetchone()
    if found is None:
        return 0
    return int(conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0])  # nosec B608


def upgrade(conn: sqlite3.Connection, where: str) -> int:
    """Apply the pending migrations in one immediate (write-locked) transaction; the version found before."""
    before = schema_version(conn)
    if not pending(before, where):
        return before
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = schema_version(conn)  # another connection may have migrated while we waited for the lock
        conn.execute(VERSIONS)
        for version in pending(before, where):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?, ?)", (version, datetime.now(UTC).isoformat()))  # nosec B608
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return before


class DecisionLog:
    """Write decisions to an SQLite file (created on first use); read them back for feedback and review."""

    backend = "sqlite"

    def __init__(self, path: str | Path, text_mode: str = DEFAULT_LOG_TEXT) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        self.text_mode = check_text_mode(text_mode)
        self._local = threading.local()
        self._notice = FailureNotice(self.where)

    def _private_files(self) -> None:
        """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode); tighten old ones."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{self.path}{suffix}")
            if path.is_file() and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
                path.chmod(FILE_MODE)

    def _open(self, timeout: float = LOG_LOCK_TIMEOUT) -> tuple[sqlite3.Connection, int]:
        """A new connection to an up-to-date schema, and the version the file had before."""
        self._private_files()
        conn = sqlite3.connect(self.path, timeout=timeout)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")
            before = upgrade(conn, self.where)
        except (sqlite3.Error, DataError):
            conn.close()
            raise
        return conn, before

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn, _ = self._open()
            self._local.conn = conn
        return conn

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Write one row per decision in one transaction; their ids, or None if logging failed."""
        rows = new_rows(texts, decisions, metadata, self.text_mode)
        try:
            conn = self._connect()
            with conn:
                conn.executemany(INSERT, [_values(r) for r in rows])
        except (sqlite3.Error, OSError, DataError, ValueError) as err:  # ValueError: text SQLite cannot encode
            self._drop()
            self._notice.warn(err)
            return None
        return [r.decision_id for r in rows]

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    @contextmanager
    def _maintenance(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for reads and purges, which may wait for locks (never used to route)."""
        if not self.path.is_file():
            raise DataError(f"{self.path}: no decision log here")
        try:
            conn, _ = self._open(MAINTENANCE_TIMEOUT)
        except (sqlite3.Error, OSError) as err:
            raise DataError(f"{self.path}: cannot open the decision log ({err})") from None
        try:
            yield conn
        except sqlite3.Error as err:
            raise DataError(f"{self.path}: cannot read the decision log ({err})") from None
        finally:
            conn.close()

    def get(self, decision_id: str) -> LoggedDecision:
        """The logged decision with this id; `DataError` if there is none."""
        with self._maintenance() as conn:
            query = f"SELECT {', '.join(COLUMNS)} FROM decisions WHERE decision_id = ?"  # nosec B608
            row = conn.execute(query, (decision_id,)).fetchone()
        if row is None:
            raise DataError(f"{self.path}: no decision {decision_id!r}")
        return _row(row)

    def all(self) -> Iterator[LoggedDecision]:
        """Every logged decision, oldest first."""
        with self._maintenance() as conn:
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM decisions ORDER BY time, rowid").fetchall()  # nosec B608
        return (_row(r) for r in rows)

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago, overwriting them on disk; how many."""
        with self._maintenance() as conn:
            with conn:
                deleted = conn.execute("DELETE FROM decisions WHERE time < ?", (cutoff(older_than),)).rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(deleted)

    def migrate(self) -> Migration:
        """Create the file or bring its schema up to `SCHEMA_VERSION`."""
        try:
            conn, before = self._open(MAINTENANCE_TIMEOUT)
        except (sqlite3.Error, OSError) as err:
            raise DataError(f"{self.path}: cannot open the decision log ({err})") from None
        conn.close()
        return Migration(self.where, self.backend, before, SCHEMA_VERSION)


def _values(row: LoggedDecision) -> tuple[Any, ...]:
    return (
        row.decision_id,
        row.time,
        row.text,
        row.probability,
        row.threshold,
        int(row.delegate),
        int(row.uncertain),
        json.dumps(row.criteria),
        row.model_version,
        row.registry_version,
    )


def _row(row: tuple[Any, ...]) -> LoggedDecision:
    return logged(row, row[COLUMNS.index("time")], json.loads(row[COLUMNS.index("criteria")]))
