"""How sure a measurement is: bootstrap intervals, paired deltas, McNemar's test, calibration error.

Resampling is seeded, so a report states the same intervals every time it is built. Inside the
bootstrap, precision, recall and F1 come from confusion counts and ROC-AUC from the rank (Mann-Whitney)
formula, vectorised over all resamples at once; both equal scikit-learn's values (tested).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binomtest, rankdata
from sklearn.metrics import roc_auc_score

from router.evaluation.metrics import prf, rates

METRICS = ("f1", "precision", "recall", "roc_auc")
N_BOOT = 1000
SEED = 0


def point_metrics(y_true: Any, scores: Any, pred: Any) -> dict[str, float | None]:
    """F1, precision, recall (of `pred`) and ROC-AUC (of `scores`; `None` with one class)."""
    y = np.asarray(y_true, dtype=int)
    scored = prf(y, pred)
    return {
        "f1": scored["f1"],
        "precision": scored["precision"],
        "recall": scored["recall"],
        "roc_auc": float(roc_auc_score(y, scores)) if len(np.unique(y)) == 2 else None,
    }


def _resampled(y: np.ndarray, scores: np.ndarray, pred: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric on each resample (rows of `idx`); NaN where a metric is undefined."""
    yb, pb = y[idx].astype(bool), pred[idx].astype(bool)
    precision, recall, f1 = rates((yb & pb).sum(1), (~yb & pb).sum(1), (yb & ~pb).sum(1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ranks = rankdata(scores[idx], axis=1)
        n_pos = yb.sum(1).astype(float)
        n_neg = yb.shape[1] - n_pos
        auc = ((ranks * yb).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    auc = np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)
    return {"f1": f1, "precision": precision, "recall": recall, "roc_auc": auc}


def _indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _interval(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_ci(
    y_true: Any, scores: Any, pred: Any, n_boot: int = N_BOOT, seed: int = SEED, level: float = 0.95
) -> dict[str, dict[str, float | None]]:
    """Point value and percentile bootstrap interval for F1, precision, recall and ROC-AUC."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    p = np.asarray(pred, dtype=int)
    point = point_metrics(y, s, p)
    boot = _resampled(y, s, p, _indices(len(y), n_boot, seed))
    out: dict[str, dict[str, float | None]] = {}
    for name in METRICS:
        low, high = _interval(boot[name], level)
        out[name] = {"value": point[name], "low": low, "high": high}
    return out


def paired_bootstrap(
    y_true: Any,
    a: tuple[Any, Any],
    b: tuple[Any, Any],
    n_boot: int = N_BOOT,
    seed: int = SEED,
    level: float = 0.95,
) -> dict[str, dict[str, float | None]]:
    """Delta b - a per metric with a paired interval (both systems scored on the same resamples).

    `a` and `b` are (scores, decisions) of two systems on the same examples.
    """
    y = np.asarray(y_true, dtype=int)
    (sa, pa), (sb, pb) = ((np.asarray(s, dtype=float), np.asarray(p, dtype=int)) for s, p in (a, b))
    point_a, point_b = point_metrics(y, sa, pa), point_metrics(y, sb, pb)
    idx = _indices(len(y), n_boot, seed)
    boot_a, boot_b = _resampled(y, sa, pa, idx), _resampled(y, sb, pb, idx)
    out: dict[str, dict[str, float | None]] = {}
    for name in METRICS:
        va, vb = point_a[name], point_b[name]
        low, high = _interval(boot_b[name] - boot_a[name], level)
        delta = None if va is None or vb is None else vb - va
        out[name] = {"a": va, "b": vb, "delta": delta, "low": low, "high": high}
    return out


def mcnemar(y_true: Any, pred_a: Any, pred_b: Any) -> dict[str, float | int]:
    """McNemar's exact test on paired decisions: whether the two systems' disagreements are a coin toss.

    `a_only` counts rows only `a` gets right, `b_only` rows only `b` gets right; the p-value is the
    two-sided binomial test of `a_only` out of `a_only + b_only` at 1/2 (1.0 when they never disagree).
    """
    y = np.asarray(y_true, dtype=int)
    right_a = np.asarray(pred_a, dtype=int) == y
    right_b = np.asarray(pred_b, dtype=int) == y
    a_only = int((right_a & ~right_b).sum())
    b_only = int((~right_a & right_b).sum())
    n = a_only + b_only
    p_value = float(binomtest(a_only, n, 0.5).pvalue) if n else 1.0
    return {"a_only": a_only, "b_only": b_only, "p_value": p_value}


def reliability_bins(y_true: Any, proba: Any, bins: int = 10) -> list[dict[str, float | int]]:
    """Equal-width probability bins: count, mean predicted probability and observed positive rate."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(proba, dtype=float)
    which = np.clip((p * bins).astype(int), 0, bins - 1)
    out: list[dict[str, float | int]] = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "n": int(mask.sum()),
                    "mean_proba": float(p[mask].mean()),
                    "positive_rate": float(y[mask].mean()),
                }
            )
    return out


def ece(y_true: Any, proba: Any, bins: int = 10) -> float:
    """Expected calibration error: count-weighted mean |positive rate - mean probability| over bins."""
    table = reliability_bins(y_true, proba, bins)
    n = sum(int(row["n"]) for row in table)
    return float(sum(int(row["n"]) * abs(row["positive_rate"] - row["mean_proba"]) for row in table) / max(n, 1))
