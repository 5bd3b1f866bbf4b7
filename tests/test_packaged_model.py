"""The model inside the package is the checkout registry's version of the same name, file for file."""

import hashlib
import json
from pathlib import Path

from router.artifacts.locations import PACKAGED_MODEL

ROOT = Path(__file__).resolve().parent.parent


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_packaged_model_equals_its_registry_version():
    meta = json.loads((PACKAGED_MODEL / "metadata.json").read_text(encoding="utf-8"))
    folder = ROOT / "models" / meta["agent"] / "versions" / meta["version"]
    files = sorted(p.name for p in PACKAGED_MODEL.iterdir())
    assert files == sorted(p.name for p in folder.iterdir())
    assert all(digest(PACKAGED_MODEL / name) == digest(folder / name) for name in files)
