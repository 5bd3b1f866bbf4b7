"""Decision log in PostgreSQL (psycopg 3 and a connection pool): one log for many `router serve` replicas.

Same columns, decision ids and reading as the SQLite log; an identity column `seq` orders rows logged
in the same instant, as SQLite's rowid does. Logging never fails a route: a database error, or no
connection within `LOG_TIMEOUT`, is reported once (a `RuntimeWarning`) and the decision is returned
without a `decision_id`. The first write brings the schema up to `SCHEMA_VERSION` under an advisory
lock, so replicas starting together migrate once; `router log migrate` does it ahead of them.
Needs the `router[postgres]` extra.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.decision_log import base
from router.decision_log.base import COLUMNS, SCHEMA_VERSION, VERSION_TABLE, FailureNotice, LoggedDecision
from router.errors import DataError
from router.settings import DEFAULT_LOG_TEXT, LOG_POOL_SIZE, LOG_TIMEOUT

#: The statements that take a log from the version before to each version.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE IF NOT EXISTS decisions (
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            decision_id TEXT PRIMARY KEY,
            time TIMESTAMPTZ NOT NULL,
            text TEXT NOT NULL,
            probability DOUBLE PRECISION NOT NULL,
            threshold DOUBLE PRECISION NOT NULL,
            delegate BOOLEAN NOT NULL,
            uncertain BOOLEAN NOT NULL,
            criteria JSONB NOT NULL,
            model_version TEXT NOT NULL,
            registry_version TEXT
        )
        """,
        "CREATE INDEX IF NOT EXISTS decisions_time ON decisions (time, seq)",
    ),
}
VERSIONS = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
    "(version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
# The SQL below is composed from module constants only (column and table names); values are always bound.
INSERT = f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join('%s' for _ in COLUMNS)})"  # nosec B608
SELECT = f"SELECT {', '.join(COLUMNS)} FROM decisions"  # nosec B608
#: The advisory lock migrations hold (any constant; "router" in ASCII).
MIGRATION_LOCK = 0x726F75746572


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of a database (0: no log in it yet)."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)).fetchone()
    if row is None or not row[0]:
        return 0
    found = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()  # nosec B608
    return int(found[0]) if found is not None else 0


def upgrade(conn: psycopg.Connection[Any], where: str) -> int:
    """Apply the pending migrations in one transaction under the advisory lock; the version found before.

    The lock is taken before that transaction begins, so the transaction sees (and skips) whatever a
    replica that held the lock first has committed.
    """
    with conn.transaction():
        before = schema_version(conn)
    if not base.pending(before, where):
        return before
    with conn.transaction():
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        with conn.transaction():
            before = schema_version(conn)
            conn.execute(VERSIONS)
            for version in base.pending(before, where):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (version,))  # nosec B608
    finally:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return before


class PostgresDecisionLog:
    """Write decisions to a PostgreSQL database through a connection pool; read them back alike."""

    backend = "postgres"

    def __init__(
        self, url: str, text_mode: str = DEFAULT_LOG_TEXT, pool_size: int = LOG_POOL_SIZE, timeout: float = LOG_TIMEOUT
    ) -> None:
        self.url = url
        self.where = base.safe_address(url)
        self.text_mode = base.check_text_mode(text_mode)
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._closer: weakref.finalize[Any, Any] | None = None
        self._ready = False
        self._lock = threading.Lock()
        self._notice = FailureNotice(self.where)

    def _connections(self) -> ConnectionPool[psycopg.Connection[Any]]:
        """The pool, opened on first use (connections are made in the background)."""
        with self._lock:
            if self._pool is None:
                pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=self.timeout,
                    kwargs={"connect_timeout": max(1, round(self.timeout)), "application_name": "router"},
                    open=False,
                    name="router-decision-log",
                )
                pool.open(wait=False)
                self._pool = pool
                # Close the pool with its log (or at exit), from this side: its own workers cannot.
                self._closer = weakref.finalize(self, pool.close)
            return self._pool

    def close(self) -> None:
        """Close the pool's connections (a later call opens a new pool)."""
        with self._lock:
            closer, self._pool, self._closer = self._closer, None, None
        if closer is not None:
            closer()

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Write one row per decision in one transaction; their ids, or None if logging failed."""
        rows = base.new_rows(texts, decisions, metadata, self.text_mode)
        try:
            with self._connections().connection() as conn:
                if not self._ready:
                    upgrade(conn, self.where)
                    self._ready = True
                with conn.cursor() as cur:
                    cur.executemany(INSERT, [_values(r) for r in rows])
        except (psycopg.Error, DataError) as err:
            self._notice.warn(err)
            return None
        return [r.decision_id for r in rows]

    def _read(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query on an up-to-date log; `DataError` when it cannot be read or holds no log."""
        try:
            with self._connections().connection() as conn:
                with conn.transaction():
                    found = schema_version(conn)
                if found == 0:
                    raise DataError(f"{self.where}: no decision log here (run `router log migrate` to create one)")
                if not self._ready:
                    upgrade(conn, self.where)
                    self._ready = True
                return conn.execute(query, params).fetchall()
        except psycopg.Error as err:
            raise DataError(f"{self.where}: cannot read the decision log ({err})") from None

    def get(self, decision_id: str) -> LoggedDecision:
        """The logged decision with this id; `DataError` if there is none."""
        rows = self._read(f"{SELECT} WHERE decision_id = %s", (decision_id,))
        if not rows:
            raise DataError(f"{self.where}: no decision {decision_id!r}")
        return _row(rows[0])

    def all(self) -> Iterator[LoggedDecision]:
        """Every logged decision, oldest first."""
        return (_row(r) for r in self._read(f"{SELECT} ORDER BY time, seq"))

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago; how many."""
        self._read("SELECT 1")  # a log must be there
        try:
            with self._connections().connection() as conn:
                return int(conn.execute("DELETE FROM decisions WHERE time < %s", (base.cutoff(older_than),)).rowcount)
        except psycopg.Error as err:
            raise DataError(f"{self.where}: cannot purge the decision log ({err})") from None

    def migrate(self) -> base.Migration:
        """Create the log or bring its schema up to `SCHEMA_VERSION`."""
        try:
            with self._connections().connection() as conn:
                before = upgrade(conn, self.where)
        except psycopg.Error as err:
            raise DataError(f"{self.where}: cannot migrate the decision log ({err})") from None
        self._ready = True
        return base.Migration(self.where, self.backend, before, SCHEMA_VERSION)


def _values(row: LoggedDecision) -> tuple[Any, ...]:
    return (
        row.decision_id,
        datetime.fromisoformat(row.time),
        row.text,
        row.probability,
        row.threshold,
        row.delegate,
        row.uncertain,
        Jsonb(row.criteria),
        row.model_version,
        row.registry_version,
    )


def _row(row: tuple[Any, ...]) -> LoggedDecision:
    time = row[COLUMNS.index("time")].astimezone(UTC).isoformat(timespec="microseconds")
    return base.logged(row, time, list(row[COLUMNS.index("criteria")]))
