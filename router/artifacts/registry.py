"""Model registry: numbered versions under one root and a `current` pointer switched atomically.

    ROOT/versions/v0001/   a complete model folder (model.skops, criteria.skops, heads.npz, metadata.json)
    ROOT/current           the current version's name ("v0002"), replaced by a rename
    ROOT/history           one JSON line per switch: time, from, to, reason

A version is written into a staging folder and renamed into `versions/` whole, so a killed writer
leaves at most a staging folder behind (removed by the next writer), never a half version. Writers
serialise on `ROOT/.lock` (`fcntl.flock`). A version is checked whole (hashes, metadata, heads) before
it is published, promoted or rolled back to. Symlinked version folders, `current` and `history` are
refused. Import-light: routing resolves `current` through here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from router.artifacts.model_folder import METADATA_FILE, check_model_folder, read_metadata
from router.errors import ModelNotFoundError, RegistryError, RouterError
from router.fs import append_jsonl, fsync_dir, fsync_tree, locked, temp_files, write_text_atomic

if TYPE_CHECKING:
    from router.core.metadata import ModelMetadata

CURRENT = "current"
HISTORY = "history"
VERSIONS = "versions"
LOCK = ".lock"
REPORT_MD = "retrain-report.md"
REPORT_JSON = "retrain-report.json"
VERSION_NAME = re.compile(r"^v(\d{4,})$")
_STAGING = re.compile(r"staging-(\d+)-")


def is_registry(path: str | Path) -> bool:
    """Whether `path` is a registry root (has `versions/` or `current`)."""
    path = Path(path)
    return (path / CURRENT).is_file() or (path / VERSIONS).is_dir()


def resolve(path: str | Path) -> Path:
    """The model folder `path` names: a registry root's current version, or `path` itself."""
    path = Path(path)
    if (path / CURRENT).is_file():
        return version_folder(path, current(path))
    if (path / VERSIONS).is_dir() and not (path / METADATA_FILE).is_file():
        raise ModelNotFoundError(f"{path}: model registry without a current version")
    return path


def _no_symlink(path: Path) -> None:
    if path.is_symlink():
        raise RegistryError(f"{path}: a symlink; a registry's versions, {CURRENT} and {HISTORY} must be real")


def current(root: str | Path) -> str:
    """The name of the current version."""
    pointer = Path(root) / CURRENT
    _no_symlink(pointer)
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelNotFoundError(f"{root}: no current version ({CURRENT} missing)") from None
    except OSError as err:
        raise RegistryError(f"{pointer}: unreadable ({err.strerror})") from None
    if not VERSION_NAME.match(name):
        raise RegistryError(f"{pointer}: not a version name: {name!r}")
    return name


def current_or_none(root: str | Path) -> str | None:
    """The current version's name, or None when the registry has none yet."""
    pointer = Path(root) / CURRENT
    return current(root) if pointer.is_file() or pointer.is_symlink() else None


def versions(root: str | Path) -> list[str]:
    """Version names, oldest first."""
    folder = Path(root) / VERSIONS
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if VERSION_NAME.match(p.name) and p.is_dir() and not p.is_symlink()]
    return sorted(names, key=lambda n: int(n[1:]))


def version_folder(root: str | Path, version: str) -> Path:
    """The folder of an existing version."""
    if not VERSION_NAME.match(version):
        raise RegistryError(f"not a version name: {version!r} (expected e.g. v0003)")
    folder = Path(root) / VERSIONS / version
    _no_symlink(folder)
    if not (folder / METADATA_FILE).is_file():
        raise ModelNotFoundError(f"{root}: no version {version}")
    return folder


def history(root: str | Path) -> list[dict[str, Any]]:
    """Every switch of `current`, oldest first."""
    path = Path(root) / HISTORY
    _no_symlink(path)
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a torn last line from a killed writer
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def check_root(root: str | Path) -> None:
    """Refuse to turn a plain model folder into a registry root."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise RegistryError(f"{root}: not a folder, so not a model registry")
    if (root / METADATA_FILE).is_file() and not is_registry(root):
        raise RegistryError(
            f"{root} holds a plain model folder (metadata.json), not a registry: move it away or pick another --out"
        )


def staging_folder(root: str | Path) -> Path:
    """A fresh path inside `versions/` to write a version into before `publish` (not created)."""
    folder = Path(root) / VERSIONS
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RegistryError(f"{root}: cannot write the registry ({err.strerror or err})") from None
    _remove_stale_staging(folder)
    return folder / f".staging-{os.getpid()}-{secrets.token_hex(4)}"


@contextmanager
def _writing(root: Path) -> Iterator[None]:
    """Hold the registry's lock; an OS error while writing (a full disk) is a `RegistryError`."""
    try:
        with locked(root, LOCK):
            yield
    except RouterError:  # ModelNotFoundError is an OSError too: it passes as it is
        raise
    except OSError as err:
        raise RegistryError(f"{root}: cannot write the registry ({err.strerror or err})") from None


