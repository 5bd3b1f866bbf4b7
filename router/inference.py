"""Routing decisions for parent agents: `route`, `route_batch`, `load_router`, `Decision`."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from router.encoders import Encoder, encode, get_encoder
from router.errors import DataError
from router.heads import CriteriaHead, DelegateHead, load_heads
from router.persistence import CRITERIA_FILE, HEADS_FILE, MODEL_FILE, load_skops, read_metadata
from router.registry import resolve
from router.texts import check_texts

if TYPE_CHECKING:
    from router.decision_log import DecisionLog

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
    decision_id: str | None = None  # set when the decision was written to a decision log

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (`decision_id` only when set)."""
        fields = {
            "agent": self.agent,
            "delegate": self.delegate,
            "probability": self.probability,
            "threshold": self.threshold,
            "uncertain": self.uncertain,
            "criteria": [{"id": i, "title": t, "score": s} for i, t, s in self.criteria],
            "model_version": self.model_version,
        }
        if self.decision_id is not None:
            fields["decision_id"] = self.decision_id
        return fields


class Embedder:
    """Texts to normalised embeddings with a loaded encoder (no scikit-learn needed)."""

    def __init__(self, encoder: Encoder, batch_size: int | None = None) -> None:
        self.encoder = encoder
        self.batch_size = batch_size

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a list of texts into an (n, dim) float32 array."""
        return encode(self.encoder, check_texts(texts), self.batch_size)


@dataclass(frozen=True)
class _Loaded:
    """One model version as loaded: swapped whole by `Router.reload`."""

    embedder: Embedder
    delegate: DelegateHead
    criteria: CriteriaHead
    metadata: dict[str, Any]
    path: Path


class Router:
    """A loaded model: one embedding, then the delegate head and the criteria head.

    `source` is the path it was loaded from (a registry root or a model folder) and `reload()`
    re-reads it; with a `log`, every decision is written to that decision log.
    """

    def __init__(
        self,
        embedder: Embedder,
        delegate: DelegateHead,
        criteria: CriteriaHead,
        metadata: dict[str, Any],
        path: Path,
        *,
        source: Path | None = None,
        backend: str = "auto",
        log: DecisionLog | None = None,
    ) -> None:
        self._loaded = _Loaded(embedder, delegate, criteria, metadata, path)
        self.source = source if source is not None else path
        self.backend = backend
        self.log = log
        self._reload_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """Texts to embeddings."""
        return self._loaded.embedder

    @property
    def delegate(self) -> DelegateHead:
        """The delegate head."""
        return self._loaded.delegate

    @property
    def criteria(self) -> CriteriaHead:
        """The criteria head."""
        return self._loaded.criteria

    @property
    def metadata(self) -> dict[str, Any]:
        """The loaded version's `metadata.json`."""
        return self._loaded.metadata

    @property
    def path(self) -> Path:
        """The loaded model folder (a registry's current version when loaded from a registry root)."""
        return self._loaded.path

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
        loaded = self._loaded  # one version for the whole batch, even during a reload
        X = encode(loaded.embedder.encoder, items, loaded.embedder.batch_size)
        proba = loaded.delegate.proba(X)
        scores = loaded.criteria.proba(X)
        decisions = [self._decide(loaded.metadata, float(p), s) for p, s in zip(proba, scores)]
        if self.log is not None:
            ids = self.log.record(items, decisions, loaded.metadata)
            if ids is not None:
                decisions = [replace(d, decision_id=i) for d, i in zip(decisions, ids)]
        return decisions

    def _decide(self, metadata: dict[str, Any], probability: float, scores: np.ndarray) -> Decision:
        threshold = float(metadata["threshold"])
        low, high = float(metadata["abstain_band"]["low"]), float(metadata["abstain_band"]["high"])
        delegate = probability >= threshold
        criteria: list[tuple[str, str, float]] = []
        if delegate:
            ranked = sorted(zip(metadata["criteria"], scores), key=lambda cs: -cs[1])
            criteria = [(c["id"], c["title"], round(float(s), 4)) for c, s in ranked if s >= CRITERION_MIN_SCORE]
            if not criteria:
                c, s = ranked[0]
                criteria = [(c["id"], c["title"], round(float(s), 4))]
        return Decision(
            agent=metadata["agent"],
            delegate=delegate,
            probability=round(probability, 6),
            threshold=threshold,
            uncertain=low <= probability < high,
            criteria=criteria,
            model_version=metadata["model_version"],
        )

    def reload(self) -> bool:
        """Re-read `source` (a registry's `current`) and swap in that version; True if it changed.

        Thread-safe: a batch in flight finishes on the version it started with. The loaded encoder is
        kept when the new version uses the same one.
        """
        with self._reload_lock:
            old = self._loaded
            folder = resolve(self.source)
            metadata = read_metadata(folder)
            if folder == old.path and metadata == old.metadata:
                return False
            delegate, criteria = load_model_heads(folder)
            embedder = old.embedder
            new, was = metadata["encoder"], old.metadata["encoder"]
            if (new["name"], new.get("id")) != (was["name"], was.get("id")):
                embedder = Embedder(get_encoder(new["name"], self.backend, new.get("id")))
            self._loaded = _Loaded(embedder, delegate, criteria, metadata, folder)
            return True


def default_model_path() -> Path:
    """`ROUTER_MODEL` if set, else the shipped model."""
    env = os.environ.get("ROUTER_MODEL")
    return Path(env) if env else SHIPPED_MODEL


def load_model_heads(folder: Path) -> tuple[DelegateHead, CriteriaHead]:
    """A model folder's heads: from `heads.npz` (numpy only) when present, else from the skops files."""
    if (folder / HEADS_FILE).is_file():
        return load_heads(folder / HEADS_FILE)
    model = load_skops(folder / MODEL_FILE)
    delegate = DelegateHead.from_estimator(model.named_steps["clf"].estimator_)
    return delegate, CriteriaHead.from_estimator(load_skops(folder / CRITERIA_FILE))


def load_router(path: str | Path | None = None, backend: str | None = None, log: str | Path | None = None) -> Router:
    """Load a model (default: `default_model_path()`): a registry root's current version, or a model folder.

    `backend` picks the encoder runtime: "auto" (default, or `ROUTER_BACKEND`) uses the ONNX export
    when present, else sentence-transformers; "onnx" exports on first use; "torch" never uses ONNX.
    The heads come from `heads.npz` (numpy only) when present, else from the skops files.
    `log` (default: `ROUTER_DECISION_LOG`) is an SQLite decision log every decision is written to.
    """
    source = Path(path) if path is not None else default_model_path()
    folder = resolve(source)
    metadata = read_metadata(folder)
    backend = backend or os.environ.get("ROUTER_BACKEND", "auto")
    if backend not in BACKENDS:
        raise DataError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    delegate, criteria = load_model_heads(folder)
    encoder = metadata["encoder"]
    embedder = Embedder(get_encoder(encoder["name"], backend, encoder.get("id")))
    if log is None or str(log) == "":
        log = os.environ.get("ROUTER_DECISION_LOG") or None
    decision_log = None
    if log is not None:
        from router.decision_log import DecisionLog

        decision_log = DecisionLog(log)
    return Router(
        embedder,
        delegate,
        criteria,
        metadata,
        folder,
        source=source,
        backend=backend,
        log=decision_log,
    )


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
