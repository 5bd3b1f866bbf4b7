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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from router.decision_log import base
from router.decision_log.base import COLUMNS, VERSION_TABLE, LoggedDecision, SqlDecisionLog
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
RECORD_VERSION = base.insert_sql("%s", VERSION_TABLE, ("version",))
TABLE_EXISTS = "SELECT to_regclass(%s) IS NOT NULL"
INSERT = base.insert_sql("%s")
#: The advisory lock migrations hold (any constant; "router" in ASCII).
MIGRATION_LOCK = 0x726F75746572


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of a database (0: no log in it yet)."""
    return base.schema_version(conn.execute, TABLE_EXISTS)


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
            before = base.apply_migrations(
                conn.execute,
                TABLE_EXISTS,
                VERSIONS,
                MIGRATIONS,
                where,
                lambda version: conn.execute(RECORD_VERSION, (version,)),
            )
    finally:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return before


class PostgresDecisionLog(SqlDecisionLog):
    """Write decisions to a PostgreSQL database through a connection pool; read them back alike."""

    backend = "postgres"
    placeholder = "%s"
    tiebreak = "seq"
    write_errors = (psycopg.Error, DataError)

    def __init__(
        self, url: str, text_mode: str = DEFAULT_LOG_TEXT, pool_size: int = LOG_POOL_SIZE, timeout: float = LOG_TIMEOUT
    ) -> None:
        super().__init__(base.safe_address(url), text_mode)
        self.url = url
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._closer: weakref.finalize[Any, Any] | None = None
        self._ready = False
        self._lock = threading.Lock()

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
                    # A connection the server dropped (a restart, a failover) is replaced at checkout, so
                    # no write after the database is back goes unlogged.
                    check=ConnectionPool.check_connection,
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

    def prepare(self) -> None:
        """Start connecting in the background; the schema is checked on the first write (no wait at load)."""
        self._connections()

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        """Bring the schema up to `SCHEMA_VERSION` on this log's first use (later uses skip the check)."""
        if not self._ready:
            upgrade(conn, self.where)
            self._ready = True

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        with self._connections().connection() as conn:
            self._ensure_schema(conn)
            with conn.cursor() as cur:
                cur.executemany(INSERT, rows)

    @contextmanager
    def _maintenance(self, doing: str = "read") -> Iterator[psycopg.Connection[Any]]:
        """One pooled connection to an up-to-date log, for reads and purges (in one transaction).

        `DataError` when the database holds no log, or the connection or a statement fails.
        """
        try:
            with self._connections().connection() as conn:
                if not self._ready:
                    with conn.transaction():
                        found = schema_version(conn)
                    if found == 0:
                        raise DataError(f"{self.where}: no decision log here (run `router log migrate` to create one)")
                    if base.pending(found, self.where):
                        upgrade(conn, self.where)
                    self._ready = True
                yield conn
        except psycopg.Error as err:
            raise DataError(f"{self.where}: cannot {doing} the decision log ({err})") from None

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago; how many."""
        with self._maintenance("purge") as conn:
            return int(conn.execute("DELETE FROM decisions WHERE time < %s", (base.cutoff(older_than),)).rowcount)

    def _upgrade(self) -> int:
        """Create the log or bring its schema up to `SCHEMA_VERSION`; the version found before."""
        try:
            with self._connections().connection() as conn:
                before = upgrade(conn, self.where)
        except psycopg.Error as err:
            raise DataError(f"{self.where}: cannot migrate the decision log ({err})") from None
        self._ready = True
        return before

    @staticmethod
    def _values(row: LoggedDecision) -> tuple[Any, ...]:
        return base.values(row, time=datetime.fromisoformat(row.time), criteria=Jsonb(row.criteria))

    @staticmethod
    def _row(row: tuple[Any, ...]) -> LoggedDecision:
        time = row[COLUMNS.index("time")].astimezone(UTC).isoformat(timespec="microseconds")
        return base.logged(row, time, list(row[COLUMNS.index("criteria")]))
