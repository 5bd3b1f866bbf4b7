"""What every decision log backend shares: the logged row, the schema version, the SQL and the store itself.

A backend turns `LoggedDecision`s into its own column types and back; the columns, their meaning and the
32-hex decision ids are the same in every backend, so review and feedback read any of them alike.
`SqlDecisionLog` holds what the SQLite and PostgreSQL logs do alike; each supplies its connections.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.decision_log.redact import stored_text
from router.errors import DataError
from router.settings import LOG_TEXT_MODES

#: The schema version this code writes and reads; `router log migrate` brings older logs up to it.
SCHEMA_VERSION = 1
#: The table recording which schema versions were applied, and when.
VERSION_TABLE = "decision_log_version"
#: Every backend's `decisions` columns, in this order.
COLUMNS = (
    "decision_id",
    "time",
    "text",
    "probability",
    "threshold",
    "delegate",
    "uncertain",
    "criteria",
    "model_version",
    "registry_version",
)

# The SQL below is composed from module constants (table and column names) and a backend's placeholder only;
# values are always bound.
#: Every column of `decisions`, in `COLUMNS` order.
SELECT = f"SELECT {', '.join(COLUMNS)} FROM decisions"  # nosec B608
#: The highest schema version recorded in the version table.
CURRENT_VERSION = f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}"  # nosec B608

#: Runs one statement, with its parameters if any, and returns a cursor: a connection's `execute`.
Execute = Callable[..., Any]


@dataclass(frozen=True)
class LoggedDecision:
    """One row of the decision log."""

    decision_id: str
    time: str
    text: str
    probability: float
    threshold: float
    delegate: bool
    uncertain: bool
    criteria: list[dict[str, Any]]
    model_version: str
    registry_version: str | None

    @property
    def criterion_ids(self) -> list[str]:
        """The ids of the criteria the model matched."""
        return [c["id"] for c in self.criteria]


@dataclass(frozen=True)
class Migration:
    """What `router log migrate` did: the schema version before and after."""

    log: str
    backend: str
    before: int
    after: int


class DecisionStore(Protocol):
    """A decision log: written by routers, read by review and feedback."""

    #: Where the log is, safe to print (no password).
    where: str

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Write one row per decision in one transaction; their ids, or None if logging failed."""

    def get(self, decision_id: str) -> LoggedDecision:
        """The logged decision with this id; `DataError` if there is none."""

    def all(self) -> Iterator[LoggedDecision]:
        """Every logged decision, oldest first."""

    def migrate(self) -> Migration:
        """Create the log or bring its schema up to `SCHEMA_VERSION`."""

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago; how many."""

    def prepare(self) -> None:
        """Get ready for the first write where that is slow (creating a schema); never raises."""


def check_text_mode(text_mode: str) -> str:
    """`text_mode` if it is one the log knows, else `DataError`."""
    if text_mode not in LOG_TEXT_MODES:
        raise DataError(f"unknown log text mode {text_mode!r}; expected one of {', '.join(LOG_TEXT_MODES)}")
    return text_mode


def cutoff(older_than: timedelta) -> str:
    """The ISO time before which `purge` deletes rows."""
    return (datetime.now(UTC) - older_than).isoformat(timespec="microseconds")


def logged(values: tuple[Any, ...], time: str, criteria: list[dict[str, Any]]) -> LoggedDecision:
    """A logged decision from a backend's row (in `COLUMNS` order), its time as ISO text and its criteria decoded."""
    d = dict(zip(COLUMNS, values))
    return LoggedDecision(
        decision_id=d["decision_id"],
        time=time,
        text=d["text"],
        probability=float(d["probability"]),
        threshold=float(d["threshold"]),
        delegate=bool(d["delegate"]),
        uncertain=bool(d["uncertain"]),
        criteria=criteria,
        model_version=d["model_version"],
        registry_version=d["registry_version"],
    )


def values(row: LoggedDecision, **stored: Any) -> tuple[Any, ...]:
    """A backend's row (in `COLUMNS` order) from a logged decision, the inverse of `logged`.

    `stored` replaces the fields the backend stores as its own types.
    """
    fields = {column: getattr(row, column) for column in COLUMNS} | stored
    return tuple(fields[column] for column in COLUMNS)


def new_rows(
    texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata, text_mode: str = "full"
) -> list[LoggedDecision]:
    """The rows one routed batch adds: a fresh id each, one time for the batch.

    Each text is stored as `text_mode` says: "full", "redacted" or "hash".
    """
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    return [
        LoggedDecision(
            decision_id=uuid.uuid4().hex,
            time=now,
            text=stored_text(text, text_mode),
            probability=d.probability,
            threshold=d.threshold,
            delegate=d.delegate,
            uncertain=d.uncertain,
            criteria=[{"id": c, "title": t, "score": s} for c, t, s in d.criteria],
            model_version=d.model_version,
            registry_version=metadata.version,
        )
        for text, d in zip(texts, decisions)
    ]


