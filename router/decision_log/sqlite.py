"""Decision log in an SQLite file in WAL mode: the embedded default, for one machine.

Logging never fails a route nor holds it up: an SQLite or OS error, or a lock held elsewhere for more
than `LOG_LOCK_TIMEOUT` (100 ms), is reported once (a `RuntimeWarning`) and the decision is returned
without a `decision_id`. One connection per thread; a batch is one transaction; the process's threads
take turns to write. `load_router` creates the file and its schema before the first route (`prepare`);
every connection also brings the file's schema up to `SCHEMA_VERSION`.

Privacy: the file (and its WAL and shared-memory files) is created 0600 and tightened to 0600 when
found looser; the text is stored whole, redacted or as a hash (`text_mode`); deleted rows are
overwritten (`secure_delete`), and `purge` removes rows older than a cut-off.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router.decision_log import base
from router.decision_log.base import VERSION_TABLE, LoggedDecision, SqlDecisionLog
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
RECORD_VERSION = base.insert_sql("?", VERSION_TABLE, ("version", "applied_at"))
TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
INSERT = base.insert_sql("?")


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version of an open log (0: none recorded, a new file or one from before versions)."""
    return base.schema_version(conn.execute, TABLE_EXISTS)


def upgrade(conn: sqlite3.Connection, where: str) -> int:
    """Apply the pending migrations in one immediate (write-locked) transaction; the version found before."""
    before = schema_version(conn)
    if not base.pending(before, where):
        return before
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = base.apply_migrations(
            conn.execute,
            TABLE_EXISTS,
            VERSIONS,
            MIGRATIONS,
            where,
            lambda version: conn.execute(RECORD_VERSION, (version, datetime.now(UTC).isoformat())),
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return before


class DecisionLog(SqlDecisionLog):
    """Write decisions to an SQLite file (created on first use); read them back for feedback and review."""

    backend = "sqlite"
    placeholder = "?"
    tiebreak = "rowid"
    write_errors = (sqlite3.Error, OSError, DataError, ValueError)  # ValueError: text SQLite cannot encode

    def __init__(self, path: str | Path, text_mode: str = DEFAULT_LOG_TEXT) -> None:
        self.path = Path(path)
        super().__init__(str(self.path), text_mode)
        self._local = threading.local()
        self._writing = threading.Lock()

    def _private_files(self) -> None:
        """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode); tighten old ones."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{self.path}{suffix}")
            if path.is_file() and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
                path.chmod(FILE_MODE)

    def _open(self, timeout: float | None = None) -> tuple[sqlite3.Connection, int]:
        """A new connection to an up-to-date schema, and the version the file had before.

        `timeout` is how long it waits for a lock (default: `LOG_LOCK_TIMEOUT`, the routing path's bound).
        """
        self._private_files()
        conn = sqlite3.connect(self.path, timeout=LOG_LOCK_TIMEOUT if timeout is None else timeout)
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

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        # SQLite has one writer at a time: this process's threads take turns on a lock that wakes the next at
        # once, instead of polling SQLite's busy handler (whose growing sleeps can overrun the timeout).
        if not self._writing.acquire(timeout=LOG_LOCK_TIMEOUT):
            raise sqlite3.OperationalError(f"another thread held the log for over {LOG_LOCK_TIMEOUT * 1000:.0f} ms")
        try:
            conn = self._connect()
            with conn:
                conn.executemany(INSERT, rows)
        except self.write_errors:
            self._drop()  # the thread's next write opens a fresh connection
            raise
        finally:
            self._writing.release()

    def prepare(self) -> None:
        """Create the file and its schema now, off the routing path; a failure is left for the first write."""
        with suppress(DataError):
            self._upgrade()

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
        conn, _ = self._open_for_maintenance()
        try:
            yield conn
        except sqlite3.Error as err:
            raise DataError(f"{self.path}: cannot read the decision log ({err})") from None
        finally:
            conn.close()

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago, overwriting them on disk; how many."""
        with self._maintenance() as conn:
            with conn:
                deleted = conn.execute("DELETE FROM decisions WHERE time < ?", (base.cutoff(older_than),)).rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(deleted)

    def _open_for_maintenance(self) -> tuple[sqlite3.Connection, int]:
        """`_open` with maintenance's patience; `DataError` when the file cannot be opened or migrated."""
        try:
            return self._open(MAINTENANCE_TIMEOUT)
        except (sqlite3.Error, OSError) as err:
            raise DataError(f"{self.path}: cannot open the decision log ({err})") from None

    def _upgrade(self) -> int:
        """Create the file or bring its schema up to `SCHEMA_VERSION`; the version found before."""
        conn, before = self._open_for_maintenance()
        conn.close()
        return before

    @staticmethod
    def _values(row: LoggedDecision) -> tuple[Any, ...]:
        return base.values(
            row, delegate=int(row.delegate), uncertain=int(row.uncertain), criteria=json.dumps(row.criteria)
        )

    @staticmethod
    def _row(row: tuple[Any, ...]) -> LoggedDecision:
        return base.logged(row, row[base.COLUMNS.index("time")], json.loads(row[base.COLUMNS.index("criteria")]))
