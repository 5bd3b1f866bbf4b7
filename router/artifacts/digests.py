"""Artifact files read safely: regular files only (no symlinks, devices or FIFOs), bounded, SHA-256 checked first."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from router.errors import DataError, UntrustedModelError

#: The largest artifact read (the shipped model's files are ~10 MB each).
MAX_ARTIFACT_BYTES = 512 * 1024 * 1024


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def read_regular(path: Path, limit: int = MAX_ARTIFACT_BYTES) -> bytes:
    """The bytes of a regular file, never following a symlink; `DataError` otherwise or when over `limit`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise DataError(f"{path}: missing") from None
    except OSError as err:
        reason = "a symlink (refused)" if Path(path).is_symlink() else err.strerror
        raise DataError(f"{path}: cannot be read ({reason})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{path}: not a regular file (refused)")
        if info.st_size > limit:
            raise DataError(f"{path}: {info.st_size} bytes, over the limit of {limit}")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"{path}: over the limit of {limit} bytes")
    return data


def artifact_digests(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each named file of a folder (for `metadata.json`'s `artifacts`)."""
    return {name: sha256_hex(read_regular(Path(folder) / name)) for name in sorted(names)}


def read_artifact(folder: Path, name: str, recorded: Mapping[str, str]) -> bytes:
    """An artifact's bytes, only if their SHA-256 is the one `metadata.json` records (checked before parsing)."""
    expected = recorded.get(name)
    if expected is None:
        raise UntrustedModelError(
            f"{folder}: metadata.json records no SHA-256 for {name}; refusing to read it (retrain the model)"
        )
    data = read_regular(Path(folder) / name)
    if sha256_hex(data) != expected:
        raise UntrustedModelError(f"{folder / name}: SHA-256 differs from metadata.json (modified or corrupt)")
    return data
