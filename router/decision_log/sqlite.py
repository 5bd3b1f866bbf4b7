"""Opt-in decision log: every routed decision as a row of an SQLite database in WAL mode.

Logging never fails a route nor holds it up: an SQLite or OS error, or a lock held elsewhere for more
than `LOG_LOCK_TIMEOUT` (100 ms), is reported once (a `RuntimeWarning`) and the decision is returned
without a `decision_id`. One connection per thread; a batch is one transaction.

Privacy: the file (and its WAL and shared-memory files) is created 0600 and tightened to 0600 when
found looser; the text is stored whole, redacted or as a hash (`text_mode`); deleted rows are
overwritten (`secure_delete`), and `purge` removes rows older than a cut-off.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.decision_log.redact import stored_text
from router.errors import DataError
from router.settings import DEFAULT_LOG_TEXT, LOG_LOCK_TIMEOUT, LOG_TEXT_MODES

#: Permissions of the log's files: the owner only (prompts can hold anything).
FILE_MODE = 0o600
#: How long maintenance (purge, reads) waits for a lock: it is not on the routing path.
MAINTENANCE_TIMEOUT = 10.0

SCHEMA = """
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
"""
INSERT = "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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


class DecisionLog:
    """Write decisions to an SQLite file (created on first use); read them back for feedback and review."""

    def __init__(self, path: str | Path, text_mode: str = DEFAULT_LOG_TEXT) -> None:
        if text_mode not in LOG_TEXT_MODES:
            raise DataError(f"unknown log text mode {text_mode!r}; expected one of {', '.join(LOG_TEXT_MODES)}")
        self.path = Path(path)
        self.text_mode = text_mode
        self._local = threading.local()
        self._warned = False
        self._warn_lock = threading.Lock()

    def _private_files(self) -> None:
        """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode); tighten old ones."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{self.path}{suffix}")
            if path.is_file() and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
                path.chmod(FILE_MODE)

    def _connect(self, timeout: float = LOG_LOCK_TIMEOUT) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self._private_files()
            conn = sqlite3.connect(self.path, timeout=timeout)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute(SCHEMA)
            except sqlite3.Error:
                conn.close()
                raise
            self._local.conn = conn
        return conn

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Write one row per decision in one transaction; their ids, or None if logging failed."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        ids = [uuid.uuid4().hex for _ in decisions]
        version = metadata.version
        rows = [
            (
                i,
                now,
                stored_text(text, self.text_mode),
                d.probability,
                d.threshold,
                int(d.delegate),
                int(d.uncertain),
                json.dumps([{"id": c, "title": t, "score": s} for c, t, s in d.criteria]),
                d.model_version,
                version,
            )
            for i, text, d in zip(ids, texts, decisions)
        ]
        try:
            conn = self._connect()
            with conn:
                conn.executemany(INSERT, rows)
        except (sqlite3.Error, OSError, ValueError) as err:  # ValueError: text SQLite cannot encode
            self._drop()
            self._warn(err)
            return None
        return ids

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _warn(self, err: Exception) -> None:
        with self._warn_lock:
            if self._warned:
                return
            self._warned = True
        warnings.warn(
            f"decision log {self.path} unavailable ({err}); decisions are returned without a decision_id",
            RuntimeWarning,
            stacklevel=4,
        )

    @contextmanager
    def _maintenance(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for reads and purges, which may wait for locks (never used to route)."""
        if not self.path.is_file():
            raise DataError(f"{self.path}: no decision log here")
        try:
            self._private_files()
            conn = sqlite3.connect(self.path, timeout=MAINTENANCE_TIMEOUT)
        except (sqlite3.Error, OSError) as err:
            raise DataError(f"{self.path}: cannot open the decision log ({err})") from None
        try:
            conn.execute("PRAGMA secure_delete=ON")
            yield conn
        except sqlite3.Error as err:
            raise DataError(f"{self.path}: cannot read the decision log ({err})") from None
        finally:
            conn.close()

    def purge(self, older_than: timedelta) -> int:
        """Delete the decisions logged more than `older_than` ago, overwriting them on disk; how many."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="microseconds")
        with self._maintenance() as conn:
            with conn:
                deleted = conn.execute("DELETE FROM decisions WHERE time < ?", (cutoff,)).rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(deleted)

    def get(self, decision_id: str) -> LoggedDecision:
        """The logged decision with this id; `DataError` if there is none."""
        with self._maintenance() as conn:
            row = conn.execute("SELECT * FROM decisions WHERE decision_id = ?", (decision_id,)).fetchone()
        if row is None:
            raise DataError(f"{self.path}: no decision {decision_id!r}")
        return _row(row)

    def all(self) -> Iterator[LoggedDecision]:
        """Every logged decision, oldest first."""
        with self._maintenance() as conn:
            rows = conn.execute("SELECT * FROM decisions ORDER BY time, rowid").fetchall()
        return (_row(r) for r in rows)


def _row(row: tuple[Any, ...]) -> LoggedDecision:
    d = dict(zip(COLUMNS, row))
    return LoggedDecision(
        decision_id=d["decision_id"],
        time=d["time"],
        text=d["text"],
        probability=float(d["probability"]),
        threshold=float(d["threshold"]),
        delegate=bool(d["delegate"]),
        uncertain=bool(d["uncertain"]),
        criteria=json.loads(d["criteria"]),
        model_version=d["model_version"],
        registry_version=d["registry_version"],
    )
