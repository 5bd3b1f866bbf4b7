"""The decision threshold (tuned on dev for F1) and the abstain band around it."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.model_selection import TunedThresholdClassifierCV

from router.errors import TrainingError
from router.evaluation.metrics import f1_at_min_precision

THRESHOLDS = np.linspace(0.05, 0.95, 91)


def tune_threshold(calibrated: Any, X: np.ndarray, y: np.ndarray, min_precision: float | None) -> Any:
    """Pick the threshold with the best dev F1 (among those reaching `min_precision`, if given)."""
    if min_precision is not None and not 0.0 < min_precision <= 1.0:
        raise TrainingError(f"min precision must be in (0, 1], got {min_precision}")
    scorer = make_scorer(f1_at_min_precision, min_precision=min_precision or 0.0)
    tuned = TunedThresholdClassifierCV(calibrated, scoring=scorer, cv="prefit", refit=False, thresholds=THRESHOLDS)
    tuned.fit(X, y)
    if min_precision is not None and tuned.best_score_ <= 0.0:
        raise TrainingError(f"no threshold reaches precision {min_precision:.2f} on dev")
    return tuned


def abstain_band(
    y_true: Any,
    proba: Any,
    threshold: float,
    min_accuracy: float = 0.8,
    step: float = 0.05,
    min_count: int = 10,
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
