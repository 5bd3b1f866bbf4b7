"""Strict JSON(L) reading: UTF-8, standard JSON only (data lines, requests, model metadata alike)."""

from __future__ import annotations

import json
import math
from typing import Any

from router.errors import DataError


def _no_constant(name: str) -> Any:
    raise DataError(f"invalid JSON ({name} is not a JSON number)")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e400: the stdlib would read inf, which is no JSON value
        raise DataError("invalid JSON (a number too large for a double)")
    return value


def decode_line(raw: bytes) -> str:
    """A line's text; `DataError` when it is not valid UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"not valid UTF-8 ({err.reason} at byte {err.start})") from None


def loads(line: str) -> Any:
    """One JSON value: no NaN or Infinity, no lone surrogate escape anywhere, no runaway nesting.

    A number past a double's range (1e400, which the stdlib reads as inf) and an integer with more digits
    than Python converts are refused too.
    """
    try:
        value = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as err:
        raise DataError(f"invalid JSON ({err.msg})") from None
    except RecursionError:
        raise DataError("invalid JSON (nested too deeply)") from None
    except DataError:
        raise
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits() allows
        raise DataError("invalid JSON (an integer with too many digits)") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError("invalid JSON (a \\u escape of a lone surrogate: not valid Unicode)") from None
    return value
