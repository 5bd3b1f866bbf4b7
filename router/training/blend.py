"""An RBF SVM whose margin is nudged by a nearest-examples vote (the semantic-router way of deciding).

decision(x) = svm(x) + weight * (mean of the k best cosines to the positive training examples
                                 - mean of the k best cosines to the negative ones)

The transfer proxy (whole kinds, writing passes and the scenario voice held out) ranks this above the
SVM alone: the vote lends the nearest written examples a say where the SVM's margin generalises poorly.
`router.core.heads.DelegateHead` repeats the arithmetic in numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import SVC

from router.core.heads import top_k_mean


class SvmKnnClassifier(ClassifierMixin, BaseEstimator):
    """RBF SVM plus a weighted nearest-examples vote, on normalised embeddings."""

    def __init__(self, C: float = 10.0, k: int = 5, weight: float = 5.0, random_state: int | None = None) -> None:
        self.C = C
        self.k = k
        self.weight = weight
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> SvmKnnClassifier:
        """Fit the SVM and remember the examples of each class."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.svm_ = SVC(kernel="rbf", C=self.C, random_state=self.random_state).fit(X, y)
        self.classes_ = self.svm_.classes_
        self.positives_ = X[y == self.classes_[1]]
        self.negatives_ = X[y == self.classes_[0]]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The SVM's margin plus the weighted vote."""
        X = np.asarray(X, dtype=np.float32)
        vote = top_k_mean(X, self.positives_, self.k) - top_k_mean(X, self.negatives_, self.k)
        return np.asarray(self.svm_.decision_function(X) + self.weight * vote)

    def predict(self, X: Any) -> np.ndarray:
        """The class on the positive side of the decision function."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])
