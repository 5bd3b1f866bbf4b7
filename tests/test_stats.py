import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from router.evaluation.metrics import best_f1_threshold
from router.evaluation.stats import (
    _resampled,
    bootstrap_ci,
    ece,
    mcnemar,
    paired_bootstrap,
    point_metrics,
    reliability_bins,
)

Y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
S = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.9, 0.2, 0.6, 0.6, 0.6])  # ties across classes on purpose
PRED = (S >= 0.5).astype(int)


def test_point_metrics_by_hand():
    # decisions: tp = 4 (0.7, 0.9, 0.6, 0.6), fp = 2 (0.8, 0.6), fn = 1 (0.2)
    m = point_metrics(Y, S, PRED)
    assert m["precision"] == pytest.approx(4 / 6)
    assert m["recall"] == pytest.approx(4 / 5)
    assert m["f1"] == pytest.approx(2 * 4 / (2 * 4 + 2 + 1))
    # positive-negative pairs ranked right, ties count half: 4 + 5 + 1 + 3.5 + 3.5 = 17 of 25
    assert m["roc_auc"] == pytest.approx(17 / 25)
    assert point_metrics([1, 1], [0.2, 0.9], [1, 1])["roc_auc"] is None


def test_vectorised_resample_metrics_equal_sklearn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200), 1)  # many ties
    pred = (s >= 0.5).astype(int)
    idx = rng.integers(0, 200, size=(5, 200))
    got = _resampled(y, s, pred, idx)
    for row in range(5):
        yy, ss, pp = y[idx[row]], s[idx[row]], pred[idx[row]]
        assert got["f1"][row] == pytest.approx(f1_score(yy, pp))
        assert got["precision"][row] == pytest.approx(precision_score(yy, pp))
        assert got["recall"][row] == pytest.approx(recall_score(yy, pp))
        assert got["roc_auc"][row] == pytest.approx(roc_auc_score(yy, ss))


def test_bootstrap_is_seeded_and_contains_the_point():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    pred = s >= 0.5
    first = bootstrap_ci(y, s, pred, n_boot=300, seed=7)
    assert first == bootstrap_ci(y, s, pred, n_boot=300, seed=7)
    assert first != bootstrap_ci(y, s, pred, n_boot=300, seed=8)
    for ci in first.values():
        assert ci["low"] <= ci["value"] <= ci["high"]
        assert ci["high"] - ci["low"] < 0.3


def test_bootstrap_auc_undefined_with_one_class():
    ci = bootstrap_ci([1, 1, 1], [0.2, 0.5, 0.9], [0, 1, 1], n_boot=50)
    assert ci["roc_auc"] == {"value": None, "low": None, "high": None}
    assert ci["recall"]["value"] == pytest.approx(2 / 3)


def test_paired_bootstrap_deltas():
    same = paired_bootstrap(Y, (S, PRED), (S, PRED), n_boot=200)
    assert all(d["delta"] == 0 and d["low"] == 0 and d["high"] == 0 for d in same.values())
    perfect = paired_bootstrap(Y, (S, PRED), (Y.astype(float), Y), n_boot=200)
    assert perfect["f1"]["delta"] == pytest.approx(1 - 8 / 11)
    assert perfect["f1"]["b"] == 1.0
    assert perfect["recall"]["low"] >= 0


def test_mcnemar_exact_on_a_known_table():
    # a right and b wrong on 10 rows, a wrong and b right on 2 rows, both right on 5
    y = np.ones(17, dtype=int)
    a = np.array([1] * 10 + [0] * 2 + [1] * 5)
    b = np.array([0] * 10 + [1] * 2 + [1] * 5)
    result = mcnemar(y, a, b)
    assert result["a_only"] == 10 and result["b_only"] == 2
    # two-sided exact binomial: 2 * P(X <= 2 | n=12, p=1/2) = 2 * (1 + 12 + 66) / 4096
    assert result["p_value"] == pytest.approx(2 * 79 / 4096)
    assert mcnemar(y, a, a)["p_value"] == 1.0


def test_ece_by_hand():
    y = [0, 1, 1, 1]
    p = [0.15, 0.15, 0.85, 0.85]
    # bin [0.1, 0.2): rate 0.5 vs 0.15; bin [0.8, 0.9): rate 1 vs 0.85; each holds half the rows
    assert ece(y, p) == pytest.approx(0.5 * 0.35 + 0.5 * 0.15)
    assert ece([0, 1], [0.0, 1.0]) == 0.0


def test_reliability_bins_put_one_in_the_last_bin():
    bins = reliability_bins([1, 0, 1], [1.0, 0.05, 0.95])
    assert [(b["low"], b["n"]) for b in bins] == [(0.0, 1), (0.9, 2)]


def brute_force_best_f1(y, scores):
    """Best F1 over every threshold that can be applied: each distinct score, delegate when score >= it."""
    y = np.asarray(y)
    return max(f1_score(y, (scores >= t).astype(int), zero_division=0) for t in np.unique(scores))


@pytest.mark.parametrize("seed", range(40))
def test_best_f1_threshold_with_ties_reaches_only_real_thresholds(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    y = rng.integers(0, 2, n)
    scores = rng.integers(0, 4, n) / 4.0  # few distinct values: many ties across classes
    best = best_f1_threshold(y, scores)
    pred = (scores >= best["threshold"]).astype(int)
    assert best["f1"] == pytest.approx(brute_force_best_f1(y, scores))
    assert best["f1"] == pytest.approx(f1_score(y, pred, zero_division=0))
    assert best["precision"] == pytest.approx(precision_score(y, pred, zero_division=0))
    assert best["recall"] == pytest.approx(recall_score(y, pred, zero_division=0))


def test_best_f1_threshold_by_hand():
    # a positive and a negative tied at the top: the top score alone gives F1 2/3, not 1
    best = best_f1_threshold(np.array([1, 0, 0, 0]), np.array([0.9, 0.9, 0.2, 0.1]))
    assert best == {"threshold": 0.9, "precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3)}
    # >= 0.3 keeps all positives and one negative: F1 = 6/7, the best
    y, s = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.2, 0.3, 0.4, 0.35, 0.9])
    assert best_f1_threshold(y, s)["threshold"] == 0.3
    # equal F1 at several thresholds: the lowest wins
    assert best_f1_threshold(np.array([1, 0, 1]), np.array([0.8, 0.5, 0.2]))["threshold"] == 0.2
    # no positives: F1 is 0 everywhere
    assert best_f1_threshold(np.array([0, 0]), np.array([0.3, 0.7]))["f1"] == 0.0
