"""`router train`: fit a model on a data folder and publish it as the registry's next, current version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.options import DataDirOption, EncoderRuntimeOption, JsonOption, NoCacheOption, NoOnnxOption
from router.cli.output import emit, fail, print_table, wants_json
from router.core.metadata import ModelMetadata
from router.errors import RouterError
from router.settings import DATA_DIR, DEFAULT_ENCODER, default_registry


def train(
    data_dir: DataDirOption = DATA_DIR,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Registry to add a version to (default: the checkout's models/, else the user registry)."
        ),
    ] = None,
    agent: Annotated[
        Path | None,
        typer.Option(
            "--agent",
            help="Agent file (default: the one targets.yaml names, else the only file in DATA_DIR/agents/).",
        ),
    ] = None,
    encoder: Annotated[str, typer.Option(help="Encoder name or path.")] = DEFAULT_ENCODER,
    encoder_runtime: EncoderRuntimeOption = "fp32",
    classifier: Annotated[
        str, typer.Option(help="svm-knn (default), auto (LR or RBF SVM by CV), logreg or svm-rbf.")
    ] = "svm-knn",
    min_precision: Annotated[float | None, typer.Option(help="Tune the threshold for F1 at this precision.")] = None,
    seed: int = 0,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Embedding cache (default ~/.cache/router/embeddings).")
    ] = None,
    no_cache: NoCacheOption = False,
    no_onnx: NoOnnxOption = False,
    eval_file: Annotated[list[Path] | None, typer.Option(help="Extra labeled JSONL to report on.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Train a model on DATA_DIR's splits as the next version in OUT, made current; print its metrics."""
    from router.encoders.catalog import prepare_export
    from router.settings import embedding_cache_dir
    from router.training.config import TrainConfig
    from router.training.publish import train_and_publish

    root = out or default_registry()
    config = TrainConfig(
        data_dir=data_dir,
        agent=agent,
        encoder=encoder,
        encoder_runtime=encoder_runtime,
        classifier=classifier,
        cache_dir=None if no_cache else str(cache_dir or embedding_cache_dir()),
        min_precision=min_precision,
        seed=seed,
        eval_files=tuple(eval_file or ()),
    )
    try:
        meta = train_and_publish(config, root)
        if not no_onnx and encoder_runtime == "fp32":
            prepare_export(meta.encoder.name, meta.encoder.id, meta.encoder.runtime)
    except RouterError as err:
        fail(err)
    if wants_json(json_out):
        emit(summary(meta, root))
    else:
        print_summary(meta, root)


def summary(meta: ModelMetadata, root: Path) -> dict[str, object]:
    """The JSON a script reads after training."""
    return {
        "model": str(root),
        "version": meta.version,
        "classifier": dict(meta.classifier),
        "threshold": meta.threshold,
        "abstain_band": {"low": meta.band.low, "high": meta.band.high, "rule": meta.band.rule},
        "encoder": {"name": meta.encoder.name, "runtime": meta.encoder.runtime},
        "metrics": {k: v for k, v in meta.metrics.items() if k != "cv"},
    }


def print_summary(meta: ModelMetadata, root: Path) -> None:
    """Version, metrics per split, threshold and band, as a short table."""
    names = [n for n, v in meta.metrics.items() if n not in ("cv", "criteria_dev", "train") and isinstance(v, dict)]
    columns = ("n", "precision", "recall", "f1", "roc_auc")
    rows = [[name, *(meta.metrics[name].get(c) for c in columns)] for name in names]
    print_table(
        f"{root} {meta.version}: {meta.classifier.get('classifier', '?')} (C = {meta.classifier.get('C', '?')})",
        ["data", "n", "precision", "recall", "F1", "ROC-AUC"],
        rows,
        [
            f"threshold {meta.threshold:.2f}, abstain band [{meta.band.low:.2f}, {meta.band.high:.2f}); "
            f"model_version {meta.model_version}; --json for the full metrics"
        ],
    )
