"""Routing decisions for parent agents: `route`, `route_batch`, `load_router`, `Decision`."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.encoders import Encoder, encode, get_encoder
from router.errors import DataError
from router.heads import CriteriaHead, DelegateHead, load_heads
from router.persistence import CRITERIA_FILE, HEADS_FILE, MODEL_FILE, load_skops, read_metadata
from router.texts import check_texts

#: The model shipped with the repository.
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "backend-engineer"
BACKENDS = ("auto", "onnx", "torch")
CRITERION_MIN_SCORE = 0.5


@dataclass(frozen=True)
class Decision:
    """Whether one request should go to the agent, how sure the model is, and why."""

    agent: str
    delegate: bool
    probability: float
    threshold: float
    uncertain: bool
    criteria: list[tuple[str, str, float]] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "agent": self.agent,
            "delegate": self.delegate,
            "probability": self.probability,
            "threshold": self.threshold,
            "uncertain": self.uncertain,
            "criteria": [{"id": i, "title": t, "score": s} for i, t, s in self.criteria],
            "model_version": self.model_version,
        }


class Embedder:
    """Texts to normalised embeddings with a loaded encoder (no scikit-learn needed)."""

    def __init__(self, encoder: Encoder, batch_size: int = 32) -> None:
        self.encoder = encoder
        self.batch_size = batch_size

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a list of texts into an (n, dim) float32 array."""
        return encode(self.encoder, check_texts(texts), self.batch_size)


class Router:
    """A loaded model: one embedding, then the delegate head and the criteria head."""

    def __init__(
        self, embedder: Embedder, delegate: DelegateHead, criteria: CriteriaHead, metadata: dict[str, Any], path: Path
    ) -> None:
        self.embedder = embedder
        self.delegate = delegate
        self.criteria = criteria
        self.metadata = metadata
        self.path = path

    @property
    def threshold(self) -> float:
        """Delegate when probability >= threshold."""
        return float(self.metadata["threshold"])

    @property
    def band(self) -> tuple[float, float]:
        """The abstain band: probabilities in [low, high) are flagged uncertain."""
        band = self.metadata["abstain_band"]
        return float(band["low"]), float(band["high"])

    def route(self, text: str) -> Decision:
        """Decide for one text."""
        if not isinstance(text, str):
            raise DataError(f"text must be a string, got {type(text).__name__}")
        return self.route_batch([text])[0]

    def route_batch(self, texts: Sequence[str]) -> list[Decision]:
        """Decide for many texts at once (one encoder call), in order."""
        items = check_texts(texts)
        if not items:
            return []
        X = encode(self.embedder.encoder, items, self.embedder.batch_size)
        proba = self.delegate.proba(X)
        scores = self.criteria.proba(X)
        return [self._decide(float(p), s) for p, s in zip(proba, scores)]

    def _decide(self, probability: float, scores: np.ndarray) -> Decision:
        low, high = self.band
        delegate = probability >= self.threshold
        criteria: list[tuple[str, str, float]] = []
        if delegate:
            ranked = sorted(zip(self.metadata["criteria"], scores), key=lambda cs: -cs[1])
            criteria = [(c["id"], c["title"], round(float(s), 4)) for c, s in ranked if s >= CRITERION_MIN_SCORE]
            if not criteria:
                c, s = ranked[0]
                criteria = [(c["id"], c["title"], round(float(s), 4))]
        return Decision(
            agent=self.metadata["agent"],
            delegate=delegate,
            probability=round(probability, 6),
            threshold=self.threshold,
            uncertain=low <= probability < high,
            criteria=criteria,
            model_version=self.metadata["model_version"],
        )


def default_model_path() -> Path:
    """`ROUTER_MODEL` if set, else the shipped model."""
    env = os.environ.get("ROUTER_MODEL")
    return Path(env) if env else SHIPPED_MODEL


def load_router(path: str | Path | None = None, backend: str | None = None) -> Router:
    """Load a model folder (default: `default_model_path()`).

    `backend` picks the encoder runtime: "auto" (default, or `ROUTER_BACKEND`) uses the ONNX export
    when present, else sentence-transformers; "onnx" exports on first use; "torch" never uses ONNX.
    The heads come from `heads.npz` (numpy only) when present, else from the skops files.
    """
    folder = Path(path) if path is not None else default_model_path()
    metadata = read_metadata(folder)
    backend = backend or os.environ.get("ROUTER_BACKEND", "auto")
    if backend not in BACKENDS:
        raise DataError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if (folder / HEADS_FILE).is_file():
        delegate, criteria = load_heads(folder / HEADS_FILE)
    else:
        model = load_skops(folder / MODEL_FILE)
        delegate = DelegateHead.from_estimator(model.named_steps["clf"].estimator_)
        criteria = CriteriaHead.from_estimator(load_skops(folder / CRITERIA_FILE))
    encoder = metadata["encoder"]
    embedder = Embedder(get_encoder(encoder["name"], backend, encoder.get("id")))
    return Router(embedder, delegate, criteria, metadata, folder)


_LOCK = threading.Lock()
_DEFAULT: dict[Path, Router] = {}


def default_router() -> Router:
    """The default model, loaded once per process (thread-safe)."""
    path = default_model_path()
    router = _DEFAULT.get(path)
    if router is None:
        with _LOCK:
            router = _DEFAULT.get(path)
            if router is None:
                router = _DEFAULT[path] = load_router(path)
    return router


def route(text: str) -> Decision:
    """Decide for one text with the default model."""
    return default_router().route(text)


def route_batch(texts: Sequence[str]) -> list[Decision]:
    """Decide for many texts with the default model."""
    return default_router().route_batch(texts)
