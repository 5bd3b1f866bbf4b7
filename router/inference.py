"""Routing decisions for parent agents: `route`, `route_batch`, `load_router`, `Decision`."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.embedding import check_texts
from router.errors import DataError
from router.heads import CriteriaHead, DelegateHead
from router.persistence import CRITERIA_FILE, MODEL_FILE, load_skops, read_metadata

#: The model shipped with the repository.
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "backend-engineer"
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


class Router:
    """A loaded model: one embedding, then the delegate head and the criteria head."""

    def __init__(
        self, embedder: Any, delegate: DelegateHead, criteria: CriteriaHead, metadata: dict[str, Any], path: Path
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
        X = self.embedder.transform(items)
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


def load_router(path: str | Path | None = None) -> Router:
    """Load a model folder (default: `default_model_path()`)."""
    folder = Path(path) if path is not None else default_model_path()
    metadata = read_metadata(folder)
    model = load_skops(folder / MODEL_FILE)
    criteria = CriteriaHead.from_estimator(load_skops(folder / CRITERIA_FILE))
    delegate = DelegateHead.from_estimator(model.named_steps["clf"].estimator_)
    return Router(model.named_steps["embed"], delegate, criteria, metadata, folder)


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
