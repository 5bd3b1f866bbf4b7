"""The fitted heads' arithmetic in plain numpy: same probabilities, none of scikit-learn's overhead.

Computed in float64; scikit-learn keeps float32 models in float32, so the two agree to about 1e-7.

`DelegateHead` reproduces `CalibratedClassifierCV(ensemble=False, method="sigmoid")` over a
`LogisticRegression` or an RBF `SVC`; `CriteriaHead` reproduces a one-vs-rest `LogisticRegression`.
Both are built from the fitted scikit-learn estimators and can be stored as plain arrays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


_BLAS: list[ThreadpoolController] = []


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread: heads are computed in it.

    BLAS rather than numpy's own loops (einsum is 4-9x slower on these products), but on one thread:
    on all cores its threads spin while the encoder's run, and made the encoder around it twice as slow.
    """
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def dots(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Every row of X dotted with every row of M, in float64: (n, m)."""
    return np.asarray(np.asarray(X, dtype=np.float64) @ np.asarray(M, dtype=np.float64).T)


def top_k_mean(X: np.ndarray, memory: np.ndarray, k: int) -> np.ndarray:
    """Per row of X, the mean of its k largest dot products with the rows of `memory`."""
    sims = dots(X, memory)
    kk = min(k, sims.shape[1])
    return np.asarray(np.partition(sims, -kk, axis=1)[:, -kk:].mean(axis=1))


@dataclass(frozen=True, eq=False)
class NeighbourVote:
    """The nearest-examples vote added to an SVM's margin: weight x (top-k cosine to positives - to negatives)."""

    positives: np.ndarray  # (p, d) training embeddings of label 1
    negatives: np.ndarray  # (q, d) training embeddings of label 0
    k: int
    weight: float

    @cached_property
    def memory(self) -> tuple[np.ndarray, np.ndarray]:
        """Both example sets in float64, converted once (not on every call)."""
        return np.asarray(self.positives, dtype=np.float64), np.asarray(self.negatives, dtype=np.float64)

    def score(self, X: np.ndarray) -> np.ndarray:
        """The weighted vote per row."""
        positives, negatives = self.memory
        return self.weight * (top_k_mean(X, positives, self.k) - top_k_mean(X, negatives, self.k))


@dataclass(frozen=True, eq=False)
class DelegateHead:
    """Calibrated probability of the positive class from embeddings."""

    kind: str  # "linear" or "rbf"
    weights: np.ndarray  # linear: (d,); rbf: support vectors (m, d)
    dual: np.ndarray  # rbf: dual coefficients (m,); linear: empty
    intercept: float
    gamma: float
    a: float
    b: float
    vote: NeighbourVote | None = None  # rbf with a nearest-examples vote

    @cached_property
    def norms(self) -> np.ndarray:
        """Squared norms of the support vectors."""
        return np.asarray((self.weights * self.weights).sum(1))

    def decision(self, X: np.ndarray) -> np.ndarray:
        """The underlying classifier's decision function."""
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "linear":
            return np.asarray(X @ self.weights + self.intercept)
        sq = (X * X).sum(1)[:, None] + self.norms[None, :] - 2.0 * dots(X, self.weights)
        margin = np.exp(-self.gamma * np.maximum(sq, 0.0)) @ self.dual + self.intercept
        return np.asarray(margin if self.vote is None else margin + self.vote.score(X))

    def proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated P(delegate) per row."""
        return _expit(-(self.a * self.decision(X) + self.b))

    @classmethod
    def from_estimator(cls, calibrated: Any) -> DelegateHead:
        """Extract the arithmetic of a fitted `CalibratedClassifierCV(ensemble=False)`."""
        (inner,) = calibrated.calibrated_classifiers_
        (sigmoid,) = inner.calibrators
        est = inner.estimator
        name = type(est).__name__
        if name == "SvmKnnClassifier":
            svm = cls.from_svc(est.svm_, sigmoid)
            vote = NeighbourVote(np.asarray(est.positives_), np.asarray(est.negatives_), int(est.k), float(est.weight))
            return cls(svm.kind, svm.weights, svm.dual, svm.intercept, svm.gamma, svm.a, svm.b, vote)
        if name == "LogisticRegression":
            return cls(
                "linear",
                est.coef_.ravel().astype(np.float64),
                np.zeros(0),
                float(est.intercept_[0]),
                0.0,
                float(sigmoid.a_),
                float(sigmoid.b_),
            )
        if name == "SVC" and est.kernel == "rbf":
            return cls.from_svc(est, sigmoid)
        raise TypeError(f"no numpy head for {name}")

    @classmethod
    def from_svc(cls, svc: Any, sigmoid: Any) -> DelegateHead:
        """The arithmetic of a fitted RBF `SVC` and its sigmoid calibrator."""
        return cls(
            "rbf",
            np.asarray(svc.support_vectors_, dtype=np.float64),
            svc.dual_coef_.ravel().astype(np.float64),
            float(svc.intercept_[0]),
            float(svc._gamma),
            float(sigmoid.a_),
            float(sigmoid.b_),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for an `.npz` file."""
        arrays = {
            "kind": np.array(self.kind),
            "weights": self.weights,
            "dual": self.dual,
            "scalars": np.array([self.intercept, self.gamma, self.a, self.b]),
        }
        if self.vote is not None:
            arrays["vote_positives"] = self.vote.positives
            arrays["vote_negatives"] = self.vote.negatives
            arrays["vote_scalars"] = np.array([self.vote.k, self.vote.weight], dtype=np.float64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Any) -> DelegateHead:
        """Rebuild from `to_arrays()` output (unchecked: `heads_file.load_heads` checks a file first)."""
        intercept, gamma, a, b = (float(v) for v in arrays["scalars"])
        vote = None
        if "vote_scalars" in arrays:
            k, weight = (float(v) for v in arrays["vote_scalars"])
            vote = NeighbourVote(arrays["vote_positives"], arrays["vote_negatives"], int(k), weight)
        return cls(str(arrays["kind"]), arrays["weights"], arrays["dual"], intercept, gamma, a, b, vote)


#: scikit-learn's default token pattern: words of two or more word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True, eq=False)
class Lexicon:
    """TF-IDF of a text over a fixed vocabulary (lowercase words, sublinear tf, idf, L2 norm), as scikit-learn."""

    vocabulary: np.ndarray  # (v,) str, the column of each term
    idf: np.ndarray  # (v,)
    weight: float  # how much the TF-IDF block counts next to the embedding

    @cached_property
    def columns(self) -> dict[str, int]:
        """Term -> column."""
        return {str(term): i for i, term in enumerate(self.vocabulary.tolist())}

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The non-zero columns of one text's weighted TF-IDF row, and their values."""
        counts: dict[int, int] = {}
        for term in TOKEN.findall(text.lower()):
            col = self.columns.get(term)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[cols]
        norm = np.linalg.norm(values)
        return cols, values * (self.weight / norm) if norm else values

    def scores(self, texts: Sequence[str], coef: np.ndarray) -> np.ndarray:
        """`TF-IDF(texts) @ coef.T` without building the dense matrix: (n, k)."""
        out = np.zeros((len(texts), coef.shape[0]), dtype=np.float64)
        for i, text in enumerate(texts):
            cols, values = self.row(text)
            if cols.size:
                out[i] = coef[:, cols] @ values
        return out


@dataclass(frozen=True, eq=False)
class CriteriaHead:
    """Independent sigmoid score per criterion: one-vs-rest logistic regression.

    It reads the embedding and, when the model has a lexicon, the text's TF-IDF too.
    """

    coef: np.ndarray  # (k, d): the embedding's weights
    intercept: np.ndarray  # (k,)
    lexicon: Lexicon | None = None
    lexical_coef: np.ndarray | None = None  # (k, v)

    def proba(self, X: np.ndarray, texts: Sequence[str] = ()) -> np.ndarray:
        """Score per row and criterion, shape (n, k)."""
        z = np.asarray(X, dtype=np.float64) @ self.coef.T + self.intercept
        if self.lexicon is not None and self.lexical_coef is not None:
            z = z + self.lexicon.scores(texts, self.lexical_coef)
        return _expit(z)

    @classmethod
    def from_estimator(cls, model: Any) -> CriteriaHead:
        """Extract the arithmetic of a fitted one-vs-rest logistic regression.

        Either a bare `OneVsRestClassifier(LogisticRegression)`, or a criteria model with a TF-IDF
        vectorizer (`vectorizer`, `weight` and `classifier` attributes).
        """
        ovr = getattr(model, "classifier", model)
        coef = np.vstack([e.coef_.ravel() for e in ovr.estimators_]).astype(np.float64)
        intercept = np.array([float(e.intercept_[0]) for e in ovr.estimators_])
        vectorizer = getattr(model, "vectorizer", None)
        if vectorizer is None:
            return cls(coef, intercept)
        vocabulary = np.array(vectorizer.get_feature_names_out(), dtype=str)
        lexicon = Lexicon(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), float(model.weight))
        d = coef.shape[1] - len(vocabulary)
        return cls(coef[:, :d], intercept, lexicon, coef[:, d:])