def publish(
    root: str | Path,
    staged: Path,
    *,
    promote: bool,
    reason: str,
    metadata: ModelMetadata | None = None,
    expected_current: str | None = None,
    check_current: bool = False,
    finalize: Callable[[Path, str, bool], None] | None = None,
) -> tuple[str, bool]:
    """Number a staged model folder, rename it into `versions/` and, with `promote`, make it current.

    `metadata` (with the files' SHA-256) is the staged model's when its `metadata.json` is not written
    yet; it is written here, once, with the version number. The folder is checked whole before the
    rename. With `check_current`, it is only made current if `current` is still `expected_current`
    (nobody switched it meanwhile). `finalize(folder, version, promoted)` may add files before the
    rename. Returns (version, promoted).
    """
    root = Path(root)
    check_root(root)
    with _writing(root):
        names = versions(root)
        version = f"v{int(names[-1][1:]) + 1 if names else 1:04d}"
        promoted = promote and (not check_current or current_or_none(root) == expected_current)
        meta = (metadata if metadata is not None else read_metadata(staged)).with_version(version)
        write_text_atomic(staged / METADATA_FILE, json.dumps(meta.to_dict(), indent=2) + "\n", mode=0o644)
        check_model_folder(staged)
        if finalize is not None:
            finalize(staged, version, promoted)
        fsync_tree(staged)
        staged.chmod(0o755)  # staging folders are created private
        os.rename(staged, root / VERSIONS / version)
        fsync_dir(root / VERSIONS)
        if promoted:
            _switch(root, version, reason)
    return version, promoted


def promote(root: str | Path, version: str, reason: str = "promote") -> tuple[str | None, str]:
    """Make `version` current; returns (previous, version)."""
    root = Path(root)
    with _writing(root):
        check_model_folder(version_folder(root, version))
        previous = current_or_none(root)
        if previous != version:
            _switch(root, version, reason)
    return previous, version


def rollback(root: str | Path) -> tuple[str | None, str]:
    """Undo the last switch not yet undone: back to the version current before it; returns (from, to)."""
    root = Path(root)
    with _writing(root):
        target = _rollback_target(history(root))
        check_model_folder(version_folder(root, target))
        previous = current_or_none(root)
        _switch(root, target, "rollback")
    return previous, target


def _rollback_target(entries: list[dict[str, Any]]) -> str:
    undone = 0
    for entry in reversed(entries):
        if entry.get("reason") == "rollback":
            undone += 1
            continue
        if undone:
            undone -= 1
            continue
        if entry.get("from") is None:
            raise RegistryError(f"nothing to roll back: {entry.get('to')} was the first current version")
        return str(entry["from"])
    raise RegistryError("nothing to roll back: no earlier switch in the history")


def _switch(root: Path, version: str, reason: str) -> None:
    _no_symlink(root / HISTORY)
    previous = current_or_none(root)
    # A writer killed between writing `current`'s temporary file and renaming it leaves the file behind;
    # we hold the lock, so any such file is a dead writer's.
    for stale in temp_files(root / CURRENT):
        stale.unlink(missing_ok=True)
    write_text_atomic(root / CURRENT, version + "\n", mode=0o644)
    fsync_dir(root)
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "from": previous, "to": version, "reason": reason}
    append_jsonl(root / HISTORY, [entry], mode=0o644)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_staging(folder: Path) -> None:
    """Remove staging folders left by writers that died (same host: their pid is gone)."""
    for entry in folder.iterdir():
        match = _STAGING.search(entry.name)
        if entry.name.startswith(".") and match and not _alive(int(match[1])):
            shutil.rmtree(entry, ignore_errors=True)
