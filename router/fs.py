"""Safe file writes: atomic replacement, advisory locks, and locked, fsync'd appends.

Standard library only; every layer that writes a file goes through here.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The suffix of `atomic_path`'s temporary files unless its caller names another.
TEMP_SUFFIX = ".tmp"


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def temp_files(path: Path, suffix: str = TEMP_SUFFIX) -> list[Path]:
    """The temporary files `atomic_path(path, suffix)` creates beside `path` that are there now.

    Each is a live writer's or one a writer killed before its rename left behind; only a caller that
    holds the writers' lock knows they are all dead ones.
    """
    path = Path(path)
    return sorted(path.parent.glob(glob.escape(_temp_prefix(path)) + "*" + glob.escape(suffix)))


@contextmanager
def atomic_path(path: Path, suffix: str = TEMP_SUFFIX) -> Iterator[Path]:
    """A temporary file beside `path` to write; it replaces `path` if the block succeeds, else it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=suffix)
    os.close(handle)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write a whole file through a temporary file, fsync and a rename (`mode`: its permissions)."""
    with atomic_path(path) as tmp:
        with tmp.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(tmp, mode)


def jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as JSONL text (UTF-8 kept as is)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_jsonl_atomic(path: Path, rows: Iterable[Mapping[str, Any]], mode: int | None = None) -> None:
    """Write rows as a JSONL file, atomically."""
    write_text_atomic(path, jsonl(rows), mode)


@contextmanager
def locked(folder: Path, name: str = ".lock") -> Iterator[None]:
    """Hold an exclusive `flock` on `folder/name` (created if missing) for the block."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_jsonl(path: Path, rows: Iterable[Mapping[str, Any]], mode: int = 0o600) -> None:
    """Append rows to a JSONL file in one write under an exclusive lock, flushed and fsync'd.

    A file created here gets `mode`. A torn last line left by a killed writer stays on its own line. A
    write that fails (a full disk) is cut back off the file, so it never leaves half a line, and re-raised.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = jsonl(rows).encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.lseek(fd, 0, os.SEEK_END)
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)  # also releases the lock


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (after a rename into it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file below a folder, then the folder."""
    for path in Path(folder).rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)
