import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import SVC

from router import load_router
from router.artifacts.skops_io import read_skops
from router.core.heads import CriteriaHead, DelegateHead


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.2 * rng.normal(size=300) > 0.1).astype(int)
    return X, y


@pytest.mark.parametrize("estimator", [LogisticRegression(C=3.0), SVC(C=3.0), SVC(C=10.0, gamma=2.0)])
def test_delegate_head_matches_calibrated_sklearn(blobs, estimator):
    X, y = blobs
    calibrated = CalibratedClassifierCV(estimator, method="sigmoid", cv=5, ensemble=False).fit(X[:200], y[:200])
    head = DelegateHead.from_estimator(calibrated)
    expected = calibrated.predict_proba(X[200:])[:, 1]
    np.testing.assert_allclose(head.proba(X[200:]), expected, rtol=0, atol=1e-6)  # sklearn rounds in float32
    again = DelegateHead.from_arrays(head.to_arrays())
    np.testing.assert_array_equal(again.proba(X), head.proba(X))


def test_unsupported_estimator_is_refused(blobs):
    X, y = blobs
    calibrated = CalibratedClassifierCV(SVC(kernel="poly"), cv=3, ensemble=False).fit(X, y)
    with pytest.raises(TypeError, match="no numpy head"):
        DelegateHead.from_estimator(calibrated)


def test_criteria_head_matches_one_vs_rest(blobs):
    X, _ = blobs
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0.3].astype(int)
    ovr = OneVsRestClassifier(LogisticRegression(C=3.0)).fit(X, Y)
    np.testing.assert_allclose(CriteriaHead.from_estimator(ovr).proba(X), ovr.predict_proba(X), atol=1e-6)


def test_router_probabilities_equal_the_skops_pipeline(fake_model, small_data):
    router = load_router(fake_model)
    model = read_skops(fake_model / "model.skops")
    texts = [line.split('"text": "')[1].split('"')[0] for line in (small_data / "dev.jsonl").read_text().splitlines()]
    texts = [t for t in texts if t.strip()][:100]
    expected = model.predict_proba(texts)[:, 1]
    got = np.array([d.probability for d in router.route_batch(texts)])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert [d.delegate for d in router.route_batch(texts)] == list(model.predict(texts) == 1)


def test_svm_with_a_neighbour_vote_matches_its_numpy_head(small_data):
    from sklearn.calibration import CalibratedClassifierCV

    from router.dataset.examples import load_examples
    from router.training.blend import SvmKnnClassifier
    from tests.fakes import HashingEncoder

    train = load_examples(small_data / "train.jsonl")
    test = load_examples(small_data / "test.jsonl")
    encoder = HashingEncoder()
    X = encoder.encode([ex.text for ex in train], normalize_embeddings=True)
    Xt = encoder.encode([ex.text for ex in test], normalize_embeddings=True)
    y = np.array([ex.label for ex in train])
    model = CalibratedClassifierCV(SvmKnnClassifier(k=5, weight=5.0), method="sigmoid", cv=3, ensemble=False).fit(X, y)
    head = DelegateHead.from_estimator(model)
    assert head.vote is not None and head.vote.k == 5
    np.testing.assert_allclose(head.proba(Xt), model.predict_proba(Xt)[:, 1], atol=1e-6)
    again = DelegateHead.from_arrays(head.to_arrays())
    np.testing.assert_allclose(again.proba(Xt), head.proba(Xt), atol=0)
    plain = SvmKnnClassifier(k=5, weight=0.0).fit(X, y)
    np.testing.assert_allclose(plain.decision_function(Xt), plain.svm_.decision_function(Xt), atol=1e-12)
