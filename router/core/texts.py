"""Validation of request texts (kept import-light: the fast path uses it)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from router.errors import DataError


def check_texts(texts: object) -> list[str]:
    """Return `texts` as a list of non-blank strings, or raise `DataError`."""
    if isinstance(texts, str):
        raise DataError("expected a list of texts, got a single string")
    if not isinstance(texts, Sequence | np.ndarray):
        raise DataError(f"expected a list of texts, got {type(texts).__name__}")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise DataError(f"text {i} is {type(text).__name__}, not a string")
        if not text.strip():
            raise DataError(f"text {i} is blank")
    return items


def normalise(text: str) -> str:
    """Lowercase, punctuation and whitespace folded: equal strings are duplicates."""
    return re.sub(r"\W+", " ", text.lower()).strip()
