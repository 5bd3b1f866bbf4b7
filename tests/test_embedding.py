import numpy as np
import pytest
from sklearn.base import clone

from router.encoders import catalog as encoders
from router.encoders.embedder import SentenceEmbedder
from router.errors import DataError
from tests.fakes import HASHING_ENCODER, HashingEncoder

TEXTS = ["Add cursor pagination to GET /orders", "Center the logo in the navbar", "why is login slow"]


class SpyEncoder(HashingEncoder):
    """Counts how many texts it was asked to embed."""

    def __init__(self):
        super().__init__(dim=16)
        self.seen: list[str] = []

    def encode(self, sentences, **kwargs):
        self.seen += list(sentences)
        return super().encode(sentences, **kwargs)


@pytest.fixture
def spy(monkeypatch):
    encoder = SpyEncoder()
    monkeypatch.setitem(encoders._REGISTERED, "spy-encoder", lambda: encoder)
    for key in [k for k in encoders._LOADED if "spy-encoder" in k]:
        monkeypatch.delitem(encoders._LOADED, key)
    return encoder


def test_clone_and_get_params_round_trip():
    emb = SentenceEmbedder(HASHING_ENCODER, batch_size=8, cache_dir="/tmp/x")
    copy = clone(emb)
    assert (
        copy.get_params()
        == emb.get_params()
        == {"model_name": HASHING_ENCODER, "batch_size": 8, "cache_dir": "/tmp/x", "runtime": "fp32"}
    )
    assert copy.set_params(batch_size=4).batch_size == 4


def test_fit_returns_self_and_output_is_normalised():
    emb = SentenceEmbedder(HASHING_ENCODER)
    assert emb.fit(TEXTS) is emb
    X = emb.transform(TEXTS)
    assert X.shape == (3, 256) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(X, emb.fit_transform(TEXTS))


@pytest.mark.parametrize(
    ("bad", "message"),
    [("one string", "single string"), (["ok", 3], "text 1 is int"), (["ok", "  "], "text 1 is blank"), (42, "got int")],
)
def test_bad_input_is_refused(bad, message):
    with pytest.raises(DataError, match=message):
        SentenceEmbedder(HASHING_ENCODER).transform(bad)


def test_encoder_is_not_kept_in_state():
    emb = SentenceEmbedder(HASHING_ENCODER)
    emb.transform(TEXTS)
    assert "_encoder" in emb.__dict__
    assert "_encoder" not in emb.__getstate__()


def test_cache_embeds_only_new_texts(tmp_path, spy):
    emb = SentenceEmbedder("spy-encoder", cache_dir=str(tmp_path))
    first = emb.transform(TEXTS)
    assert sorted(spy.seen) == sorted(TEXTS)
    spy.seen.clear()
    again = emb.transform([*TEXTS, "a brand new request"])
    assert spy.seen == ["a brand new request"]
    np.testing.assert_array_equal(again[:3], first)
    uncached = SentenceEmbedder("spy-encoder").transform(TEXTS)
    np.testing.assert_allclose(uncached, first)


def test_cache_is_keyed_by_encoder(tmp_path, spy, monkeypatch):
    SentenceEmbedder("spy-encoder", cache_dir=str(tmp_path)).transform(TEXTS)
    other = SpyEncoder()
    monkeypatch.setitem(encoders._REGISTERED, "other-encoder", lambda: other)
    SentenceEmbedder("other-encoder", cache_dir=str(tmp_path)).transform(TEXTS)
    assert sorted(other.seen) == sorted(TEXTS)


def test_duplicate_texts_in_one_call(tmp_path, spy):
    X = SentenceEmbedder("spy-encoder", cache_dir=str(tmp_path)).transform(["same", "same", "other"])
    np.testing.assert_array_equal(X[0], X[1])
    assert sorted(spy.seen) == ["other", "same"]


def test_cache_reads_each_shard_once(tmp_path, spy, monkeypatch):
    emb = SentenceEmbedder("spy-encoder", cache_dir=str(tmp_path))
    emb.transform(TEXTS[:2])
    emb.transform(TEXTS[2:])
    opened = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda path, *a, **k: opened.append(path) or real_load(path, *a, **k))
    X = emb.transform(TEXTS)
    assert opened == []  # both shards were read (or written) by this process already
    np.testing.assert_allclose(X, SentenceEmbedder("spy-encoder").transform(TEXTS))


def test_a_plugin_that_cannot_be_imported_is_reported_on_every_lookup(monkeypatch):
    from router.encoders.catalog import registered

    monkeypatch.setenv("ROUTER_PLUGINS", "tests.fakes,no_such_plugin_module")
    for _ in range(2):  # not just the first time: a later lookup must not quietly treat the name as a model
        with pytest.raises(DataError, match="cannot import 'no_such_plugin_module'"):
            registered("anything")


def test_a_cache_write_that_fails_leaves_no_file_behind(tmp_path, monkeypatch):
    from router.encoders import cache as cache_module
    from router.encoders.cache import EmbeddingCache

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    cache = EmbeddingCache(tmp_path / "cache", "enc")
    monkeypatch.setattr(cache_module.np, "savez", broken)
    with pytest.raises(OSError):
        cache.add(["k"], np.ones((1, 4), dtype=np.float32))
    assert sorted(p.name for p in cache.folder.iterdir()) == ["encoder.txt"]
    monkeypatch.undo()
    cache.add(["k"], np.ones((1, 4), dtype=np.float32))
    assert list(cache.load()) == ["k"]


def test_an_unknown_encoder_runtime_is_a_data_error_not_a_missing_model():
    from router.core.metadata import ENCODER_RUNTIMES
    from router.encoders.onnx import VARIANT_FILES, variant_file
    from router.errors import DataError, ModelNotFoundError

    assert tuple(VARIANT_FILES) == ENCODER_RUNTIMES  # every runtime a model may record has its file
    with pytest.raises(DataError, match="'gpu'") as raised:
        variant_file("gpu")
    assert not isinstance(raised.value, ModelNotFoundError)


@pytest.mark.parametrize(
    ("asked", "variant", "onnx", "torch", "exported", "runtime", "why"),
    [
        ("auto", "fp32", True, True, True, "onnx", "cached"),
        ("auto", "fp32", True, True, False, "onnx", "first call makes it"),
        ("auto", "fp32", True, False, False, "torch", "no torch to make one"),
        ("auto", "fp32", False, True, True, "torch", "onnxruntime or tokenizers is missing"),
        ("torch", "fp32", True, True, True, "torch", "torch backend was asked for"),
        ("torch", "onnx-int8", True, True, True, "onnx", "cached"),
        ("onnx", "fp32", True, True, False, "onnx", "first call makes it"),
    ],
)
def test_the_runtime_and_its_reason_come_from_one_decision(
    monkeypatch, asked, variant, onnx, torch, exported, runtime, why
):
    from router.encoders import catalog
    from router.encoders import onnx as onnx_module

    monkeypatch.setattr(catalog, "onnx_available", lambda: onnx)
    monkeypatch.setattr(catalog, "torch_available", lambda: torch)
    monkeypatch.setattr(onnx_module, "export_exists", lambda key, variant="fp32": exported)
    choice = catalog.explain_runtime("some/encoder", asked, "key", variant)
    assert (choice.runtime, why in choice.why) == (runtime, True)
    assert catalog.choose_runtime("some/encoder", asked, "key", variant) == runtime
