"""The criteria head: which of the agent's criteria a delegated request matches (one-vs-rest, on positives)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from router.dataset.agent import AgentSpec
from router.dataset.examples import Example
from router.evaluation.metrics import rates

#: A criterion is predicted when its score reaches this (the same cut `route()` uses).
CRITERION_CUT = 0.5


def fit_criteria_head(X: np.ndarray, examples: list[Example], spec: AgentSpec, seed: int, C: float = 3.0) -> Any:
    """One-vs-rest logistic regression over criterion ids, fitted on positives."""
    positives = [i for i, ex in enumerate(examples) if ex.label == 1]
    binarizer = MultiLabelBinarizer(classes=list(spec.ids))
    Y = binarizer.fit_transform([examples[i].criteria for i in positives])
    head = OneVsRestClassifier(LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed))
    return head.fit(X[positives], Y)


def criteria_metrics(head: Any, X: np.ndarray, examples: list[Example], spec: AgentSpec) -> dict[str, Any]:
    """Per-criterion recall and micro precision/recall of the criteria head on positives."""
    ids = list(spec.ids)
    pos = [i for i, ex in enumerate(examples) if ex.label == 1]
    predicted = head.predict_proba(X[pos]) >= CRITERION_CUT
    truth = MultiLabelBinarizer(classes=ids).fit_transform([examples[i].criteria for i in pos]) == 1
    tp = int((predicted & truth).sum())
    precision, recall, _ = rates(tp, int(predicted.sum()) - tp, int(truth.sum()) - tp)
    by_criterion = {cid: float(predicted[truth[:, j], j].mean()) if truth[:, j].any() else None for j, cid in enumerate(ids)}
    return {"micro_precision": float(precision), "micro_recall": float(recall), "recall_by_criterion": by_criterion}
