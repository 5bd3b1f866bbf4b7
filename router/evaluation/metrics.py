"""Binary routing metrics: precision, recall and F1 from confusion counts (the one implementation), and more.

`rates` works on numbers or numpy arrays of counts alike, so bootstrap resamples, slices, threshold
tuning and reports all compute these three the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def rates(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from counts (0 where undefined), elementwise."""
    tp, fp, fn = (np.asarray(v, dtype=float) for v in (tp, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return precision, recall, f1


def counts(y_true: ArrayLike, pred: ArrayLike) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) of binary decisions."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(pred, dtype=bool)
    return int((~y & ~p).sum()), int((~y & p).sum()), int((y & ~p).sum()), int((y & p).sum())


def prf(y_true: ArrayLike, pred: ArrayLike) -> dict[str, float]:
    """Precision, recall and F1 of binary decisions."""
    _, fp, fn, tp = counts(y_true, pred)
    precision, recall, f1 = rates(tp, fp, fn)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def binary_metrics(y_true: ArrayLike, proba: ArrayLike, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1, accuracy, ROC-AUC, PR-AUC, Brier and the confusion matrix.

    Ranking metrics are `None` when only one class is present.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    pred = p >= threshold
    both = len(np.unique(y)) == 2
    tn, fp, fn, tp = counts(y, pred)
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "threshold": float(threshold),
        **prf(y, pred),
        "accuracy": (tp + tn) / max(1, len(y)),
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }


def f1_at_min_precision(y_true: ArrayLike, y_pred: ArrayLike, min_precision: float = 0.0) -> float:
    """F1, or 0 when precision is below `min_precision` (a scorer for threshold tuning)."""
    scores = prf(y_true, y_pred)
    return 0.0 if scores["precision"] < min_precision else scores["f1"]