def safe_address(target: str) -> str:
    """A log address safe to print: a URL's password is replaced by `***`."""
    parts = urlsplit(target)
    if parts.password is None:
        return target
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class FailureNotice:
    """Reports a log's first failure as a `RuntimeWarning`; later ones stay quiet (routing goes on)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._warned = False
        self._lock = threading.Lock()

    def warn(self, err: Exception) -> None:
        """Warn once that decisions are returned without a `decision_id`."""
        with self._lock:
            if self._warned:
                return
            self._warned = True
        warnings.warn(
            f"decision log {self.where} unavailable ({err}); decisions are returned without a decision_id",
            RuntimeWarning,
            stacklevel=4,
        )


def pending(found: int, where: str) -> range:
    """The schema versions to apply to a log found at version `found`; `DataError` for a newer log."""
    if found > SCHEMA_VERSION:
        raise DataError(
            f"{where}: decision log schema v{found} is newer than this router's v{SCHEMA_VERSION}; upgrade router"
        )
    return range(found + 1, SCHEMA_VERSION + 1)


def insert_sql(placeholder: str, table: str = "decisions", columns: Sequence[str] = COLUMNS) -> str:
    """An INSERT of one row into `table`, one `placeholder` ("?" or "%s") bound per column."""
    # Composed from constant table and column names and the backend's placeholder; values are always bound.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(placeholder for _ in columns)})"  # nosec B608


def schema_version(execute: Execute, table_exists: str) -> int:
    """The schema version of an open log (0: none recorded: no log yet, or an SQLite file from before versions).

    `table_exists` is the backend's query for whether the table named by its one parameter exists.
    """
    found = execute(table_exists, (VERSION_TABLE,)).fetchone()
    if found is None or not found[0]:
        return 0
    row = execute(CURRENT_VERSION).fetchone()
    return int(row[0]) if row is not None else 0


def apply_migrations(
    execute: Execute,
    table_exists: str,
    versions: str,
    migrations: Mapping[int, Sequence[str]],
    where: str,
    record_version: Callable[[int], object],
) -> int:
    """Read the schema version again, create the version table (`versions`), then apply and record each pending one.

    Runs in the caller's transaction, under the caller's lock: the version is read there because another
    connection may have migrated while the caller waited for it. The version found before; a log newer
    than this code is a `DataError`.
    """
    before = schema_version(execute, table_exists)
    execute(versions)
    for version in pending(before, where):
        for statement in migrations[version]:
            execute(statement)
        record_version(version)
    return before


class SqlDecisionLog(ABC):
    """What the SQLite and PostgreSQL logs do alike; a backend supplies its connections and column types.

    Logging never fails a route: a write that raises one of `write_errors` is reported once (a
    `RuntimeWarning`) and the decisions are returned without ids. Reads, purges and migrations raise
    `DataError`.
    """

    #: The backend's name, as `router log migrate` reports it.
    backend: str
    #: The backend's parameter placeholder: "?" or "%s".
    placeholder: str
    #: The column that orders rows logged in the same instant (one batch).
    tiebreak: str
    #: What a failed write raises: reported once, never raised to the router.
    write_errors: tuple[type[Exception], ...]

    def __init__(self, where: str, text_mode: str) -> None:
        self.where = where
        self.text_mode = check_text_mode(text_mode)
        self._notice = FailureNotice(where)

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Write one row per decision in one transaction; their ids, or None if logging failed."""
        rows = new_rows(texts, decisions, metadata, self.text_mode)
        try:
            self._insert([self._values(r) for r in rows])
        except self.write_errors as err:
            self._notice.warn(err)
            return None
        return [r.decision_id for r in rows]

    def get(self, decision_id: str) -> LoggedDecision:
        """The logged decision with this id; `DataError` if there is none."""
        rows = self._read(f"{SELECT} WHERE decision_id = {self.placeholder}", (decision_id,))
        if not rows:
            raise DataError(f"{self.where}: no decision {decision_id!r}")
        return self._row(rows[0])

    def all(self) -> Iterator[LoggedDecision]:
        """Every logged decision, oldest first."""
        return (self._row(r) for r in self._read(f"{SELECT} ORDER BY time, {self.tiebreak}"))

    def migrate(self) -> Migration:
        """Create the log or bring its schema up to `SCHEMA_VERSION`."""
        return Migration(self.where, self.backend, self._upgrade(), SCHEMA_VERSION)

    @abstractmethod
    def prepare(self) -> None:
        """Get ready for the first write where that is slow (creating a schema); never raises."""

    def _read(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query on an up-to-date log."""
        with self._maintenance() as conn:
            return conn.execute(query, params).fetchall()

    @abstractmethod
    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Write backend rows (see `_values`) in one transaction, the schema brought up to date first."""

    @abstractmethod
    def _maintenance(self) -> AbstractContextManager[Any]:
        """A connection to an up-to-date log for reads and purges; `DataError` when there is none or it fails."""

    @abstractmethod
    def _upgrade(self) -> int:
        """Create the log or bring its schema up to date; the version found before (`DataError` if that fails)."""

    @staticmethod
    @abstractmethod
    def _values(row: LoggedDecision) -> tuple[Any, ...]:
        """A logged decision as the backend's row (see `values`)."""

    @staticmethod
    @abstractmethod
    def _row(row: tuple[Any, ...]) -> LoggedDecision:
        """A backend's row as a logged decision (see `logged`)."""
