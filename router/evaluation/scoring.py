"""Score a loaded router on labeled examples: probabilities, decisions, metrics and accuracy by kind.

Evaluation never writes to a decision log: its texts are labeled examples, not production requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from router.core.decision import Decision
from router.core.heads import one_blas_thread
from router.core.router import Router, decide
from router.dataset.examples import Example
from router.evaluation.metrics import binary_metrics

BATCH = 256


@dataclass(frozen=True)
class Scored:
    """A router's view of some examples, from one embedding of each text."""

    X: np.ndarray  # (n, d) the embeddings its heads see
    p: np.ndarray  # calibrated P(delegate), as `Router.probabilities` gives it
    decisions: list[Decision]  # as `Router.route_batch` decides, but never logged (no decision ids)


def unlogged(router: Router) -> Router:
    """The same loaded model without a decision log (`router` itself when it has none)."""
    return router if router.log is None else Router(router.model)


def probabilities(router: Router, examples: list[Example], batch: int = BATCH) -> np.ndarray:
    """Calibrated probability per example, in batches (`Router.probabilities`: no decisions, no logging)."""
    texts = [ex.text for ex in examples]
    parts = [router.probabilities(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.concatenate(parts) if parts else np.zeros(0)


def score(router: Router, examples: list[Example], batch: int = BATCH) -> Scored:
    """Embeddings, probabilities and decisions per example, each text embedded once, nothing logged.

    The heads and `decide` are `Router.route_batch`'s own, on the same batches, so the decisions are the
    ones routing gives; the probabilities are unrounded, as `probabilities` gives them.
    """
    model = router.model  # one version throughout, even during a reload
    texts = [ex.text for ex in examples]
    X, p, decisions = [], [], []
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        vectors = model.embed(chunk)
        with one_blas_thread():
            proba = np.asarray(model.delegate.proba(vectors), dtype=float)
            scores = model.criteria.proba(vectors, chunk)
        X.append(vectors)
        p.append(proba)
        decisions += [decide(model.metadata, float(q), s) for q, s in zip(proba, scores)]
    if not texts:
        return Scored(np.zeros((0, 0), dtype=np.float32), np.zeros(0), [])
    return Scored(np.concatenate(X), np.concatenate(p), decisions)


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
