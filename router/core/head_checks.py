"""Checks of loaded heads against their metadata: known kernel, dtypes, shapes and finite numbers.

A head that passes can be evaluated on any (n, encoder dimension) embedding without an exception and
gives one finite score per criterion of the metadata.
"""

from __future__ import annotations

import math

import numpy as np

from router.core.heads import CriteriaHead, DelegateHead
from router.core.metadata import ModelMetadata
from router.errors import DataError

#: The delegate head's kernels.
KERNELS = ("linear", "rbf")


def _numbers(value: object, name: str, shape: tuple[int | None, ...], where: str) -> None:
    if not isinstance(value, np.ndarray):
        raise DataError(f"{where}: {name} is not an array")
    if value.dtype.kind not in "fi":
        raise DataError(f"{where}: {name} has dtype {value.dtype}, not numbers")
    if value.ndim != len(shape) or any(want is not None and got != want for got, want in zip(value.shape, shape)):
        wanted = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
        raise DataError(f"{where}: {name} has shape {value.shape}, expected {wanted}")
    if not np.isfinite(value).all():
        raise DataError(f"{where}: {name} holds NaN or infinity")


def _finite(value: float, name: str, where: str) -> None:
    if not math.isfinite(value):
        raise DataError(f"{where}: {name} is {value}, not a finite number")


def check_heads(delegate: DelegateHead, criteria: CriteriaHead, metadata: ModelMetadata, where: str) -> None:
    """Refuse heads that do not fit the metadata (`DataError` naming the array)."""
    d, k = metadata.encoder.dimension, len(metadata.criteria)
    if delegate.kind not in KERNELS:
        raise DataError(f"{where}: unknown delegate kernel {delegate.kind!r}; expected one of {', '.join(KERNELS)}")
    if delegate.kind == "linear":
        _numbers(delegate.weights, "delegate weights", (d,), where)
    else:
        _numbers(delegate.weights, "support vectors", (None, d), where)
        _numbers(delegate.dual, "dual coefficients", (delegate.weights.shape[0],), where)
        if delegate.weights.shape[0] == 0:
            raise DataError(f"{where}: the RBF head has no support vectors")
    for name in ("intercept", "gamma", "a", "b"):
        _finite(getattr(delegate, name), f"delegate {name}", where)
    if delegate.kind == "rbf" and delegate.gamma <= 0:
        raise DataError(f"{where}: delegate gamma must be positive, got {delegate.gamma}")
    if delegate.vote is not None:
        if delegate.kind != "rbf":
            raise DataError(f"{where}: a nearest-examples vote goes with the rbf kernel, not {delegate.kind!r}")
        _numbers(delegate.vote.positives, "vote positives", (None, d), where)
        _numbers(delegate.vote.negatives, "vote negatives", (None, d), where)
        if min(len(delegate.vote.positives), len(delegate.vote.negatives)) == 0:
            raise DataError(f"{where}: the vote needs examples of both labels")
        _finite(delegate.vote.weight, "vote weight", where)
    _numbers(criteria.coef, "criteria coefficients", (k, d), where)
    _numbers(criteria.intercept, "criteria intercepts", (k,), where)
    if criteria.lexicon is None:
        return
    vocabulary = criteria.lexicon.vocabulary
    if not isinstance(vocabulary, np.ndarray) or vocabulary.dtype.kind != "U" or vocabulary.ndim != 1:
        raise DataError(f"{where}: the criteria vocabulary is not a 1-d array of strings")
    v = vocabulary.shape[0]
    _numbers(criteria.lexicon.idf, "criteria idf", (v,), where)
    _numbers(criteria.lexical_coef, "criteria lexical coefficients", (k, v), where)
    _finite(criteria.lexicon.weight, "criteria lexical weight", where)
