"""Labeled examples: the JSONL format of the contract, read with line-exact errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.core.texts import check_text
from router.errors import DataError
from router.jsonl import decode_line, loads
from router.settings import DATA_DIR

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Example:
    """One labeled request."""

    text: str
    label: int
    criteria: tuple[str, ...] = ()
    id: str | None = None
    kind: str | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ParsedFile:
    """Examples read from one file, plus every problem found, as "file:line: message"."""

    path: Path
    examples: list[Example]
    problems: list[str]
    lines: list[int]


def parse_record(obj: object, criteria_ids: Collection[str] | None = None) -> Example:
    """Validate one decoded JSON object against the contract; raise `DataError` if bad.

    `criteria_ids` are the agent's criterion ids; None accepts any non-empty id.
    """
    if not isinstance(obj, dict):
        raise DataError("line is not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise DataError("'text' is missing or not a string")
    if not text.strip():
        raise DataError("'text' is blank")
    try:
        check_text(text)
    except DataError as err:
        raise DataError(f"'text' {str(err).removeprefix('text 0 ')}") from None
    label = obj.get("label")
    if label not in (0, 1) or isinstance(label, bool):
        raise DataError(f"'label' must be 0 or 1, got {label!r}")
    criteria = obj.get("criteria", [])
    if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
        raise DataError("'criteria' must be a list of criterion ids")
    unknown = sorted(c for c in criteria if not c.strip() or (criteria_ids is not None and c not in criteria_ids))
    if unknown:
        raise DataError(f"unknown criterion id(s) {unknown}")
    if len(set(criteria)) != len(criteria):
        raise DataError("'criteria' repeats an id")
    if label == 0 and criteria:
        raise DataError("label 0 must have no criteria")
    if label == 1 and not criteria:
        raise DataError("label 1 needs at least one criterion")
    known = {"id", "text", "label", "criteria", "kind", "source"}
    return Example(
        text=text,
        label=int(label),
        criteria=tuple(criteria),
        id=None if obj.get("id") is None else str(obj["id"]),
        kind=None if obj.get("kind") is None else str(obj["kind"]),
        source=None if obj.get("source") is None else str(obj["source"]),
        extra={k: v for k, v in obj.items() if k not in known},
    )


def parse_file(path: str | Path, criteria_ids: Collection[str] | None = None) -> ParsedFile:
    """Read a JSONL file, collecting every bad line instead of stopping at the first."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    examples: list[Example] = []
    problems: list[str] = []
    lines: list[int] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = decode_line(raw)
                if not line.strip():
                    raise DataError("blank line")
                examples.append(parse_record(loads(line), criteria_ids))
                lines.append(number)
            except DataError as err:
                problems.append(f"{path}:{number}: {err}")
    return ParsedFile(path, examples, problems, lines)


def load_examples(path: str | Path, criteria_ids: Collection[str] | None = None) -> list[Example]:
    """Read a JSONL file of labeled examples; the first bad line raises `DataError`."""
    parsed = parse_file(path, criteria_ids)
    if parsed.problems:
        raise DataError(parsed.problems[0])
    if not parsed.examples:
        raise DataError(f"{path}: no examples")
    return parsed.examples


def resolve_data(spec: str | Path, data_dir: str | Path = DATA_DIR) -> Path:
    """Turn a split name (train/dev/test) or a path into a data file path."""
    if str(spec) in SPLITS:
        return Path(data_dir) / f"{spec}.jsonl"
    return Path(spec)


def data_hash(examples: Iterable[Example]) -> str:
    """SHA-256 over texts, labels and criteria: identifies a training set."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps([ex.text, ex.label, list(ex.criteria)]).encode())
    return digest.hexdigest()


def to_record(example: Example) -> dict[str, Any]:
    """The JSON object of an example, extra fields kept."""
    record: dict[str, Any] = {"id": example.id, "text": example.text, "label": example.label}
    record["criteria"] = list(example.criteria)
    if example.kind is not None:
        record["kind"] = example.kind
    if example.source is not None:
        record["source"] = example.source
    return {**record, **example.extra}
