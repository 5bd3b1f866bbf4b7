"""Binary routing metrics: precision, recall and F1 from confusion counts (the one implementation), and more.

`rates` works on numbers or numpy arrays of counts alike, so bootstrap resamples, slices, threshold
tuning and reports all compute these three the same way; `best_f1_threshold` is the one best-F1 sweep.
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


def best_f1_threshold(y_true: ArrayLike, scores: ArrayLike) -> dict[str, float]:
    """The score threshold with the best F1 (delegate when score >= threshold), with its precision and recall.

    Every distinct score is a candidate threshold; tied scores fall on the same side of it, so the F1 is
    one a threshold reaches. Among equal F1s the lowest threshold wins.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    if s.size == 0:
        raise ValueError("no scores to choose a threshold from")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1]  # each distinct score's last row, descending
    tp = np.cumsum(y)[last]
    precision, recall, f1 = rates(tp, last + 1 - tp, y.sum() - tp)
    best = last.size - 1 - int(np.argmax(f1[::-1]))
    return {
        "threshold": float(s[last[best]]),
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "f1": float(f1[best]),
    }


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
