"""`router route --input`: route a JSONL file line by line, keeping order and per-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO

from router.core.router import Router
from router.errors import DataError

CHUNK = 64


@contextmanager
def _open(path: Path, mode: str, std: TextIO) -> Iterator[IO[str]]:
    if str(path) == "-":
        yield std
        return
    try:
        handle = path.open(mode, encoding="utf-8")
    except OSError as err:
        raise DataError(f"{path}: cannot open ({err.strerror})") from None
    with handle:
        yield handle


def _parse(line: str, number: int) -> tuple[Any, str | None]:
    """(id, text) of one input line; raises DataError naming the line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"line {number}: invalid JSON ({err.msg})") from None
    if not isinstance(obj, dict):
        raise DataError(f"line {number}: not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"line {number}: 'text' must be a non-blank string")
    return obj.get("id"), text


def route_file(router: Router, input: Path, output: Path | None) -> int:
    """Route each input line in order; bad lines get {"id", "error"}. Returns how many failed."""
    failed = 0
    with _open(input, "r", sys.stdin) as src, _open(output or Path("-"), "w", sys.stdout) as out:
        pending: list[tuple[Any, str | None, str | None]] = []  # (id, text, error)

        def flush() -> None:
            texts = [t for _, t, e in pending if e is None and t is not None]
            decisions = iter(router.route_batch(texts)) if texts else iter(())
            for ident, text, error in pending:
                row = (
                    {"id": ident, "error": error} if error else {"id": ident, "text": text, **next(decisions).to_dict()}
                )
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            pending.clear()

        for number, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                ident, text = _parse(line, number)
                pending.append((ident, text, None))
            except DataError as err:
                failed += 1
                ident = _maybe_id(line)
                pending.append((ident, None, str(err)))
            if len(pending) >= CHUNK:
                flush()
        flush()
    return failed


def _maybe_id(line: str) -> Any:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None
