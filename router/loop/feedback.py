"""New labels: feedback on logged decisions and imported label files, appended to `data/feedback/`.

Labels are validated against the data contract and appended (never rewritten) to
`data/feedback/feedback.jsonl` or `imported.jsonl`: one locked write, flushed and fsync'd. A text
whose normalised form is already labeled the other way anywhere under the data folder is a
`LabelConflictError` and is not written; the same label again is a duplicate and is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from router.core.texts import normalise
from router.dataset.agent import find_agent
from router.dataset.examples import Example, parse_file, parse_record
from router.decision_log.backends import open_log
from router.decision_log.base import LoggedDecision
from router.decision_log.redact import is_hashed
from router.errors import DataError, LabelConflictError, RouterError
from router.fs import append_jsonl, locked
from router.jsonl import decode_line, loads
from router.settings import DATA_DIR, ENV_LOG, decision_log_address

FEEDBACK_DIR = "feedback"
FEEDBACK_FILE = "feedback.jsonl"
IMPORT_FILE = "imported.jsonl"
LOCK_FILE = ".lock"
DECISION_ID = re.compile(r"^[0-9a-f]{32}$")
#: The most a new label's extra (unknown) fields may take, as JSON: labels are data, not a file store.
MAX_EXTRA_BYTES = 4096


@dataclass(frozen=True)
class Label:
    """One label already in the data: its value and where it is."""

    label: int
    where: str


class LabelIndex:
    """Every labeled text under a data folder (train/dev/test and feedback), by normalised text."""

    def __init__(self, labels: dict[str, Label] | None = None) -> None:
        self.labels = labels or {}

    @classmethod
    def load(cls, data_dir: Path) -> LabelIndex:
        """Read every JSONL file under `data_dir` (bad lines are `router data check`'s business)."""
        labels: dict[str, Label] = {}
        for path in sorted(Path(data_dir).rglob("*.jsonl")):
            parsed = parse_file(path)
            for line, ex in zip(parsed.lines, parsed.examples):
                labels.setdefault(normalise(ex.text), Label(ex.label, f"{path}:{line}"))
        return cls(labels)

    def __contains__(self, text: str) -> bool:
        return normalise(text) in self.labels

    def check(self, example: Example) -> Label | None:
        """The existing label of the same text (a duplicate), None if new; raises on a conflict."""
        found = self.labels.get(normalise(example.text))
        if found is not None and found.label != example.label:
            raise LabelConflictError(
                f"conflicting label: {example.text[:60]!r} is labeled {found.label} at {found.where}, "
                f"not {example.label}; resolve it there"
            )
        return found

    def add(self, example: Example, where: str) -> None:
        """Record a label just accepted."""
        self.labels.setdefault(normalise(example.text), Label(example.label, where))


@dataclass
class LabelResult:
    """What happened to a batch of new labels."""

    path: Path
    added: list[Example] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # notes, "where: duplicate of ..."
    errors: list[tuple[str, RouterError]] = field(default_factory=list)  # (where, error)

    def summary(self) -> dict[str, Any]:
        """Counts, JSON-ready."""
        return {
            "file": str(self.path),
            "added": len(self.added),
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
        }


def label_id(text: str) -> str:
    """The id a new label gets: unique per normalised text (which the guard keeps unique)."""
    return "fb-" + hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:12]


FileState = dict[Path, tuple[int, int, int]]


