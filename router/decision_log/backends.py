"""Pick the decision log's storage from its address: a file path is SQLite (the embedded default)."""

from __future__ import annotations

from pathlib import Path

from router.decision_log.sqlite import DecisionLog
from router.settings import DEFAULT_LOG_TEXT


def open_log(target: str | Path, text_mode: str = DEFAULT_LOG_TEXT) -> DecisionLog:
    """The decision log at `target`, storing texts as `text_mode` says ("full", "redacted" or "hash")."""
    return DecisionLog(target, text_mode)
