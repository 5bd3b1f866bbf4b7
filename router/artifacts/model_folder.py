"""A model folder: `model.skops`, `criteria.skops`, `heads.npz` and `metadata.json`, written atomically.

`metadata.json` records the SHA-256 of every other file; reading a model checks each file's hash
before parsing it, then checks the heads against the metadata.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from router.artifacts.digests import artifact_digests, read_artifact, read_regular
from router.artifacts.heads_file import load_heads
from router.artifacts.skops_io import load_skops, save_skops
from router.core.head_checks import check_heads
from router.core.heads import CriteriaHead, DelegateHead
from router.core.metadata import ModelMetadata
from router.errors import DataError, ModelNotFoundError
from router.jsonl import decode_line, loads

MODEL_FILE = "model.skops"
CRITERIA_FILE = "criteria.skops"
METADATA_FILE = "metadata.json"
HEADS_FILE = "heads.npz"
#: The largest `metadata.json` read.
MAX_METADATA_BYTES = 1024 * 1024


def write_model_folder(
    folder: Path,
    objects: dict[str, Any],
    metadata: ModelMetadata,
    arrays: dict[str, Callable[[Path], None]] | None = None,
) -> None:
    """Write skops files, array files and metadata (with their SHA-256) into a temporary folder, then move it."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        digests = write_model_files(staging, objects, arrays)
        write_metadata(staging, replace(metadata, artifacts=digests))
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{staging.name[-8:]}")
            folder.rename(old)
        staging.rename(folder)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_model_files(
    folder: Path, objects: dict[str, Any], arrays: dict[str, Callable[[Path], None]] | None = None
) -> dict[str, str]:
    """Write skops and array files into `folder` (created private if missing); returns their SHA-256 by name.

    Neither `metadata.json` nor atomicity: `folder` is a staging folder that nothing reads yet.
    """
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, obj in objects.items():
        save_skops(obj, folder / name)
    for name, write in (arrays or {}).items():
        write(folder / name)
    return artifact_digests(folder, [*objects, *(arrays or {})])


def write_metadata(folder: Path, metadata: ModelMetadata) -> None:
    """Write `metadata.json` (not atomically: callers write into a staging folder)."""
    (Path(folder) / METADATA_FILE).write_text(json.dumps(metadata.to_dict(), indent=2) + "\n", encoding="utf-8")


def read_metadata_json(folder: Path) -> dict[str, Any]:
    """A model folder's `metadata.json` as decoded JSON (for display and migration)."""
    path = Path(folder) / METADATA_FILE
    if not path.exists() and not path.is_symlink():
        raise ModelNotFoundError(f"{folder}: no model here ({METADATA_FILE} missing)")
    try:
        data = loads(decode_line(read_regular(path, MAX_METADATA_BYTES)))
    except DataError as err:
        raise DataError(f"{path}: unreadable metadata ({err})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: metadata is not a JSON object")
    return data


def read_metadata(folder: Path) -> ModelMetadata:
    """A model folder's metadata, validated and typed."""
    return ModelMetadata.from_dict(read_metadata_json(folder), str(Path(folder) / METADATA_FILE))


_ESTIMATOR_ERRORS = (AttributeError, KeyError, TypeError, ValueError, IndexError)


def load_model_heads(folder: Path, metadata: ModelMetadata) -> tuple[DelegateHead, CriteriaHead]:
    """A model folder's heads, hash-checked and checked against `metadata`.

    From `heads.npz` (numpy only) when the folder has one or its metadata records one, else from the
    skops files (allow-listed types only). `UntrustedModelError` or `DataError` when anything is off.
    """
    folder = Path(folder)
    recorded = metadata.artifacts
    if HEADS_FILE in recorded or (folder / HEADS_FILE).exists() or (folder / HEADS_FILE).is_symlink():
        delegate, criteria = load_heads(read_artifact(folder, HEADS_FILE, recorded), str(folder / HEADS_FILE))
    else:
        model = load_skops(read_artifact(folder, MODEL_FILE, recorded), str(folder / MODEL_FILE))
        head = load_skops(read_artifact(folder, CRITERIA_FILE, recorded), str(folder / CRITERIA_FILE))
        try:
            delegate = DelegateHead.from_estimator(model.named_steps["clf"].estimator_)
            criteria = CriteriaHead.from_estimator(head)
        except _ESTIMATOR_ERRORS as err:
            raise DataError(f"{folder}: the skops files do not hold a routing model ({err})") from None
    check_heads(delegate, criteria, metadata, str(folder))
    return delegate, criteria


def check_model_folder(folder: Path) -> ModelMetadata:
    """Read and check a whole model folder (metadata, hashes, heads) without loading an encoder."""
    metadata = read_metadata(folder)
    load_model_heads(folder, metadata)
    return metadata
