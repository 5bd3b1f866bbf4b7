"""Pick the decision log's storage from its address: a `postgresql://` URL is PostgreSQL, a path is SQLite.

SQLite is the embedded default; PostgreSQL (the `router[postgres]` extra) is one log for many replicas.
Its driver is imported only when a PostgreSQL address is used.
"""

from __future__ import annotations

from pathlib import Path

from router.decision_log.base import DecisionStore
from router.decision_log.sqlite import DecisionLog
from router.errors import MissingExtraError
from router.settings import DEFAULT_LOG_TEXT, POSTGRES_SCHEMES


def is_postgres(target: str | Path) -> bool:
    """Whether a log address names a PostgreSQL database."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def open_log(target: str | Path, text_mode: str = DEFAULT_LOG_TEXT) -> DecisionStore:
    """The decision log at `target` (a PostgreSQL URL or an SQLite file path), storing texts as `text_mode` says."""
    if not is_postgres(target):
        return DecisionLog(target, text_mode)
    try:
        from router.decision_log.postgres import PostgresDecisionLog
    except ImportError as err:
        raise MissingExtraError(
            f"a PostgreSQL decision log needs psycopg 3 ({err}): pip install 'router[postgres]'"
        ) from None
    return PostgresDecisionLog(str(target), text_mode)
