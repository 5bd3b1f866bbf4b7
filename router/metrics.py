"""Binary routing metrics from labels, calibrated probabilities and a threshold."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)


def binary_metrics(y_true: Any, proba: Any, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1, accuracy, ROC-AUC, PR-AUC, Brier and the confusion matrix.

    Ranking metrics are `None` when only one class is present.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    pred = (p >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "threshold": float(threshold),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
        "confusion_matrix": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def f1_at_min_precision(y_true: Any, y_pred: Any, min_precision: float = 0.0) -> float:
    """F1, or 0 when precision is below `min_precision` (a scorer for threshold tuning)."""
    if precision_score(y_true, y_pred, zero_division=0) < min_precision:
        return 0.0
    return float(f1_score(y_true, y_pred, zero_division=0))


def abstain_band(
    y_true: Any,
    proba: Any,
    threshold: float,
    min_accuracy: float = 0.8,
    step: float = 0.05,
    min_count: int = 5,
) -> tuple[float, float]:
    """The band around the threshold where decisions are locally less than `min_accuracy` right.

    Rings of width `step` are added outward from the threshold (|p - t| in [w, w + step)), rings with
    fewer than `min_count` examples being merged with the next; the band grows while each ring's accuracy
    stays below `min_accuracy` and stops at the first ring that reaches it. Returns (low, high); low ==
    high means no band.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    right = (p >= threshold).astype(int) == y
    distance = np.abs(p - threshold)
    inner, width = 0.0, 0.0
    for outer in np.round(np.arange(step, 0.5 + step / 2, step), 6):
        ring = (distance >= inner) & (distance < outer)
        if ring.sum() < min_count:
            continue
        if right[ring].mean() >= min_accuracy:
            break
        inner = width = float(outer)
    return round(max(0.0, threshold - width), 4), round(min(1.0, threshold + width), 4)
