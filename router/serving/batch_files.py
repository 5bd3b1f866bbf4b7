"""`router route --input`: route a JSONL file line by line, keeping order and per-line errors.

Each line is decoded, parsed and checked on its own (`router.serving.rows`): a line that is not UTF-8,
not JSON or has a bad text gets an `{"id", "error"}` row naming the line, and every other line is still
routed, `CHUNK` lines per `route_batch` call (as `router score` does, so both give the same numbers).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from router.core.router import Router
from router.errors import DataError
from router.fs import jsonl
from router.serving.rows import CHUNK, InputRow, numbered_lines, output_record, parse_line, route_rows


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


def route_file(router: Router, input: Path, output: Path | None) -> int:
    """Route each input line in order; bad lines get {"id", "error"}. Returns how many failed."""
    failed = 0
    with _reader(input) as src, _writer(output) as out:
        pending: list[InputRow] = []

        def flush() -> None:
            rows = [output_record(row, decision) for row, decision in zip(pending, route_rows(router, pending))]
            try:
                out.write(jsonl(rows))
                out.flush()
            except OSError as err:
                raise DataError(f"{output or 'stdout'}: cannot write ({err.strerror})") from None
            pending.clear()

        for number, raw in numbered_lines(src):
            row = parse_line(raw, number)
            failed += row.error is not None
            pending.append(row)
            if len(pending) >= CHUNK:
                flush()
        flush()
    return failed
