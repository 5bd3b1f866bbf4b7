"""Evaluate a loaded router on labeled examples."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from router.data import Example
from router.inference import Router
from router.metrics import binary_metrics


def probabilities(router: Router, examples: list[Example], batch: int = 256) -> np.ndarray:
    """Calibrated probability per example, routed in batches."""
    texts = [ex.text for ex in examples]
    out = [d.probability for i in range(0, len(texts), batch) for d in router.route_batch(texts[i : i + batch])]
    return np.asarray(out, dtype=float)


def evaluate(router: Router, examples: list[Example]) -> dict[str, Any]:
    """Metrics at the model's threshold, the uncertain share, and F1 by `kind` where present."""
    y = np.array([ex.label for ex in examples])
    p = probabilities(router, examples)
    low, high = router.band
    report = binary_metrics(y, p, router.threshold)
    report["uncertain_share"] = float(((p >= low) & (p < high)).mean())
    report["model_version"] = router.metadata["model_version"]
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        if ex.kind is not None:
            kinds[ex.kind].append(i)
    if kinds:
        pred = p >= router.threshold
        report["accuracy_by_kind"] = {
            kind: {"n": len(idx), "accuracy": float((pred[idx] == y[idx]).mean())}
            for kind, idx in sorted(kinds.items())
        }
    return report
