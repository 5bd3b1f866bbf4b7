"""`router route --input`: route a JSONL file line by line, keeping order and per-line errors.

Each line is decoded, parsed and checked on its own: a line that is not UTF-8, not JSON or has a bad
text gets an `{"id", "error"}` row naming the line, and every other line is still routed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from router.core.router import Router
from router.core.texts import check_text
from router.dataset.jsonl import decode_line, loads
from router.errors import DataError
from router.fs import jsonl

CHUNK = 64


@contextmanager
def _reader(path: Path) -> Iterator[IO[bytes]]:
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataError(f"{path}: cannot open ({err.strerror})") from None
    with handle:
        yield handle


@contextmanager
def _writer(path: Path | None) -> Iterator[IO[str]]:
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as err:
        raise DataError(f"{path}: cannot write ({err.strerror})") from None
    with handle:
        yield handle


def _parse(raw: bytes, number: int) -> tuple[Any, str]:
    """(id, text) of one input line; raises DataError naming the line."""
    try:
        obj = loads(decode_line(raw))
    except DataError as err:
        raise DataError(f"line {number}: {err}") from None
    if not isinstance(obj, dict):
        raise DataError(f"line {number}: not a JSON object")
    try:
        return obj.get("id"), check_text(obj.get("text"))
    except DataError as err:
        raise DataError(f"line {number}: 'text' must be a non-blank string of valid Unicode ({err})") from None


def route_file(router: Router, input: Path, output: Path | None) -> int:
    """Route each input line in order; bad lines get {"id", "error"}. Returns how many failed."""
    failed = 0
    with _reader(input) as src, _writer(output) as out:
        pending: list[tuple[Any, str | None, str | None]] = []  # (id, text, error)

        def flush() -> None:
            texts = [t for _, t, e in pending if e is None and t is not None]
            decisions = iter(router.route_batch(texts)) if texts else iter(())
            rows = [
                {"id": ident, "error": error} if error else {"id": ident, "text": text, **next(decisions).to_dict()}
                for ident, text, error in pending
            ]
            try:
                out.write(jsonl(rows))
                out.flush()
            except OSError as err:
                raise DataError(f"{output or 'stdout'}: cannot write ({err.strerror})") from None
            pending.clear()

        for number, raw in enumerate(src, 1):
            if not raw.strip():
                continue
            try:
                ident, text = _parse(raw, number)
                pending.append((ident, text, None))
            except DataError as err:
                failed += 1
                pending.append((_maybe_id(raw), None, str(err)))
            if len(pending) >= CHUNK:
                flush()
        flush()
    return failed


def _maybe_id(raw: bytes) -> Any:
    try:
        obj = loads(decode_line(raw))
    except DataError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None
