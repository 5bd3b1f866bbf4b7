"""What the router needs from an encoder, and the one way it calls it."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Encoder(Protocol):
    """A subset of `SentenceTransformer`: the ONNX runtime and test fakes implement it too."""

    @property
    def max_seq_length(self) -> Any:
        """Longest input in tokens."""

    def encode(self, inputs: Any, /, **kwargs: Any) -> Any:
        """Embed a list of texts."""


def encode(encoder: Encoder, texts: list[str], batch_size: int | None = None) -> np.ndarray:
    """Normalised float32 embeddings of checked texts (`batch_size` None: the encoder's own default)."""
    sizing = {} if batch_size is None else {"batch_size": batch_size}
    vectors = encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False, **sizing)
    return np.asarray(vectors, dtype=np.float32)


def dimension(encoder: Any) -> int:
    """Embedding size of any encoder (sentence-transformers renamed the method)."""
    size = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(size() or 0)
