"""What every decision log backend shares: the logged row, the schema version and the store's interface.

A backend turns `LoggedDecision`s into its own column types and back; the columns, their meaning and the
32-hex decision ids are the same in every backend, so review and feedback read any of them alike.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
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
