"""A transfer proxy that needs no real traffic: how a model meets kinds of request it never saw.

The split test set rewards our data's style; real traffic brings whole kinds of request and ways of
asking that training never saw. So the proxy holds out whole groups and scores the model on them:

- `kinds`: grouped K-fold over the `kind` field (every request of a held-out kind is unseen);
- `passes`: grouped K-fold over writing passes (the id prefix before the first `-`: one author's style);
- `voice`: train without the scenario-voice requests ("We need…", "Our … keeps …"), test on them.

Out-of-fold scores are pooled per scheme. Ranking metrics (ROC-AUC, PR-AUC) need no threshold; F1 is
reported at the best pooled threshold (an upper bound, labelled so). The encoder learns nothing, so every
text is embedded once (cached).

The classifiers it scores are `router.training.selection.CANDIDATES`, by name (ranking only: calibration is
monotone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold

from router.dataset.examples import Example
from router.dataset.voice import is_scenario_voice
from router.errors import DataError
from router.evaluation.metrics import best_f1_threshold
from router.evaluation.stats import bootstrap_ci

SCHEMES = ("kinds", "passes", "voice")
FOLDS = 5


def writing_pass(example: Example) -> str:
    """The writing pass of an example: its id's prefix ("wa-0012" -> "wa"), or its kind without an id."""
    return example.id.split("-", 1)[0] if example.id else f"kind:{example.kind}"


@dataclass(frozen=True)
class SchemeResult:
    """Pooled out-of-fold scores of one hold-out scheme."""

    scheme: str
    groups: int
    y: np.ndarray
    scores: np.ndarray
    group_of: list[str]


def _score(model: Any, X: np.ndarray) -> np.ndarray:
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float)
    return np.asarray(model.predict_proba(X)[:, 1], dtype=float)


def run_scheme(
    scheme: str, examples: list[Example], X: np.ndarray, classifier: Any, folds: int = FOLDS
) -> SchemeResult:
    """Fit on the held-in groups and score the held-out ones, for every fold of one scheme."""
    y = np.array([ex.label for ex in examples])
    if scheme == "voice":
        voiced = np.array([is_scenario_voice(ex.text) for ex in examples], dtype=bool)
        if not voiced.any() or voiced.all():
            missing = "scenario-voice requests to test on" if not voiced.any() else "plain requests to train on"
            raise DataError(f"transfer proxy, scheme 'voice': no {missing} among {len(examples)} examples")
        model = clone(classifier).fit(X[~voiced], y[~voiced])
        return SchemeResult(scheme, 1, y[voiced], _score(model, X[voiced]), ["voice"] * int(voiced.sum()))
    group_of = [ex.kind or "?" for ex in examples] if scheme == "kinds" else [writing_pass(ex) for ex in examples]
    n_groups = len(set(group_of))
    if n_groups < 2:
        raise DataError(
            f"transfer proxy, scheme {scheme!r}: needs at least 2 groups to hold out, found {n_groups} "
            f"among {len(examples)} examples"
        )
    scores = np.zeros(len(examples))
    # Every row is held out exactly once, so every row gets an out-of-fold score.
    for held_in, held_out in GroupKFold(n_splits=min(folds, n_groups)).split(X, y, np.array(group_of)):
        model = clone(classifier).fit(X[held_in], y[held_in])
        scores[held_out] = _score(model, X[held_out])
    return SchemeResult(scheme, n_groups, y, scores, group_of)


def summarise_scheme(result: SchemeResult, seed: int = 0) -> dict[str, Any]:
    """ROC-AUC with its bootstrap interval, PR-AUC, best-threshold F1, and the worst held-out groups."""
    y, s = result.y, result.scores
    ci = bootstrap_ci(y, s, s >= np.median(s), seed=seed)["roc_auc"]
    groups: dict[str, list[int]] = {}
    for i, g in enumerate(result.group_of):
        groups.setdefault(g, []).append(i)
    cut = np.quantile(s, 1 - y.mean()) if len(y) else 0.0
    worst = sorted(
        ((g, float(((s[idx] >= cut) == (y[idx] == 1)).mean()), len(idx)) for g, idx in groups.items()),
        key=lambda t: t[1],
    )[:8]
    return {
        "scheme": result.scheme,
        "groups": result.groups,
        "n": len(y),
        "positives": int(y.sum()),
        "roc_auc": ci,
        "pr_auc": float(average_precision_score(y, s)) if 0 < y.sum() < len(y) else None,
        # Precision, recall and F1 at the best pooled threshold: an upper bound on the proxy.
        "best_threshold": {k: v for k, v in best_f1_threshold(y, s).items() if k != "threshold"},
        "worst_groups": [{"group": g, "accuracy": a, "n": n} for g, a, n in worst],
    }


def transfer_proxy(
    examples: list[Example], X: np.ndarray, classifier: Any, schemes: tuple[str, ...] = SCHEMES, seed: int = 0
) -> dict[str, Any]:
    """Every scheme's summary, and the mean ROC-AUC over the schemes (the headline number)."""
    out: dict[str, Any] = {name: summarise_scheme(run_scheme(name, examples, X, classifier), seed) for name in schemes}
    aucs = [out[name]["roc_auc"]["value"] for name in schemes if out[name]["roc_auc"]["value"] is not None]
    out["mean_roc_auc"] = float(np.mean(aucs)) if aucs else None
    return out
