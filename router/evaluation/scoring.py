"""Score a loaded router on labeled examples: decisions, probabilities, metrics and accuracy by kind."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from router.core.decision import Decision
from router.core.router import Router
from router.dataset.examples import Example
from router.evaluation.metrics import binary_metrics


def decide(router: Router, examples: list[Example], batch: int = 256) -> list[Decision]:
    """The router's decision per example, routed in batches."""
    texts = [ex.text for ex in examples]
    return [d for i in range(0, len(texts), batch) for d in router.route_batch(texts[i : i + batch])]


def probabilities(router: Router, examples: list[Example], batch: int = 256) -> np.ndarray:
    """Calibrated probability per example, routed in batches."""
    return np.asarray([d.probability for d in decide(router, examples, batch)], dtype=float)


def summarize(router: Router, examples: list[Example], p: np.ndarray) -> dict[str, Any]:
    """Metrics of probabilities `p` at the model's threshold, the uncertain share, accuracy by `kind`."""
    y = np.array([ex.label for ex in examples])
    band = router.band
    report = binary_metrics(y, p, router.threshold)
    report["uncertain_share"] = float(((p >= band.low) & (p < band.high)).mean())
    report["model_version"] = router.metadata.model_version
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


def evaluate(router: Router, examples: list[Example]) -> dict[str, Any]:
    """Metrics at the model's threshold, the uncertain share, and accuracy by `kind` where present."""
    return summarize(router, examples, probabilities(router, examples))
