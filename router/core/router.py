"""`Router`: one embedding per text, then the delegate head and the criteria head give a `Decision`.

Loading model folders is `router.artifacts`' job; a `Router` only holds what was loaded (a
`LoadedModel`), swaps it whole on `reload()`, and writes decisions to a decision log when given one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from router.core.decision import Decision
from router.core.encoder import Encoder, encode
from router.core.heads import CriteriaHead, DelegateHead, one_blas_thread
from router.core.metadata import Band, ModelMetadata
from router.core.texts import check_texts
from router.errors import DataError


@dataclass(frozen=True)
class LoadedModel:
    """One model version as loaded: encoder, heads, metadata and the folder they came from."""

    encoder: Encoder
    delegate: DelegateHead
    criteria: CriteriaHead
    metadata: ModelMetadata
    path: Path

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts already checked (`check_texts`) into an (n, dim) float32 array."""
        return encode(self.encoder, texts)


class DecisionSink(Protocol):
    """Where decisions are logged (`router.decision_log`); never fails a route."""

    def record(self, texts: Sequence[str], decisions: Sequence[Decision], metadata: ModelMetadata) -> list[str] | None:
        """Store one row per decision; their ids, or None if logging failed."""


#: Given the model in use, the model to use now (None: unchanged).
Reloader = Callable[[LoadedModel], LoadedModel | None]


def decide(metadata: ModelMetadata, probability: float, scores: np.ndarray) -> Decision:
    """The decision for one calibrated probability and its per-criterion scores."""
    delegate = probability >= metadata.threshold
    criteria: list[tuple[str, str, float]] = []
    if delegate:
        ranked = sorted(zip(metadata.criteria, scores), key=lambda cs: -cs[1])
        criteria = [(c.id, c.title, round(float(s), 4)) for c, s in ranked if s >= metadata.criteria_cut]
        if not criteria:
            c, s = ranked[0]
            criteria = [(c.id, c.title, round(float(s), 4))]
    return Decision(
        agent=metadata.agent,
        delegate=delegate,
        probability=round(probability, 6),
        threshold=metadata.threshold,
        uncertain=metadata.band.contains(probability),
        criteria=criteria,
        model_version=metadata.model_version,
    )


class Router:
    """A loaded model that decides for texts; thread-safe, reloadable, optionally logging."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        reloader: Reloader | None = None,
        log: DecisionSink | None = None,
    ) -> None:
        self._model = model
        self.reloader = reloader
        self.log = log
        self._reload_lock = threading.Lock()

    @property
    def model(self) -> LoadedModel:
        """The model version in use."""
        return self._model

    @property
    def metadata(self) -> ModelMetadata:
        """The loaded version's metadata."""
        return self._model.metadata

    @property
    def path(self) -> Path:
        """The loaded model folder (a registry's current version when loaded from a registry root)."""
        return self._model.path

    @property
    def threshold(self) -> float:
        """Delegate when probability >= threshold."""
        return self._model.metadata.threshold

    @property
    def band(self) -> Band:
        """The abstain band."""
        return self._model.metadata.band

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The embeddings the heads see; `DataError` for a text that is not routable."""
        return self._model.embed(check_texts(texts))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(delegate) per text, without decisions or logging."""
        X = self.embed(texts)
        with one_blas_thread():
            return np.asarray(self._model.delegate.proba(X), dtype=float)

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
        model = self._model  # one version for the whole batch, even during a reload
        X = model.embed(items)
        with one_blas_thread():
            proba = model.delegate.proba(X)
            scores = model.criteria.proba(X, items)
        decisions = [decide(model.metadata, float(p), s) for p, s in zip(proba, scores)]
        if self.log is not None:
            ids = self.log.record(items, decisions, model.metadata)
            if ids is not None:
                decisions = [replace(d, decision_id=i) for d, i in zip(decisions, ids)]
        return decisions

    def reload(self) -> bool:
        """Ask the reloader for the model to use now and swap it in; True if it changed.

        Thread-safe: a batch in flight finishes on the version it started with. A failing reload
        raises and keeps the current model.
        """
        if self.reloader is None:
            return False
        with self._reload_lock:
            new = self.reloader(self._model)
            if new is None:
                return False
            self._model = new
            return True
