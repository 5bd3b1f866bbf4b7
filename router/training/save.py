"""Save a fitted model as a model folder: the skops files, `heads.npz` and `metadata.json`."""

from __future__ import annotations

from pathlib import Path

from router.artifacts.heads_file import save_heads
from router.artifacts.model_folder import CRITERIA_FILE, HEADS_FILE, MODEL_FILE, write_model_folder
from router.core.heads import CriteriaHead, DelegateHead
from router.core.metadata import ModelMetadata
from router.training.fit import FittedModel


def save(fitted: FittedModel, metadata: ModelMetadata, folder: Path) -> None:
    """Write the model folder atomically (a temporary folder renamed into place)."""
    delegate = DelegateHead.from_estimator(fitted.calibrated)
    criteria = CriteriaHead.from_estimator(fitted.criteria_head)
    heads = {HEADS_FILE: lambda path: save_heads(path, delegate, criteria)}
    write_model_folder(folder, {MODEL_FILE: fitted.pipeline, CRITERIA_FILE: fitted.criteria_head}, metadata, heads)
