"""`router retrain`: a candidate on base data plus new labels, promoted only past a gate.

The candidate is trained like `router train` (fit, describe, save) on the train split plus the feedback labels, except a
held-back slice of them chosen by text hash; dev (threshold, band) and test stay frozen. Candidate
and current model are scored on the test split and on the held-back slice (when it has both
classes); the candidate becomes current only if no gate metric gets worse by more than the
tolerance. It is kept as a numbered version either way, with `retrain-report.md` and `.json`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.artifacts.model_folder import load_model_heads, read_metadata
from router.artifacts.registry import (
    REPORT_JSON,
    REPORT_MD,
    check_root,
    current_or_none,
    publish,
    staging_folder,
    version_folder,
)
from router.core.metadata import ModelMetadata
from router.core.texts import normalise
from router.dataset.examples import Example
from router.dataset.similarity import TFIDF_NEAR, nearest_similarity
from router.encoders.embedder import SentenceEmbedder
from router.errors import DataError
from router.evaluation.metrics import binary_metrics
from router.fs import write_text_atomic
from router.loop.feedback import load_feedback
from router.settings import DATA_DIR, DEFAULT_ENCODER
from router.training.config import TrainConfig
from router.training.describe import describe
from router.training.fit import fit, load_training_data
from router.training.save import save
from router.training.selection import classifier_name

#: Gate metrics and their direction: +1 higher is better, -1 lower is better.
GATE_METRICS = {"f1": 1, "roc_auc": 1, "pr_auc": 1, "precision": 1, "recall": 1, "accuracy": 1, "brier": -1}
REPORT_METRICS = ("precision", "recall", "f1", "accuracy", "roc_auc", "pr_auc", "brier")
EPSILON = 1e-12


@dataclass(frozen=True)
class RetrainConfig:
    """Everything that decides a retraining run."""

    model: Path
    data_dir: Path = DATA_DIR
    gates: tuple[str, ...] = ("f1", "roc_auc")
    tolerance: float = 0.0
    holdout: float = 0.2
    encoder: str | None = None  # default: the current model's encoder
    cache_dir: str | None = None


@dataclass
class NewLabels:
    """The feedback labels, sorted into what trains the candidate and what is held back to judge it."""

    total: int = 0
    train: list[Example] = field(default_factory=list)
    held_back: list[Example] = field(default_factory=list)
    already_in_base: int = 0
    near_frozen: int = 0

    def summary(self) -> dict[str, Any]:
        """Counts, JSON-ready."""
        return {
            "total": self.total,
            "train": len(self.train),
            "held_back": len(self.held_back),
            "already_in_base": self.already_in_base,
            "near_duplicate_of_dev_or_test": self.near_frozen,
        }


def is_held_back(text: str, share: float) -> bool:
    """Deterministic, by the hash of the normalised text: about `share` of texts are held back."""
    bucket = int(hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:8], 16) % 10_000
    return bucket < round(share * 10_000)


def sort_new_labels(feedback: list[Example], base: dict[str, list[Example]], holdout: float) -> NewLabels:
    """Drop texts the base splits already hold, hold back a slice, keep dev/test look-alikes out of training."""
    new = NewLabels(total=len(feedback))
    seen = {normalise(ex.text) for examples in base.values() for ex in examples}
    fresh = []
    for ex in feedback:
        key = normalise(ex.text)
        if key in seen:
            new.already_in_base += 1
            continue
        seen.add(key)
        fresh.append(ex)
    frozen = [ex.text for ex in base["dev"] + base["test"]]
    near = nearest_similarity([ex.text for ex in fresh], frozen) >= TFIDF_NEAR
    for ex, close in zip(fresh, near):
        if is_held_back(ex.text, holdout):
            new.held_back.append(ex)
        elif close:
            new.near_frozen += 1
        else:
            new.train.append(ex)
    return new


def gate_rows(
    current: dict[str, Any], candidate: dict[str, Any], gates: tuple[str, ...], tolerance: float
) -> list[dict[str, Any]]:
    """Per gate metric: both values, the change, and whether it got worse by more than the tolerance."""
    rows = []
    for metric in gates:
        a, b = current.get(metric), candidate.get(metric)
        if a is None or b is None:
            rows.append({"metric": metric, "current": a, "candidate": b, "change": None, "worse": False})
            continue
        change = float(b) - float(a)
        worse = -change * GATE_METRICS[metric] > tolerance + EPSILON
        rows.append({"metric": metric, "current": a, "candidate": b, "change": change, "worse": worse})
    return rows


def _embed(meta: ModelMetadata, texts: list[str], cache_dir: str | None) -> np.ndarray:
    return SentenceEmbedder(meta.encoder.name, cache_dir=cache_dir, runtime=meta.encoder.runtime).transform(texts)


def retrain(config: RetrainConfig) -> dict[str, Any]:
    """Train a candidate, gate it against the current version, publish it; return the summary."""
    unknown = sorted(set(config.gates) - GATE_METRICS.keys())
    if unknown or not config.gates:
        raise DataError(f"unknown gate metric(s) {unknown}; choose from {', '.join(GATE_METRICS)}")
    if not 0.0 <= config.holdout < 1.0:
        raise DataError(f"holdout must be in [0, 1), got {config.holdout}")
    if config.tolerance < 0.0:
        raise DataError(f"tolerance must be >= 0, got {config.tolerance}")
    root = Path(config.model)
    check_root(root)
    previous = current_or_none(root)
    current_folder = version_folder(root, previous) if previous is not None else None
    current_meta = read_metadata(current_folder) if current_folder is not None else None
    encoder = config.encoder or (current_meta.encoder.name if current_meta else DEFAULT_ENCODER)
    train_config = TrainConfig(
        data_dir=config.data_dir,
        encoder=encoder,
        encoder_runtime=current_meta.encoder.runtime if current_meta and not config.encoder else "fp32",
        cache_dir=config.cache_dir,
        min_precision=current_meta.min_precision if current_meta else None,
        seed=current_meta.seed if current_meta else 0,
        # The current version's recipe: a model trained with --classifier logreg is retrained as logreg.
        classifier=(
            classifier_name(current_meta.classifier)
            if current_meta and current_meta.classifier
            else TrainConfig.classifier
        ),
    )
    base = load_training_data(train_config)
    new = sort_new_labels(load_feedback(config.data_dir), base.splits, config.holdout)
    data = base.with_extra(new.train)  # the files are read once: `base` plus the new labels
    stage = staging_folder(root)
    try:
        fitted = fit(train_config, data)
        candidate_meta = save(fitted, describe(fitted, data, train_config), stage)
        summary = compare(config, stage, candidate_meta, current_folder, current_meta, base.splits["test"], new)
        summary["previous"] = previous

        def finalize(folder: Path, version: str, promoted: bool) -> None:
            summary["candidate"]["version"] = version
            summary["promoted"] = promoted
            if summary["passed"] and not promoted:
                summary["reasons"].append("the current version changed during retraining; promote it by hand")
            summary["current"] = version if promoted else previous
            summary["report"] = str(root / "versions" / version / REPORT_MD)
            write_text_atomic(folder / REPORT_JSON, json.dumps(summary, indent=2) + "\n")
            write_text_atomic(folder / REPORT_MD, render_report(summary))

        publish(
            root,
            stage,
            promote=summary["passed"],
            reason="retrain",
            metadata=candidate_meta,
            expected_current=previous,
            check_current=True,
            finalize=finalize,
        )
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return summary


def compare(
    config: RetrainConfig,
    stage: Path,
    candidate_meta: ModelMetadata,
    current_folder: Path | None,
    current_meta: ModelMetadata | None,
    test: list[Example],
    new: NewLabels,
) -> dict[str, Any]:
    """Score both models on the test split and the held-back slice and apply the gate."""
    slices = {"test": test, "held_back": new.held_back}
    summary: dict[str, Any] = {
        "passed": True,
        "reasons": [],
        "gate": {"metrics": list(config.gates), "tolerance": config.tolerance},
        "new_labels": new.summary(),
        "candidate": {"version": None, "model_version": candidate_meta.model_version},
        "current_model": None,
        "slices": {},
    }
    if current_folder is not None and current_meta is not None:
        summary["current_model"] = {"version": current_meta.version, "model_version": current_meta.model_version}
    models = {"candidate": (stage, candidate_meta)}
    if current_folder is not None and current_meta is not None:
        models["current"] = (current_folder, current_meta)
    heads: dict[str, Any] = {}  # each model's delegate head, read once
    for name, examples in slices.items():
        labels = {ex.label for ex in examples}
        entry: dict[str, Any] = {"n": len(examples), "positives": sum(ex.label for ex in examples)}
        entry["used"] = labels == {0, 1}
        summary["slices"][name] = entry
        if not entry["used"]:
            entry["note"] = "needs both labels to judge" if examples else "empty"
            continue
        texts, y = [ex.text for ex in examples], [ex.label for ex in examples]
        vectors: dict[tuple[str, str], np.ndarray] = {}  # the slice embedded once per encoder, not per model
        for role, (folder, meta) in models.items():
            encoder = (meta.encoder.name, meta.encoder.runtime)
            if encoder not in vectors:
                vectors[encoder] = _embed(meta, texts, config.cache_dir)
            if role not in heads:
                heads[role], _ = load_model_heads(folder, meta)  # a staged candidate has no metadata.json yet
            entry[role] = binary_metrics(
                y, np.asarray(heads[role].proba(vectors[encoder]), dtype=float), meta.threshold
            )
        if "current" not in entry:
            continue
        entry["gate"] = gate_rows(entry["current"], entry["candidate"], config.gates, config.tolerance)
        for row in entry["gate"]:
            if row["worse"]:
                summary["passed"] = False
                summary["reasons"].append(
                    f"{row['metric']} on {name} got worse: {row['current']:.4f} -> {row['candidate']:.4f} "
                    f"({row['change']:+.4f}, tolerance {config.tolerance})"
                )
    if current_folder is None:
        summary["reasons"].append("no current version: the candidate becomes the first")
    elif summary["passed"]:
        summary["reasons"].append(
            f"no gate metric ({', '.join(config.gates)}) got worse by more than {config.tolerance}"
        )
    return summary


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def render_report(summary: dict[str, Any]) -> str:
    """The comparison as Markdown."""
    candidate = summary["candidate"]
    current = summary["current_model"] or {}
    verdict = "promoted" if summary["promoted"] else "not promoted"
    lines = [
        f"# Retrain report: candidate {candidate['version']}",
        "",
        f"**{verdict}** (current version now: {summary['current']}).",
        "",
        *[f"- {reason}" for reason in summary["reasons"]],
        "",
        "| | current | candidate |",
        "| --- | --- | --- |",
        f"| version | {current.get('version', '-')} | {candidate['version']} |",
        f"| model_version | {current.get('model_version', '-')} | {candidate['model_version']} |",
        "",
        f"Gate: {', '.join(summary['gate']['metrics'])}; tolerance {summary['gate']['tolerance']}.",
        "",
        "New labels: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary["new_labels"].items()) + ".",
    ]
    titles = {"test": "Frozen test split", "held_back": "Held-back slice of the new labels"}
    for name, entry in summary["slices"].items():
        lines += ["", f"## {titles[name]} (n = {entry['n']}, positives {entry['positives']})", ""]
        if not entry["used"]:
            lines.append(f"Not used: {entry['note']}.")
            continue
        gated = {row["metric"]: row for row in entry.get("gate", [])}
        lines += ["| metric | current | candidate | change | gate |", "| --- | --- | --- | --- | --- |"]
        for metric in REPORT_METRICS:
            a = entry.get("current", {}).get(metric)
            b = entry["candidate"].get(metric)
            change = "n/a" if a is None or b is None else f"{b - a:+.4f}"
            row = gated.get(metric)
            mark = "" if row is None else ("**worse**" if row["worse"] else "ok")
            lines.append(f"| {metric} | {_fmt(a)} | {_fmt(b)} | {change} | {mark} |")
    return "\n".join(lines) + "\n"
