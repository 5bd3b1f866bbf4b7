import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from router.errors import TrainingError
from router.evaluation.metrics import binary_metrics
from router.training.config import TrainConfig
from router.training.publish import train_and_publish
from router.training.threshold import abstain_band, tune_threshold
from tests.contract import CONTRACT_IDS
from tests.fakes import HASHING_ENCODER


def test_metadata_records_everything(fake_model):
    meta = json.loads((fake_model / "metadata.json").read_text())
    for key in [
        "encoder",
        "threshold",
        "abstain_band",
        "training_data",
        "metrics",
        "libraries",
        "created_at",
        "version",
        "model_version",
        "classifier",
        "criteria",
    ]:
        assert key in meta
    assert meta["encoder"]["name"] == HASHING_ENCODER and meta["encoder"]["dimension"] == 256
    assert [c["id"] for c in meta["criteria"]] == list(CONTRACT_IDS)
    assert meta["training_data"]["counts"]["train"]["n"] == 400
    assert {c["classifier"] for c in meta["metrics"]["cv"]["candidates"]} == {"SvmKnnClassifier"}  # the default
    band = meta["abstain_band"]
    assert band["low"] <= meta["threshold"] <= band["high"]
    assert set(meta["metrics"]) >= {"cv", "train", "dev", "test", "criteria_dev"}


def test_model_ranks_better_than_chance(fake_model):
    meta = json.loads((fake_model / "metadata.json").read_text())
    # A bag-of-words encoder is weak on this data by design (hard examples), but it must rank.
    assert meta["metrics"]["test"]["roc_auc"] > 0.6
    assert meta["metrics"]["dev"]["f1"] > 0.5


def test_training_is_seeded(small_data, tmp_path, fake_model):
    meta = train_and_publish(TrainConfig(data_dir=small_data, encoder=HASHING_ENCODER), tmp_path / "again")
    first = json.loads((fake_model / "metadata.json").read_text())
    assert json.loads(json.dumps(meta.metrics)) == first["metrics"]
    assert meta.threshold == first["threshold"]


class FixedProba(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier whose probability is the first feature."""

    classes_ = np.array([0, 1])

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.c_[1 - X[:, 0], X[:, 0]]


def test_threshold_tuning_with_min_precision():
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    best_f1 = tune_threshold(FixedProba(), p[:, None], y, None).best_threshold_
    assert 0.2 < best_f1 <= 0.3  # everything from 0.3 up: F1 = 0.8
    strict = tune_threshold(FixedProba(), p[:, None], y, 0.9).best_threshold_
    assert 0.7 < strict <= 0.8  # only {0.8, 0.9} are predicted: precision 1
    with pytest.raises(TrainingError, match=r"no threshold reaches precision 0\.90"):
        tune_threshold(FixedProba(), p[:, None], 1 - y, 0.9)
    with pytest.raises(TrainingError, match="must be in"):
        tune_threshold(FixedProba(), p[:, None], y, 1.5)


def test_min_precision_and_eval_files(small_data, tmp_path):
    config = TrainConfig(
        data_dir=small_data,
        encoder=HASHING_ENCODER,
        min_precision=0.6,
        eval_files=(small_data / "test.jsonl",),
        classifier="auto",
    )
    meta = train_and_publish(config, tmp_path / "precise")
    assert {c["classifier"] for c in meta.metrics["cv"]["candidates"]} == {"LogisticRegression", "SVC"}
    assert meta.metric("dev", "precision") >= 0.6 and meta.min_precision == 0.6
    assert meta.metrics[str(small_data / "test.jsonl")]["n"] == 150


def test_binary_metrics_by_hand():
    m = binary_metrics([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.8], threshold=0.5)
    assert m["confusion_matrix"] == {"tn": 1, "fp": 1, "fn": 1, "tp": 2}
    assert m["precision"] == 2 / 3 and m["recall"] == 2 / 3 and abs(m["f1"] - 2 / 3) < 1e-12
    assert m["roc_auc"] == pytest.approx(5 / 6)  # 5 of 6 positive/negative pairs ranked right
    assert abs(m["brier"] - np.mean([0.01, 0.36, 0.36, 0.01, 0.04])) < 1e-12
    assert binary_metrics([1, 1], [0.2, 0.9], 0.5)["roc_auc"] is None


def test_abstain_band_covers_the_confused_region():
    y = np.array([0] * 50 + [1] * 50 + [0, 1] * 10)
    p = np.concatenate([np.full(50, 0.05), np.full(50, 0.95), np.full(20, 0.5)])
    low, high = abstain_band(y, p, threshold=0.5)
    assert low < 0.5 < high and high - low < 0.9
    assert abstain_band(np.array([0] * 20 + [1] * 20), np.r_[np.full(20, 0.1), np.full(20, 0.9)], 0.5) == (0.5, 0.5)


def test_an_int8_model_names_the_same_encoder_export_as_fp32(fake_model, small_data):
    """The variant is recorded apart: the id keys the one ONNX export both variants are made from."""
    from router.training.describe import describe
    from router.training.fit import fit, load_training_data

    config = TrainConfig(data_dir=small_data, encoder=HASHING_ENCODER, encoder_runtime="onnx-int8")
    data = load_training_data(config)
    meta = describe(fit(config, data), data, config)
    fp32 = json.loads((fake_model / "metadata.json").read_text())["encoder"]
    assert (meta.encoder.id, meta.encoder.runtime) == (fp32["id"], "onnx-int8")


def test_tune_cut_scores_the_positives_once_and_picks_the_most_precise_cut(small_data):
    from router.dataset.agent import parse_agent
    from router.dataset.examples import load_examples
    from router.training.criteria import CUTS, MIN_RECALL, criteria_metrics, fit_criteria_head, tune_cut
    from tests.fakes import HashingEncoder

    spec = parse_agent(small_data / "agents" / "backend-engineer.md")
    train, dev = (load_examples(small_data / f"{name}.jsonl", spec.ids) for name in ("train", "dev"))
    embed = HashingEncoder().encode
    head = fit_criteria_head(embed([ex.text for ex in train], normalize_embeddings=True), train, spec, 0)
    X = embed([ex.text for ex in dev], normalize_embeddings=True)
    calls = []
    predict = head.predict_proba
    head.predict_proba = lambda *args: calls.append(1) or predict(*args)
    cut = tune_cut(head, X, dev, spec)
    assert len(calls) == 1
    recall = {c: criteria_metrics(head, X, dev, spec, c)["micro_recall"] for c in CUTS}
    kept = [c for c in CUTS if recall[c] >= MIN_RECALL]
    assert cut == (max(kept) if kept else min(CUTS))


def test_select_classifier_without_refit_picks_what_refit_would():
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline

    from router.training.selection import candidate_grid, select_classifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] + 0.8 * rng.normal(size=120) > 0).astype(int)
    best, summary = select_classifier(X, y, seed=0, classifier="auto")
    refit = GridSearchCV(
        Pipeline([("clf", LogisticRegression())]),
        candidate_grid(0, "auto"),
        scoring={"roc_auc": "roc_auc", "f1": "f1"},
        refit="roc_auc",
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).fit(X, y)
    want = clone(refit.best_estimator_.named_steps["clf"])
    assert type(best) is type(want) and best.get_params() == want.get_params()
    assert summary["best"]["roc_auc"] == refit.best_score_
    assert not hasattr(best, "classes_")  # unfitted: calibration fits it
