"""Input rows for batch routing: what `router route --input` and `router score` read, and what they write.

A row to route has an `id` (any JSON value, kept as is) and a non-blank `text`; a row that has not is
an error row `{"id": ..., "error": "..."}`. `kind` and `criteria`, when present, are kept for
`router score --compare` to break flips down by.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from router.core.decision import Decision
from router.core.router import Router
from router.core.texts import check_text
from router.errors import DataError
from router.jsonl import decode_line, loads

#: Rows per `route_batch` call when routing a file. `route --input` and `router score` both route a
#: file's rows in these consecutive chunks: the encoder's floating point depends on a text's batch
#: neighbours (in the 6th decimal of a probability), so the same chunks give the same numbers.
CHUNK = 64
#: Bytes read from an input file at a time.
READ_BYTES = 1 << 22


class Readable(Protocol):
    """A binary stream: a file, stdin's buffer or a pyarrow `NativeFile`."""

    def read(self, size: int = ..., /) -> bytes:
        """Up to `size` bytes; empty at the end."""
        ...


def numbered_lines(stream: Readable) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a JSONL byte stream with their numbers (from 1), without their line ends.

    JSONL separates records by LF (a CRLF's CR is dropped); a line of ASCII whitespace only is blank.
    `route --input` and `router score` both read files through here, so they number and skip alike.
    """
    rest, number = b"", 0
    while chunk := stream.read(READ_BYTES):
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            number += 1
            if line.strip():
                yield number, line.removesuffix(b"\r")
    if rest.strip():
        yield number + 1, rest.removesuffix(b"\r")


@dataclass(frozen=True)
class InputRow:
    """One input record: its id and text, or why it cannot be routed."""

    id: Any
    text: str | None
    error: str | None = None
    kind: str | None = None
    criteria: tuple[str, ...] = ()


def parse_record(obj: object, where: str = "") -> InputRow:
    """An input row from one decoded record; `where` (e.g. "line 3: ") prefixes its error."""
    if not isinstance(obj, dict):
        return InputRow(None, None, f"{where}not a JSON object")
    ident = obj.get("id")
    text = obj.get("text")
    kind = obj.get("kind")
    criteria = obj.get("criteria")
    labels = tuple(c for c in criteria if isinstance(c, str)) if isinstance(criteria, list) else ()
    try:
        checked = check_text(text)
    except DataError as err:
        return InputRow(ident, None, f"{where}'text' must be a non-blank string of valid Unicode ({err})", None, ())
    return InputRow(ident, checked, None, kind if isinstance(kind, str) else None, labels)


def parse_line(line: str | bytes, number: int) -> InputRow:
    """An input row from one JSONL line, raw bytes or text (numbered from 1 for its error message).

    Strict JSON (no NaN or Infinity, no lone surrogate escapes) and, for bytes, UTF-8 per line.
    """
    try:
        obj = loads(decode_line(line) if isinstance(line, bytes) else line)
    except DataError as err:
        return InputRow(None, None, f"line {number}: {err}")
    return parse_record(obj, f"line {number}: ")


def output_record(row: InputRow, decision: Decision | None) -> dict[str, Any]:
    """The output object of a row: `{"id", "text", **decision}`, or `{"id", "error"}` for an error row."""
    if row.error is not None or decision is None:
        return {"id": row.id, "error": row.error}
    return {"id": row.id, "text": row.text, **decision.to_dict()}


def route_rows(router: Router, rows: list[InputRow]) -> list[Decision | None]:
    """Each row's decision (None for an error row), routing `CHUNK` consecutive rows per call."""
    decisions: list[Decision | None] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        texts = [r.text for r in chunk if r.error is None and r.text is not None]
        routed = iter(router.route_batch(texts)) if texts else iter(())
        decisions += [next(routed) if r.error is None else None for r in chunk]
    return decisions
