"""`SentenceEmbedder`: a stateless scikit-learn transformer from texts to sentence embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from router.cache import EmbeddingCache, cache_root, text_key
from router.encoders import DEFAULT_ENCODER, Encoder, dimension, encode, encoder_id, get_encoder
from router.texts import check_texts


def default_cache_dir() -> Path:
    """The embedding cache: `<cache root>/embeddings`."""
    return cache_root() / "embeddings"


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Embed texts with a sentence-transformers encoder (normalised vectors).

    The encoder learns nothing, so `fit` only returns `self`; it is loaded on first `transform`
    and never stored in a saved model. With `cache_dir`, embeddings are cached on disk by encoder
    and text, so repeated training embeds only new texts.
    """

    def __init__(self, model_name: str = DEFAULT_ENCODER, batch_size: int = 32, cache_dir: str | None = None) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_dir = cache_dir

    def fit(self, X: Any = None, y: Any = None) -> SentenceEmbedder:
        """Nothing to learn."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_encoder", None)
        return state

    @property
    def encoder(self) -> Encoder:
        """The loaded encoder (shared per process)."""
        if "_encoder" not in self.__dict__:
            self.__dict__["_encoder"] = get_encoder(self.model_name)
        return self.__dict__["_encoder"]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return encode(self.encoder, texts, self.batch_size)

    def transform(self, X: Any) -> np.ndarray:
        """Embed a list of texts into an (n, dim) float32 array."""
        texts = check_texts(X)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.cache_dir is None:
            return self._encode(texts)
        cache = EmbeddingCache(self.cache_dir, encoder_id(self.model_name))
        known = cache.load()
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
        if missing:
            new = self._encode([t for _, t in missing])
            cache.add([k for k, _ in missing], new)
            known.update(zip((k for k, _ in missing), new))
        return np.stack([known[k] for k in keys]).astype(np.float32)

    @property
    def dimension(self) -> int:
        """Size of one embedding."""
        return dimension(self.encoder)

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens; longer texts are truncated."""
        return int(self.encoder.max_seq_length)
