"""Classifiers by name, and choosing one: logistic regression against an RBF SVM, by cross-validated ROC-AUC.

`CANDIDATES` is the one name -> estimator map: training's grid search, the transfer proxy
(`router eval --transfer`) and `benchmarks/candidates.py` all build their classifiers from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Candidate:
    """One named classifier: how to make it, its C when nothing searches it, and the C values CV tries."""

    make: Callable[[int, float], Any]  # (seed, C) -> an unfitted estimator
    C: float
    grid: tuple[float, ...] = ()  # empty: not offered to `router train` (the transfer proxy only)


CANDIDATES: dict[str, Candidate] = {
    "logreg": Candidate(lambda seed, C: LogisticRegression(C=C, max_iter=2000, random_state=seed), 3.0, tuple(C_GRID)),
    "svm-rbf": Candidate(lambda seed, C: SVC(kernel="rbf", C=C, random_state=seed), 10.0, tuple(SVM_C_GRID)),
    # Chosen on the transfer proxy, not by CV: C = 10, a vote of the 5 nearest examples weighted 5.
    "svm-knn": Candidate(lambda seed, C: SvmKnnClassifier(C=C, random_state=seed), 10.0, (10.0,)),
    "svm-rbf-balanced": Candidate(
        lambda seed, C: SVC(kernel="rbf", C=C, class_weight="balanced", random_state=seed), 10.0
    ),
}
#: What `auto` compares by cross-validation.
AUTO = ("logreg", "svm-rbf")
#: The choices of `router train --classifier`.
CLASSIFIERS = ("auto", *(name for name, c in CANDIDATES.items() if c.grid))


def make_classifier(name: str, seed: int = 0, C: float | None = None) -> Any:
    """The unfitted classifier called `name`, with its own C unless one is given."""
    if name not in CANDIDATES:
        raise TrainingError(f"unknown classifier {name!r}; choose one of {', '.join(CANDIDATES)}")
    candidate = CANDIDATES[name]
    return candidate.make(seed, candidate.C if C is None else C)


def classifier_name(chosen: Mapping[str, Any]) -> str:
    """The `router train --classifier` name of the class a selection summary records (`{"classifier": ...}`)."""
    for name in CLASSIFIERS[1:]:
        if type(make_classifier(name)).__name__ == chosen.get("classifier"):
            return name
    raise TrainingError(f"no classifier of class {chosen.get('classifier')!r}")


def chosen_classifier(chosen: Mapping[str, Any], seed: int = 0) -> Any:
    """The unfitted classifier a selection summary names (`{"classifier": class name, "C": value}`)."""
    return make_classifier(classifier_name(chosen), seed, float(chosen["C"]))


def candidate_grid(seed: int, classifier: str = "auto") -> list[dict[str, Any]]:
    """Classifiers compared by cross-validation: logistic regression and an RBF SVM (or one of them)."""
    if classifier not in CLASSIFIERS:
        raise TrainingError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
    names = AUTO if classifier == "auto" else (classifier,)
    return [{"clf": [make_classifier(name, seed)], "clf__C": list(CANDIDATES[name].grid)} for name in names]


def select_classifier(X: np.ndarray, y: np.ndarray, seed: int, classifier: str = "auto") -> tuple[Any, dict[str, Any]]:
    """Pick the classifier with the best cross-validated ROC-AUC on the training split."""
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    search = GridSearchCV(
        Pipeline([("clf", LogisticRegression())]),
        candidate_grid(seed, classifier),
        scoring={"roc_auc": "roc_auc", "f1": "f1"},
        refit=False,  # the caller calibrates the chosen classifier on its own folds: no refit to throw away
        cv=cv,
        n_jobs=1,
    ).fit(X, y)
    cv_results = search.cv_results_
    results = [
        {"classifier": type(p["clf"]).__name__, "C": p["clf__C"], "roc_auc": float(a), "f1": float(f)}
        for p, a, f in zip(cv_results["params"], cv_results["mean_test_roc_auc"], cv_results["mean_test_f1"])
    ]
    best_index = int(np.argmin(cv_results["rank_test_roc_auc"]))  # as refit="roc_auc" picks it
    params = cv_results["params"][best_index]
    best = clone(params["clf"]).set_params(**{k.removeprefix("clf__"): v for k, v in params.items() if k != "clf"})
    summary = {"best": results[best_index], "candidates": results}
    return best, summary
