"""JSONL files for tests: one `json.dumps` line per row, as the data folder and the CLI read them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write `rows` to `path` (its folder made if missing), one JSON object a line, each line ended; `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
