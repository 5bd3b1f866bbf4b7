"""Test encoders, registered from the test side: production code never names them.

Importing this module registers `router-hashing-256`. Subprocesses started by tests import it through
`ROUTER_PLUGINS=tests.fakes` (set by `conftest.py`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Any

import numpy as np

from router.encoders.catalog import register_encoder

#: A deterministic, offline bag-of-words encoder; it carries real but weak signal.
HASHING_ENCODER = "router-hashing-256"


class HashingEncoder:
    """Signed feature hashing of word unigrams and bigrams; deterministic across processes."""

    max_seq_length = 256

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def get_embedding_dimension(self) -> int:
        return self.dim

    def _vector(self, text: str) -> np.ndarray:
        words = re.findall(r"\w+", text.lower())[: self.max_seq_length]
        vec = np.zeros(self.dim, dtype=np.float32)
        for token in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            vec[index] += 1.0 if digest[4] & 1 else -1.0
        return vec

    def encode(self, sentences: list[str], /, **kwargs: Any) -> np.ndarray:
        out = np.stack([self._vector(s) for s in sentences]) if sentences else np.zeros((0, self.dim))
        if kwargs.get("normalize_embeddings"):
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.where(norms == 0, 1.0, norms)
        return out.astype(np.float32)


register_encoder(HASHING_ENCODER, HashingEncoder)

#: The hashing encoder, nudged by the size of the batch it is given: a stand-in for the real encoder,
#: whose floating point depends on a text's batch neighbours (padding), to test that bulk scoring
#: routes the same chunks as `router route --input`.
BATCH_SENSITIVE_ENCODER = "router-hashing-256-batch-sensitive"


class BatchSensitiveEncoder(HashingEncoder):
    def encode(self, sentences: list[str], /, **kwargs: Any) -> np.ndarray:
        out = super().encode(sentences, **kwargs)
        return (out + np.float32(0.01 * len(sentences))).astype(np.float32)


register_encoder(BATCH_SENSITIVE_ENCODER, BatchSensitiveEncoder)
