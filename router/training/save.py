"""Save a fitted model's files (the skops files and `heads.npz`) into a registry staging folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from router.artifacts.heads_file import save_heads
from router.artifacts.model_folder import CRITERIA_FILE, HEADS_FILE, MODEL_FILE, write_model_files
from router.core.heads import CriteriaHead, DelegateHead
from router.core.metadata import ModelMetadata
from router.training.fit import FittedModel


def save(fitted: FittedModel, metadata: ModelMetadata, folder: Path) -> ModelMetadata:
    """Write the model files into `folder` (a staging folder); returns `metadata` with their SHA-256.

    `metadata.json` is not written here: `registry.publish` writes it once, with the version number,
    and renames the folder into place (so a crash never leaves a half version).
    """
    delegate = DelegateHead.from_estimator(fitted.calibrated)
    criteria = CriteriaHead.from_estimator(fitted.criteria_head)
    heads = {HEADS_FILE: lambda path: save_heads(path, delegate, criteria)}
    objects = {MODEL_FILE: fitted.pipeline, CRITERIA_FILE: fitted.criteria_head}
    return replace(metadata, artifacts=write_model_files(folder, objects, heads))
