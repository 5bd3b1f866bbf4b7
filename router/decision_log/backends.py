"""Pick the decision log's storage from its address: a file path is SQLite (the embedded default)."""

from __future__ import annotations

from pathlib import Path

from router.decision_log.sqlite import DecisionLog


def open_log(target: str | Path) -> DecisionLog:
    """The decision log at `target`."""
    return DecisionLog(target)
