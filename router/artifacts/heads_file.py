"""`heads.npz`: both heads as plain arrays (no pickled objects), read with `allow_pickle=False`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from router.core.heads import CriteriaHead, DelegateHead, Lexicon
from router.errors import DataError

#: Arrays every heads file holds; the lexicon's four come together or not at all.
REQUIRED = ("kind", "weights", "dual", "scalars", "criteria_coef", "criteria_intercept")
LEXICON = ("criteria_vocabulary", "criteria_idf", "criteria_lexical_weight", "criteria_lexical_coef")
#: The nearest-examples vote's three, likewise together or not at all.
VOTE = ("vote_positives", "vote_negatives", "vote_scalars")


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


def _arrays(data: bytes, where: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise DataError(f"{where}: not a readable heads file ({type(err).__name__}: {err})") from None


def _scalar(array: np.ndarray, name: str, kind: str, where: str) -> Any:
    if array.shape != () or array.dtype.kind not in kind:
        raise DataError(f"{where}: '{name}' must be a single value, got shape {array.shape} dtype {array.dtype}")
    return array.item()


def load_heads(data: bytes, where: str) -> tuple[DelegateHead, CriteriaHead]:
    """Heads from the bytes of a file written by `save_heads`; `DataError` for a missing or malformed array.

    Shapes against the encoder and the criteria are `router.core.head_checks`' job.
    """
    arrays = _arrays(data, where)
    missing = [key for key in REQUIRED if key not in arrays]
    lexical = [key for key in LEXICON if key in arrays]
    if lexical and len(lexical) != len(LEXICON):
        missing += [key for key in LEXICON if key not in arrays]
    voted = [key for key in VOTE if key in arrays]
    if voted and len(voted) != len(VOTE):
        missing += [key for key in VOTE if key not in arrays]
    if missing:
        raise DataError(f"{where}: missing array(s) {', '.join(missing)}")
    _scalar(arrays["kind"], "kind", "U", where)
    scalars = arrays["scalars"]
    if scalars.shape != (4,) or scalars.dtype.kind not in "fi":
        raise DataError(f"{where}: 'scalars' must be 4 numbers, got shape {scalars.shape} dtype {scalars.dtype}")
    if voted:
        vote_scalars = arrays["vote_scalars"]
        if vote_scalars.shape != (2,) or vote_scalars.dtype.kind not in "fi":
            raise DataError(f"{where}: 'vote_scalars' must be 2 numbers (k, weight), got shape {vote_scalars.shape}")
        k = float(vote_scalars[0])
        if not k.is_integer() or k < 1:
            raise DataError(f"{where}: the vote's k must be a positive whole number, got {k}")
    delegate = DelegateHead.from_arrays(arrays)
    lexicon, lexical_coef = None, None
    if lexical:
        weight = float(_scalar(arrays["criteria_lexical_weight"], "criteria_lexical_weight", "fi", where))
        lexicon = Lexicon(arrays["criteria_vocabulary"], arrays["criteria_idf"], weight)
        lexical_coef = arrays["criteria_lexical_coef"]
    return delegate, CriteriaHead(arrays["criteria_coef"], arrays["criteria_intercept"], lexicon, lexical_coef)
