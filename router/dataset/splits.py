"""Fixed train/dev/test splits, stratified, with near-duplicates kept inside one split."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from router.dataset.examples import Example
from router.dataset.similarity import near_duplicate_groups


def stratum(example: Example) -> str:
    """Label plus main criterion (positives) or kind (negatives)."""
    detail = example.criteria[0] if example.criteria else (example.kind or "none")
    return f"{example.label}:{detail}"


def make_splits(examples: list[Example], seed: int = 0, folds: int = 7) -> dict[str, list[Example]]:
    """Split ~72/14/14: one stratified group fold is test, the next dev, the rest train."""
    groups = near_duplicate_groups([ex.text for ex in examples])
    strata = np.array([stratum(ex) for ex in examples])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_of = np.empty(len(examples), dtype=int)
    for fold, (_, held) in enumerate(splitter.split(np.zeros(len(examples)), strata, groups)):
        fold_of[held] = fold
    names = np.where(fold_of == 0, "test", np.where(fold_of == 1, "dev", "train"))
    return {name: [ex for ex, n in zip(examples, names) if n == name] for name in ("train", "dev", "test")}
