"""Atomic file writes."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from router.data import Example, to_record


def write_text_atomic(path: Path, text: str) -> None:
    """Write a whole file through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_jsonl(path: Path, examples: Iterable[Example]) -> None:
    """Write examples as JSONL, atomically."""
    write_text_atomic(path, "".join(json.dumps(to_record(ex), ensure_ascii=False) + "\n" for ex in examples))


@contextmanager
def locked(folder: Path, name: str = ".lock") -> Iterator[None]:
    """Hold an exclusive `flock` on `folder/name` (created if missing) for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
