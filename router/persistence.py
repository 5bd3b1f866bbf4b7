"""Model artifacts on disk: skops files checked against an allow-list, plus `metadata.json`."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.errors import DataError, ModelNotFoundError, UntrustedModelError

MODEL_FILE = "model.skops"
CRITERIA_FILE = "criteria.skops"
METADATA_FILE = "metadata.json"
HEADS_FILE = "heads.npz"
TRUSTED = re.compile(r"^(router|sklearn)\.")


def save_skops(obj: Any, path: Path) -> None:
    """Serialise an estimator with skops (never pickle)."""
    import skops.io as sio

    sio.dump(obj, path)


def load_skops(path: Path) -> Any:
    """Load a skops file, refusing any type outside our classes and scikit-learn."""
    import skops.io as sio

    if not path.is_file():
        raise ModelNotFoundError(f"{path}: model file not found")
    try:
        types = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:  # not a zip, no schema, bad JSON
        raise DataError(f"{path}: not a readable skops file ({err})") from None
    foreign = [t for t in types if not TRUSTED.match(t)]
    if foreign:
        raise UntrustedModelError(f"{path}: refusing untrusted types {foreign}")
    return sio.load(path, trusted=types)


def write_artifact(
    folder: Path,
    objects: dict[str, Any],
    metadata: dict[str, Any],
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
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
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


def read_metadata(folder: Path) -> dict[str, Any]:
    """Read a model folder's `metadata.json`."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{folder}: no model here ({METADATA_FILE} missing)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: unreadable metadata ({err})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: metadata is not a JSON object")
    return data
