"""The criteria head: which of the agent's criteria a delegated request matches (one-vs-rest, on positives).

Criteria are topical, so the head reads the words too: a TF-IDF of the text is joined to the embedding
before a one-vs-rest logistic regression. `router.core.heads.CriteriaHead` repeats its arithmetic in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from router.dataset.agent import AgentSpec
from router.dataset.examples import Example
from router.evaluation.metrics import rates

#: Candidate cuts for the model's `criteria_cut`.
CUTS = tuple(float(c) for c in np.round(np.arange(0.3, 0.701, 0.01), 2))
#: The named criteria should find at least this share of the labeled ones on dev positives.
MIN_RECALL = 0.8


class CriteriaModel(BaseEstimator):
    """One-vs-rest logistic regression over [embedding, weight x TF-IDF(text)].

    C = 3 and weight = 2 were chosen by 5-fold cross-validation on the training positives (micro precision
    at the recall of the previous head), among C in {3, 10, 30} and weight in {0.5, 1, 2, 3, 4}.
    """

    def __init__(self, C: float = 3.0, weight: float = 2.0, min_df: int = 2, seed: int = 0) -> None:
        self.C = C
        self.weight = weight
        self.min_df = min_df
        self.seed = seed

    def _features(self, X: np.ndarray, texts: Sequence[str]) -> Any:
        return hstack([csr_matrix(np.asarray(X, dtype=np.float64)), self.weight * self.vectorizer.transform(texts)])

    def fit(self, X: np.ndarray, texts: Sequence[str], Y: np.ndarray) -> CriteriaModel:
        """Fit on embeddings, texts and a (n, k) indicator matrix of criteria."""
        self.vectorizer = TfidfVectorizer(min_df=self.min_df, sublinear_tf=True).fit(texts)
        lr = LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed)
        self.classifier = OneVsRestClassifier(lr).fit(self._features(X, texts).tocsr(), Y)
        return self

    def predict_proba(self, X: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Score per row and criterion, (n, k)."""
        return np.asarray(self.classifier.predict_proba(self._features(X, texts).tocsr()))


def fit_criteria_head(X: np.ndarray, examples: list[Example], spec: AgentSpec, seed: int) -> CriteriaModel:
    """The criteria model, fitted on the positives."""
    positives = [i for i, ex in enumerate(examples) if ex.label == 1]
    Y = MultiLabelBinarizer(classes=list(spec.ids)).fit_transform([examples[i].criteria for i in positives])
    return CriteriaModel(seed=seed).fit(X[positives], [examples[i].text for i in positives], Y)


def named(scores: np.ndarray, cut: float) -> np.ndarray:
    """The criteria `route()` names: those at or above the cut, else the best one alone."""
    return (scores >= cut) | (scores == scores.max(axis=1, keepdims=True))


def criteria_scores(
    head: CriteriaModel, X: np.ndarray, examples: list[Example], spec: AgentSpec
) -> tuple[np.ndarray, np.ndarray]:
    """The head's scores on the positives, (n, k), and their labeled criteria as a boolean (n, k) matrix."""
    pos = [i for i, ex in enumerate(examples) if ex.label == 1]
    scores = head.predict_proba(X[pos], [examples[i].text for i in pos])
    truth = MultiLabelBinarizer(classes=list(spec.ids)).fit_transform([examples[i].criteria for i in pos]) == 1
    return scores, truth


def metrics_at(scores: np.ndarray, truth: np.ndarray, ids: Sequence[str], cut: float) -> dict[str, Any]:
    """Per-criterion recall and micro precision/recall/F1 of the criteria named at `cut`."""
    predicted = named(scores, cut)
    tp = int((predicted & truth).sum())
    precision, recall, f1 = rates(tp, int(predicted.sum()) - tp, int(truth.sum()) - tp)
    by_criterion = {
        cid: float(predicted[truth[:, j], j].mean()) if truth[:, j].any() else None for j, cid in enumerate(ids)
    }
    return {
        "cut": cut,
        "micro_precision": float(precision),
        "micro_recall": float(recall),
        "micro_f1": float(f1),
        "recall_by_criterion": by_criterion,
    }


def criteria_metrics(
    head: CriteriaModel, X: np.ndarray, examples: list[Example], spec: AgentSpec, cut: float
) -> dict[str, Any]:
    """Per-criterion recall and micro precision/recall of the named criteria on positives."""
    scores, truth = criteria_scores(head, X, examples, spec)
    return metrics_at(scores, truth, spec.ids, cut)


def tune_cut(head: CriteriaModel, X: np.ndarray, examples: list[Example], spec: AgentSpec) -> float:
    """The highest cut (the most precise) whose micro recall on these (dev) positives stays >= `MIN_RECALL`.

    The head scores the positives once; only the cut moves.
    """
    scores, truth = criteria_scores(head, X, examples, spec)
    kept = [cut for cut in CUTS if metrics_at(scores, truth, spec.ids, cut)["micro_recall"] >= MIN_RECALL]
    return max(kept) if kept else min(CUTS)
