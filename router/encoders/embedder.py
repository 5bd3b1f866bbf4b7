"""`SentenceEmbedder`: a stateless scikit-learn transformer from texts to sentence embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from router.core.encoder import Encoder, dimension, encode
from router.core.texts import check_texts
from router.encoders.cache import EmbeddingCache, embed_cached
from router.encoders.catalog import encoder_key, get_encoder
from router.settings import DEFAULT_ENCODER


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """Embed texts with a sentence encoder (normalised vectors).

    The encoder learns nothing, so `fit` only returns `self`; it is loaded on first `transform`
    and never stored in a saved model. With `cache_dir`, embeddings are cached on disk by encoder
    and text, so repeated training embeds only new texts. `runtime` picks the encoder's runtime for
    training: "torch" (default) or "onnx-int8" (the quantised ONNX encoder, served as trained).
    """

    def __init__(
        self,
        model_name: str = DEFAULT_ENCODER,
        batch_size: int = 32,
        cache_dir: str | None = None,
        runtime: str = "fp32",
    ) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.runtime = runtime

    def fit(self, X: Any = None, y: Any = None) -> SentenceEmbedder:
        """Nothing to learn."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_encoder", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__({"runtime": "fp32", **state})  # models saved before `runtime` existed

    @property
    def encoder(self) -> Encoder:
        """The loaded encoder (shared per process)."""
        if "_encoder" not in self.__dict__:
            runtime = "torch" if self.runtime == "fp32" else "onnx"
            self.__dict__["_encoder"] = get_encoder(self.model_name, runtime, variant=self.runtime)
        return self.__dict__["_encoder"]

    @property
    def encoder_id(self) -> str:
        """The encoder's id (name and version): what its ONNX export and a model's metadata are keyed by."""
        return encoder_key(self.model_name)

    @property
    def key(self) -> str:
        """The id the encoder's embeddings are cached under (int8 embeddings apart from fp32 ones)."""
        return self.encoder_id if self.runtime == "fp32" else f"{self.encoder_id}|{self.runtime}"

    def transform(self, X: Any) -> np.ndarray:
        """Embed a list of texts into an (n, dim) float32 array."""
        texts = check_texts(X)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        cache = None if self.cache_dir is None else EmbeddingCache(self.cache_dir, self.key)
        return embed_cached(cache, texts, lambda missing: encode(self.encoder, missing, self.batch_size))

    @property
    def dimension(self) -> int:
        """Size of one embedding."""
        return dimension(self.encoder)

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens; longer texts are truncated."""
        return int(self.encoder.max_seq_length)
