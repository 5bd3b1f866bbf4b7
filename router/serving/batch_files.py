"""`router route --input`: route a JSONL file line by line, keeping order and per-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TextIO

from router.core.router import Router
from router.errors import DataError
from router.serving.rows import CHUNK, InputRow, output_record, parse_line, route_rows


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


def route_file(router: Router, input: Path, output: Path | None) -> int:
    """Route each input line in order; bad lines get {"id", "error"}. Returns how many failed."""
    failed = 0
    with _open(input, "r", sys.stdin) as src, _open(output or Path("-"), "w", sys.stdout) as out:
        pending: list[InputRow] = []

        def flush() -> None:
            for row, decision in zip(pending, route_rows(router, pending)):
                out.write(json.dumps(output_record(row, decision), ensure_ascii=False) + "\n")
            pending.clear()

        for number, line in enumerate(src, 1):
            if not line.strip():
                continue
            row = parse_line(line, number)
            failed += row.error is not None
            pending.append(row)
            if len(pending) >= CHUNK:
                flush()
        flush()
    return failed
