"""Choosing the classifier: logistic regression against an RBF SVM, by cross-validated ROC-AUC."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from router.errors import TrainingError
from router.training.blend import SvmKnnClassifier

C_GRID = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
SVM_C_GRID = [1.0, 3.0, 10.0]
CLASSIFIERS = ("auto", "logreg", "svm-rbf", "svm-knn")


def candidate_grid(seed: int, classifier: str = "auto") -> list[dict[str, Any]]:
    """Classifiers compared by cross-validation: logistic regression and an RBF SVM (or one of them)."""
    if classifier not in CLASSIFIERS:
        raise TrainingError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
    grid: dict[str, dict[str, Any]] = {
        "logreg": {"clf": [LogisticRegression(max_iter=2000, random_state=seed)], "clf__C": C_GRID},
        "svm-rbf": {"clf": [SVC(kernel="rbf", random_state=seed)], "clf__C": SVM_C_GRID},
        # Chosen on the transfer proxy, not by CV: C = 10, a vote of the 5 nearest examples weighted 5.
        "svm-knn": {"clf": [SvmKnnClassifier(random_state=seed)], "clf__C": [10.0]},
    }
    return [grid["logreg"], grid["svm-rbf"]] if classifier == "auto" else [grid[classifier]]


def select_classifier(X: np.ndarray, y: np.ndarray, seed: int, classifier: str = "auto") -> tuple[Any, dict[str, Any]]:
    """Pick the classifier with the best cross-validated ROC-AUC on the training split."""
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    search = GridSearchCV(
        Pipeline([("clf", LogisticRegression())]),
        candidate_grid(seed, classifier),
        scoring={"roc_auc": "roc_auc", "f1": "f1"},
        refit="roc_auc",
        cv=cv,
        n_jobs=1,
    ).fit(X, y)
    results = [
        {"classifier": type(p["clf"]).__name__, "C": p["clf__C"], "roc_auc": float(a), "f1": float(f)}
        for p, a, f in zip(
            search.cv_results_["params"],
            search.cv_results_["mean_test_roc_auc"],
            search.cv_results_["mean_test_f1"],
        )
    ]
    best = clone(search.best_estimator_.named_steps["clf"])
    summary = {"best": results[search.best_index_], "candidates": results}
    return best, summary
