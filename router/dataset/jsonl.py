"""Strict JSONL reading: one line at a time, UTF-8, standard JSON only; every error names its line."""

from __future__ import annotations

import json
from typing import Any

from router.errors import DataError


def _no_constant(name: str) -> Any:
    raise DataError(f"invalid JSON ({name} is not a JSON number)")


def decode_line(raw: bytes) -> str:
    """A line's text; `DataError` when it is not valid UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"not valid UTF-8 ({err.reason} at byte {err.start})") from None


def loads(line: str) -> Any:
    """One JSON value: no NaN or Infinity, no lone surrogate escape anywhere, no runaway nesting."""
    try:
        value = json.loads(line, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise DataError(f"invalid JSON ({err.msg})") from None
    except RecursionError:
        raise DataError("invalid JSON (nested too deeply)") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError("invalid JSON (a \\u escape of a lone surrogate: not valid Unicode)") from None
    return value