def _file_state(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _files_state(data_dir: Path) -> FileState:
    """Size, mtime and inode of every JSONL file under `data_dir`: what tells that a file changed."""
    state: FileState = {}
    for path in Path(data_dir).rglob("*.jsonl"):
        with contextlib.suppress(OSError):  # removed meanwhile: it is simply not there
            state[path] = _file_state(path)
    return state


class LabelStore:
    """A data folder's labels for a run of appends (a review session): its agent and labels parsed once.

    The labels are read again only when a JSONL file under the folder changed since they were read
    (another writer, an edit), so the conflict check stays as safe as re-reading before every append.
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self._index: LabelIndex | None = None
        self._seen: FileState = {}

    @cached_property
    def ids(self) -> Collection[str] | None:
        """The agent's criterion ids, read on first use (an export of the queue never needs them).

        None when the data folder has no agent file.
        """
        spec = find_agent(self.data_dir)
        return spec.ids if spec is not None else None

    def index(self) -> LabelIndex:
        """Every label now: the one already read, unless a file changed since."""
        state = _files_state(self.data_dir)
        if self._index is None or state != self._seen:
            self._index, self._seen = LabelIndex.load(self.data_dir), state
        return self._index

    def add(self, filename: str, records: Sequence[tuple[str, Any]]) -> LabelResult:
        """Validate `(where, object)` records and append the new ones to `feedback/filename`.

        The conflict check and the append happen under one lock, so concurrent writers can neither
        lose a line nor both add the same text with different labels.
        """
        folder = self.data_dir / FEEDBACK_DIR
        result = LabelResult(folder / filename)
        try:
            with locked(folder, LOCK_FILE):
                return self._add(result, records)
        except OSError as err:
            raise DataError(f"{folder}: cannot write labels ({err.strerror or err})") from None

    def _add(self, result: LabelResult, records: Sequence[tuple[str, Any]]) -> LabelResult:
        index = self.index()
        rows = []
        for where, obj in records:
            try:
                example = parse_record(obj, self.ids)
                _check_extra(example)
                found = index.check(example)
            except RouterError as err:
                result.errors.append((where, err))
                continue
            if found is not None:
                result.duplicates.append(f"{where}: already labeled {found.label} at {found.where}; skipped")
                continue
            record = {"id": label_id(example.text), **{k: v for k, v in obj.items() if k != "id"}}
            if obj.get("id") is not None and obj["id"] != record["id"]:
                record["source_id"] = obj["id"]
            index.add(example, where)
            rows.append(record)
            result.added.append(example)
        if rows:
            append_jsonl(result.path, rows)
            self._seen[result.path] = _file_state(result.path)  # our own lines are in the index already
        return result


def _check_extra(example: Example) -> None:
    size = len(json.dumps(example.extra, ensure_ascii=False).encode("utf-8"))
    if size > MAX_EXTRA_BYTES:
        raise DataError(f"extra fields take {size} bytes as JSON, over the limit of {MAX_EXTRA_BYTES}")


def record_feedback(
    target: str,
    label: int,
    criteria: Sequence[str] = (),
    *,
    log: str | Path | None = None,
    data_dir: str | Path = DATA_DIR,
) -> LabelResult:
    """Label a logged decision (`target` a 32-hex decision id) or a text; append it to feedback.jsonl.

    A decision id is looked up in `log` (default `ROUTER_DECISION_LOG`; empty: none). For label 1 without
    `criteria`, the criteria the model matched are used. Raises `LabelConflictError` on a conflict,
    `DataError` on a bad label; a duplicate is reported in the result and not written.
    """
    store = LabelStore(data_dir)
    if DECISION_ID.match(target):
        log = decision_log_address(log)
        if log is None:
            raise DataError(f"a decision id needs the decision log: pass --log or set {ENV_LOG}")
        return label_decision(open_log(log).get(target), label, criteria, store)
    return _append_feedback(store, {"text": target, "label": label, "criteria": list(criteria)})


def label_decision(decision: LoggedDecision, label: int, criteria: Sequence[str], store: LabelStore) -> LabelResult:
    """Label a decision already read from the log (`record_feedback` without the log look-up)."""
    if is_hashed(decision.text):
        raise DataError(
            f"decision {decision.decision_id} was logged with --log-text hash: its text is not stored; "
            "label the text itself"
        )
    if label == 1 and not criteria:
        criteria = decision.criterion_ids
    obj = {"text": decision.text, "label": label, "criteria": list(criteria)}
    return _append_feedback(store, obj, {"decision_id": decision.decision_id, "model_version": decision.model_version})


def _append_feedback(store: LabelStore, obj: dict[str, Any], decision: dict[str, Any] | None = None) -> LabelResult:
    row = {**obj, "source": "feedback", **(decision or {})}
    row["labeled_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result = store.add(FEEDBACK_FILE, [("feedback", row)])
    if result.errors:
        raise result.errors[0][1]
    return result


def import_labels(path: str | Path, data_dir: str | Path = DATA_DIR) -> LabelResult:
    """Append the labels of a JSONL file (the data schema) to imported.jsonl; bad lines are reported.

    Every line is decoded and checked on its own (UTF-8, strict JSON, the data schema, at most
    `MAX_EXTRA_BYTES` of extra fields); the valid new ones are written even when others fail.
    """
    path = Path(path)
    try:
        lines = path.read_bytes().splitlines()
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    records: list[tuple[str, Any]] = []
    bad: list[tuple[str, RouterError]] = []
    for number, raw in enumerate(lines, 1):
        where = f"{path}:{number}"
        if not raw.strip():
            continue
        try:
            obj = loads(decode_line(raw))
        except DataError as err:
            bad.append((where, err))
            continue
        if isinstance(obj, dict):
            obj = {**obj, "source": obj.get("source") or "import"}
        records.append((where, obj))
    result = LabelStore(data_dir).add(IMPORT_FILE, records)
    result.errors = sorted([*bad, *result.errors], key=lambda e: int(e[0].rsplit(":", 1)[1]))
    return result


def load_feedback(data_dir: str | Path) -> list[Example]:
    """Every label under `data_dir/feedback/`, in file and line order; a bad line raises `DataError`."""
    examples: list[Example] = []
    for path in sorted((Path(data_dir) / FEEDBACK_DIR).glob("*.jsonl")):
        parsed = parse_file(path)
        if parsed.problems:
            raise DataError(parsed.problems[0])
        examples += parsed.examples
    return examples
