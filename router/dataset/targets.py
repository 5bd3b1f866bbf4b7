"""A data set's own targets and vocabulary (`<data>/targets.yaml`): data, not code.

The file names the agent file, a regex of words that make a request look like the agent's work on the
surface (for "hard" examples), tech-stack patterns, and the targets `router data check` reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from router.errors import DataError

TARGETS_FILE = "targets.yaml"


@dataclass(frozen=True)
class DataTargets:
    """What a data set must meet, and the vocabulary its summary is computed with."""

    agent: str | None
    surface_keywords: re.Pattern[str] | None
    stacks: dict[str, re.Pattern[str]]
    targets: dict[str, Any] = field(default_factory=dict)


def load_targets(data_dir: Path) -> DataTargets | None:
    """Read `<data_dir>/targets.yaml`, or None when the data set has none."""
    path = Path(data_dir) / TARGETS_FILE
    if not path.is_file():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise DataError(f"{path}: not valid UTF-8 YAML ({err})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping")
    try:
        keywords = re.compile(raw["surface_keywords"], re.I) if raw.get("surface_keywords") else None
        stacks = {str(k): re.compile(str(v), re.I) for k, v in (raw.get("stacks") or {}).items()}
    except re.error as err:
        raise DataError(f"{path}: bad pattern ({err})") from None
    targets = raw.get("targets") or {}
    if not isinstance(targets, dict):
        raise DataError(f"{path}: 'targets' must be a mapping")
    agent = raw.get("agent")
    return DataTargets(None if agent is None else str(agent), keywords, stacks, targets)
