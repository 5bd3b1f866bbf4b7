from concurrent.futures import ThreadPoolExecutor

import pytest

from router import Decision, load_router
from router.artifacts import loader as inference
from router.errors import DataError

TEXTS = [
    "Add cursor pagination to GET /orders and an index on created_at",
    "Make the pricing table responsive on phones",
    "customers get charged twice when they double-click Pay",
    "write a haiku about autumn",
]


@pytest.fixture(scope="module")
def router(fake_model):
    return load_router(fake_model)


def test_decision_fields_are_consistent(router):
    low, high = router.band.low, router.band.high
    for d in router.route_batch(TEXTS):
        assert isinstance(d, Decision)
        assert d.agent == "backend-engineer"
        assert 0.0 <= d.probability <= 1.0
        assert d.delegate == (d.probability >= d.threshold)
        assert d.uncertain == (low <= d.probability < high)
        assert bool(d.criteria) == d.delegate
        scores = [s for _, _, s in d.criteria]
        assert scores == sorted(scores, reverse=True)
        assert d.to_dict()["criteria"] == [{"id": i, "title": t, "score": s} for i, t, s in d.criteria]
        assert d.model_version == router.metadata.model_version


def same(a: list[Decision], b: list[Decision]) -> bool:
    """Equal decisions; probabilities may differ in the last float digits between batch sizes."""
    return [(d.delegate, d.uncertain, [c for c, _, _ in d.criteria]) for d in a] == [
        (d.delegate, d.uncertain, [c for c, _, _ in d.criteria]) for d in b
    ] and all(abs(x.probability - y.probability) < 1e-5 for x, y in zip(a, b))


def test_route_batch_matches_route(router):
    assert same(router.route_batch(TEXTS), [router.route(t) for t in TEXTS])
    assert router.route_batch([]) == []


@pytest.mark.parametrize("bad", ["", "   ", None, 7, ["list"]])
def test_bad_text_is_a_data_error(router, bad):
    with pytest.raises(DataError):
        router.route(bad)


def test_over_long_text_is_truncated_not_refused(router):
    d = router.route("please tune the slow orders query " * 2000)
    assert 0.0 <= d.probability <= 1.0


def test_threads_share_one_model(router):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(router.route, TEXTS * 25))
    assert results == [router.route(t) for t in TEXTS] * 25


def test_default_model_comes_from_env_and_loads_once(fake_model, monkeypatch):
    monkeypatch.setenv("ROUTER_MODEL", str(fake_model))
    monkeypatch.setattr(inference, "_DEFAULT", {})
    calls = []
    real = inference.load_router
    monkeypatch.setattr(inference, "load_router", lambda p=None: calls.append(p) or real(p))
    with ThreadPoolExecutor(4) as pool:
        decisions = list(pool.map(inference.route, TEXTS * 4))
    assert len(calls) == 1
    assert same(decisions[:4], inference.route_batch(TEXTS))


def test_a_routed_text_is_checked_once(router, monkeypatch):
    from router.core import router as core_router
    from router.core import texts

    checked: list[str] = []
    real = texts.check_text
    monkeypatch.setattr(texts, "check_text", lambda text, index=0: checked.append(text) or real(text, index))
    batch = ["Add an index to the orders table", "Center the logo"]
    router.route_batch(batch)
    assert checked == batch
    with pytest.raises(DataError, match="blank"):
        router.probabilities(["fine", "  "])  # the public entry points still check
    assert core_router.check_texts is texts.check_texts
