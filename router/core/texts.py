"""The one gate for request texts (import-light: the fast path uses it).

A text is a non-blank string of Unicode scalar values: a lone surrogate, U+D800 to U+DFFF (what a JSON
escape of one or an undecodable command-line byte becomes in Python) cannot be encoded, tokenised, logged or printed, so
it is refused here, before anything else sees it. Error messages never quote the bad text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from router.errors import DataError

#: Code points that are not Unicode scalar values: UTF-8 cannot encode them.
_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


def check_text(text: object, index: int = 0) -> str:
    """`text` if it is a routable text, else `DataError` naming its position (never its content)."""
    if not isinstance(text, str):
        raise DataError(f"text {index} is {type(text).__name__}, not a string")
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise DataError(
            f"text {index} has an invalid code point U+{ord(bad.group()):04X} at character {bad.start()} "
            "(a lone surrogate: not valid Unicode)"
        )
    if not text.strip():
        raise DataError(f"text {index} is blank")
    return text


def _sequence(texts: object) -> list[object]:
    if isinstance(texts, str):
        raise DataError("expected a list of texts, got a single string")
    if not isinstance(texts, Sequence | np.ndarray):
        raise DataError(f"expected a list of texts, got {type(texts).__name__}")
    return list(texts)


def check_texts(texts: object) -> list[str]:
    """Return `texts` as a list of routable texts, or raise `DataError` for the first bad one."""
    return [check_text(text, i) for i, text in enumerate(_sequence(texts))]


@dataclass(frozen=True)
class SortedTexts:
    """A batch sorted into the routable texts (in order) and an error per bad position."""

    texts: list[str] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    def merge(self, results: Sequence[T]) -> list[T | str]:
        """The batch in its own order: each good text's result (`results` follow `texts`), each bad one's error."""
        good = iter(results)
        return [self.errors[i] if i in self.errors else next(good) for i in range(len(self.texts) + len(self.errors))]


def sort_texts(texts: object) -> SortedTexts:
    """Keep the good texts of a batch and say why each bad one is refused (`DataError` if not a list)."""
    out = SortedTexts()
    for i, text in enumerate(_sequence(texts)):
        try:
            out.texts.append(check_text(text, i))
        except DataError as err:
            out.errors[i] = str(err)
    return out


def normalise(text: str) -> str:
    """Lowercase, punctuation and whitespace folded: equal strings are duplicates."""
    return re.sub(r"\W+", " ", text.lower()).strip()
