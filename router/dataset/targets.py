"""A data set's own targets and vocabulary (`<data>/targets.yaml`): data, not code.

The file names the agent file, a regex of words that make a request look like the agent's work on the
surface (for "hard" examples), tech-stack patterns, and the targets `router data check` reports.
Every known key is checked when the file is read, so a bad value is a `DataError` naming the file and
the key, not a `TypeError` halfway through a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from router.errors import DataError

TARGETS_FILE = "targets.yaml"
#: Targets that are counts: a whole number >= 0.
COUNT_TARGETS = ("examples", "positives_per_criterion", "negative_kinds", "stacks")
#: Targets that are shares: a number from 0 to 1.
SHARE_TARGETS = (
    "hard_negative_share",
    "hard_positive_share",
    "short_share",
    "long_share",
    "voice_share",
    "voice_label_gap",
    "near_duplicate_share",
)


@dataclass(frozen=True)
class DataTargets:
    """What a data set must meet, and the vocabulary its summary is computed with."""

    agent: str | None
    surface_keywords: re.Pattern[str] | None
    stacks: dict[str, re.Pattern[str]]
    targets: dict[str, Any] = field(default_factory=dict)


def _is_share(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _pattern(path: Path, key: str, value: str) -> re.Pattern[str]:
    try:
        return re.compile(value, re.I)
    except re.error as err:
        raise DataError(f"{path}: bad pattern in {key!r} ({err})") from None


def _check_targets(path: Path, targets: object) -> dict[str, Any]:
    """The `targets` mapping, each known target checked for its type and range."""
    if targets is None:
        return {}
    if not isinstance(targets, dict):
        raise DataError(f"{path}: 'targets' must be a mapping")
    for key in COUNT_TARGETS:
        value = targets.get(key)
        if key in targets and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise DataError(f"{path}: targets {key!r} must be a whole number >= 0, got {value!r}")
    for key in SHARE_TARGETS:
        if key in targets and not _is_share(targets[key]):
            raise DataError(f"{path}: targets {key!r} must be a share from 0 to 1, got {targets[key]!r}")
    if "positive_share" in targets:
        value = targets["positive_share"]
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_share, value)) and value[0] <= value[1]):
            raise DataError(
                f"{path}: targets 'positive_share' must be [low, high], two shares from 0 to 1 with low <= high, "
                f"got {value!r}"
            )
    return targets


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
    agent = raw.get("agent")
    if agent is not None and not (isinstance(agent, str) and agent.strip()):
        raise DataError(f"{path}: 'agent' must be the agent file's path, relative to the data folder")
    keywords = raw.get("surface_keywords")
    if keywords is not None and not isinstance(keywords, str):
        raise DataError(f"{path}: 'surface_keywords' must be one regular expression (a string)")
    stacks = raw.get("stacks") or {}
    if not isinstance(stacks, dict) or not all(isinstance(v, str) for v in stacks.values()):
        raise DataError(f"{path}: 'stacks' must be a mapping of stack name to regular expression")
    return DataTargets(
        agent,
        _pattern(path, "surface_keywords", keywords) if keywords else None,
        {str(name): _pattern(path, "stacks", rx) for name, rx in stacks.items()},
        _check_targets(path, raw.get("targets")),
    )
