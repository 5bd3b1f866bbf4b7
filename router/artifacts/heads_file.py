"""`heads.npz`: both heads as plain arrays (no pickled objects), read with `allow_pickle=False`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from router.core.heads import CriteriaHead, DelegateHead, Lexicon


def save_heads(path: Path, delegate: DelegateHead, criteria: CriteriaHead) -> None:
    """Write both heads as plain arrays."""
    arrays: dict[str, Any] = {
        **delegate.to_arrays(),
        "criteria_coef": criteria.coef,
        "criteria_intercept": criteria.intercept,
    }
    if criteria.lexicon is not None and criteria.lexical_coef is not None:
        arrays.update(
            criteria_vocabulary=criteria.lexicon.vocabulary,
            criteria_idf=criteria.lexicon.idf,
            criteria_lexical_weight=np.array(criteria.lexicon.weight),
            criteria_lexical_coef=criteria.lexical_coef,
        )
    with Path(path).open("wb") as out:
        np.savez(out, **arrays)


def load_heads(path: Path) -> tuple[DelegateHead, CriteriaHead]:
    """Read heads written by `save_heads` (arrays only)."""
    with np.load(path, allow_pickle=False) as arrays:
        data = {key: arrays[key] for key in arrays.files}
    lexicon, lexical = None, None
    if "criteria_vocabulary" in data:
        lexicon = Lexicon(data["criteria_vocabulary"], data["criteria_idf"], float(data["criteria_lexical_weight"]))
        lexical = data["criteria_lexical_coef"]
    criteria = CriteriaHead(data["criteria_coef"], data["criteria_intercept"], lexicon, lexical)
    return DelegateHead.from_arrays(data), criteria
