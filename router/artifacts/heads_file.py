"""`heads.npz`: both heads as plain arrays (no pickled objects), read with `allow_pickle=False`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from router.core.heads import CriteriaHead, DelegateHead


def save_heads(path: Path, delegate: DelegateHead, criteria: CriteriaHead) -> None:
    """Write both heads as plain arrays."""
    with Path(path).open("wb") as out:
        arrays: dict[str, Any] = {**delegate.to_arrays(), "criteria_coef": criteria.coef}
        np.savez(out, criteria_intercept=criteria.intercept, **arrays)


def load_heads(path: Path) -> tuple[DelegateHead, CriteriaHead]:
    """Read heads written by `save_heads` (arrays only)."""
    with np.load(path, allow_pickle=False) as arrays:
        data = {key: arrays[key] for key in arrays.files}
    return DelegateHead.from_arrays(data), CriteriaHead(data["criteria_coef"], data["criteria_intercept"])
