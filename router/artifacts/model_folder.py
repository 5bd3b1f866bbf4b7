"""A model folder: `model.skops`, `criteria.skops`, `heads.npz` and `metadata.json`, written atomically."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.artifacts.skops_io import save_skops
from router.core.metadata import ModelMetadata
from router.errors import DataError, ModelNotFoundError

MODEL_FILE = "model.skops"
CRITERIA_FILE = "criteria.skops"
METADATA_FILE = "metadata.json"
HEADS_FILE = "heads.npz"


def write_model_folder(
    folder: Path,
    objects: dict[str, Any],
    metadata: ModelMetadata,
    arrays: dict[str, Callable[[Path], None]] | None = None,
) -> None:
    """Write skops files, array files and metadata into a temporary folder, then move it into `folder`."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        for name, obj in objects.items():
            save_skops(obj, staging / name)
        for name, write in (arrays or {}).items():
            write(staging / name)
        write_metadata(staging, metadata)
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


def write_metadata(folder: Path, metadata: ModelMetadata) -> None:
    """Write `metadata.json` (not atomically: callers write into a staging folder)."""
    (Path(folder) / METADATA_FILE).write_text(json.dumps(metadata.to_dict(), indent=2) + "\n", encoding="utf-8")


def read_metadata_json(folder: Path) -> dict[str, Any]:
    """A model folder's `metadata.json` as decoded JSON (for display and migration)."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{folder}: no model here ({METADATA_FILE} missing)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: unreadable metadata ({err})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: metadata is not a JSON object")
    return data


def read_metadata(folder: Path) -> ModelMetadata:
    """A model folder's metadata, validated and typed."""
    return ModelMetadata.from_dict(read_metadata_json(folder), str(Path(folder) / METADATA_FILE))
