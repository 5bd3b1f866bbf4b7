from pathlib import Path

import numpy as np
import pytest

from router.dataset.agent import parse_agent
from router.dataset.examples import Example, load_examples
from router.evaluation.baselines import (
    keyword_baseline,
    keyword_terms,
    knn_baseline,
    median_latency_ms,
    run_baselines,
    tfidf_baseline,
    zero_shot_baseline,
)

AGENT = Path(__file__).resolve().parent.parent / "data" / "agents" / "backend-engineer.md"


@pytest.fixture(scope="module")
def spec():
    return parse_agent(AGENT)


def one_hot(vocab):
    def embed(texts):
        X = np.array([[1.0 if w in t.lower() else 0.0 for w in vocab] for t in texts]) + 1e-3
        return X / np.linalg.norm(X, axis=1, keepdims=True)

    return embed


def test_keyword_terms_come_from_the_agent_file(spec):
    terms = keyword_terms(spec)
    assert terms["graphql"] == 2.0 and terms["query"] == 2.0 and terms["microservice"] == 2.0
    assert terms["postgresql"] == 1.0 and terms["spring boot"] == 1.0 and terms["kafka"] == 1.0
    assert "python" not in terms and "go" not in terms  # general-purpose languages left out
    assert not {"building", "and", "handling"} & set(terms)


def test_keyword_baseline_rule(spec):
    texts = ["Add a GraphQL endpoint for orders", "Center the logo", "use redis and kafka", "redis only"]
    result = keyword_baseline(texts, spec)
    assert result.decisions.tolist() == [True, False, True, False]
    assert result.scores.min() >= 0 and result.scores.max() < 1 and result.latency_ms > 0


def test_knn_and_zero_shot_with_a_toy_encoder(spec):
    vocab = ["api", "database", "button", "css"]
    embed = one_hot(vocab)
    train = [Example("api here", 1, ("api",)), Example("database there", 1, ("database",))]
    train += [Example("button css", 0), Example("css only", 0)]
    texts = ["new api", "fix css"]
    knn = knn_baseline(texts, embed(texts), train, embed, embed, k=1)
    assert knn.decisions.tolist() == [True, False]
    dev = [Example("the api", 1, ("api",)), Example("a button", 0)]
    texts = ["the database", "blue button"]
    zero = zero_shot_baseline(texts, embed(texts), spec, dev, embed, embed)
    assert zero.scores[0] > zero.scores[1]


def test_tfidf_learns_from_train(small_data):
    train = load_examples(small_data / "train.jsonl")
    dev = load_examples(small_data / "dev.jsonl")
    test = load_examples(small_data / "test.jsonl")
    result = tfidf_baseline([ex.text for ex in test], train, dev)
    y = np.array([ex.label for ex in test])
    assert (result.decisions == y).mean() > 0.6
    assert "tuned on dev" in result.rule


def test_median_latency_is_measured():
    assert median_latency_ms(lambda t: sum(range(1000)), ["a", "b", "c"]) > 0
    assert median_latency_ms(len, []) == 0.0


def test_run_baselines_embeds_the_evaluated_texts_no_more(spec, small_data):
    """The caller's embeddings of the evaluated texts are used; `embed` sees train, dev and criteria only."""
    embed = one_hot(["api", "database", "button", "css", "endpoint", "query"])
    seen = []

    def spy(texts):
        seen.append(list(texts))
        return embed(texts)

    train = load_examples(small_data / "train.jsonl")[:60]
    dev = load_examples(small_data / "dev.jsonl")[:30]
    texts = [ex.text for ex in load_examples(small_data / "test.jsonl")[:20]]
    results = run_baselines(texts, embed(texts), spec, train, dev, spy, spy)
    assert len(results) == 4
    batches = [batch for batch in seen if len(batch) > 1]
    assert not any(set(batch) & set(texts) for batch in batches)
    assert all(len(batch) == 1 for batch in seen if set(batch) & set(texts))  # one request at a time: latency
