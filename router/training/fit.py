"""Fit a routing model: embed once, select and calibrate the classifier, tune threshold and band, fit criteria."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from router.dataset.agent import AgentSpec, agent_file, parse_agent
from router.dataset.examples import SPLITS, Example, load_examples, resolve_data
from router.encoders.embedder import SentenceEmbedder
from router.training.config import TrainConfig
from router.training.criteria import CriteriaModel, fit_criteria_head, tune_cut
from router.training.progress import Steps
from router.training.selection import select_classifier
from router.training.threshold import abstain_band, tune_threshold


@dataclass(frozen=True)
class TrainingData:
    """The agent, the fixed splits (train including `extra`), the new labels and any extra evaluation files."""

    spec: AgentSpec
    splits: dict[str, list[Example]]
    extra: tuple[Example, ...] = ()
    evals: dict[str, list[Example]] | None = None

    def labeled(self) -> dict[str, list[Example]]:
        """Every named example list: the splits, then the evaluation files."""
        return {**self.splits, **(self.evals or {})}

    def with_extra(self, extra: Sequence[Example]) -> TrainingData:
        """The same data with `extra` examples (new labels) added to the train split; no file is read again."""
        splits = {**self.splits, "train": [*self.splits["train"], *extra]}
        return replace(self, splits=splits, extra=(*self.extra, *extra))


def load_training_data(config: TrainConfig, extra: Sequence[Example] = ()) -> TrainingData:
    """Read the agent file and the splits; `extra` examples (new labels) join the train split."""
    spec = parse_agent(config.agent or agent_file(config.data_dir))
    splits = {name: load_examples(resolve_data(name, config.data_dir), spec.ids) for name in SPLITS}
    evals = {str(path): load_examples(Path(path), spec.ids) for path in config.eval_files}
    return TrainingData(spec, splits, evals=evals).with_extra(extra)


@dataclass(frozen=True)
class FittedModel:
    """What `fit` produced: the whole pipeline, its parts, and the embeddings it was judged on."""

    pipeline: Pipeline  # SentenceEmbedder + the threshold-tuned calibrated classifier
    calibrated: CalibratedClassifierCV
    criteria_head: CriteriaModel
    embedder: SentenceEmbedder
    threshold: float
    band: tuple[float, float]
    criteria_cut: float
    selection: dict[str, Any]
    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]

    def proba(self, name: str) -> np.ndarray:
        """Calibrated probabilities of one named example list."""
        return np.asarray(self.calibrated.predict_proba(self.X[name])[:, 1])


def fit(config: TrainConfig, data: TrainingData) -> FittedModel:
    """Embed every example once, then fit everything on the embeddings (the encoder learns nothing)."""
    embedder = SentenceEmbedder(config.encoder, cache_dir=config.cache_dir, runtime=config.encoder_runtime)
    labeled = data.labeled()
    with Steps() as steps:
        X = {name: steps.embed(embedder, [ex.text for ex in exs], name) for name, exs in labeled.items()}
        y = {name: np.array([ex.label for ex in exs]) for name, exs in labeled.items()}
        with steps.step("selecting classifier (5-fold CV)"):
            best, selection = select_classifier(X["train"], y["train"], config.seed, config.classifier)
        with steps.step("calibrating"):
            folds = StratifiedKFold(5, shuffle=True, random_state=config.seed)
            calibrated = CalibratedClassifierCV(best, method="sigmoid", cv=folds, ensemble=False)
            calibrated.fit(X["train"], y["train"])
        with steps.step("tuning threshold on dev"):
            tuned = tune_threshold(calibrated, X["dev"], y["dev"], config.min_precision)
            threshold = round(float(tuned.best_threshold_), 4)
            dev_proba = calibrated.predict_proba(X["dev"])[:, 1]
            band = abstain_band(y["dev"], dev_proba, threshold, config.min_band_accuracy)
        with steps.step("fitting criteria head"):
            head = fit_criteria_head(X["train"], data.splits["train"], data.spec, config.seed)
            cut = tune_cut(head, X["dev"], data.splits["dev"], data.spec)
    serving = SentenceEmbedder(config.encoder, runtime=config.encoder_runtime)
    pipeline = Pipeline([("embed", serving), ("clf", tuned)])
    return FittedModel(pipeline, calibrated, head, embedder, threshold, band, cut, selection, X, y)
