"""Text similarity used to find near-duplicates: bag-of-words and TF-IDF cosine."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csgraph, csr_matrix
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

BOW_NEAR = 0.8
TFIDF_NEAR = 0.9


def cosine_matrix(texts: list[str], kind: str) -> np.ndarray:
    """Pairwise cosine (zero diagonal) of unigram+bigram counts ('bow') or TF-IDF ('tfidf')."""
    pattern = r"(?u)\b\w+\b"
    vectorizer = (
        CountVectorizer(ngram_range=(1, 2), token_pattern=pattern)
        if kind == "bow"
        else TfidfVectorizer(token_pattern=pattern)
    )
    try:
        X = normalize(vectorizer.fit_transform(texts).astype(np.float64))
    except ValueError:  # no word in any text
        return np.zeros((len(texts), len(texts)))
    S = (X @ X.T).toarray()
    np.fill_diagonal(S, 0.0)
    return S


def near_duplicate_groups(texts: list[str]) -> np.ndarray:
    """Group id per text: texts linked by BOW >= 0.8 or TF-IDF >= 0.9 share a group."""
    linked = (cosine_matrix(texts, "bow") >= BOW_NEAR) | (cosine_matrix(texts, "tfidf") >= TFIDF_NEAR)
    _, groups = csgraph.connected_components(csr_matrix(linked), directed=False)
    return np.asarray(groups)


def nearest_similarity(texts: list[str], others: list[str]) -> np.ndarray:
    """Per text, its highest TF-IDF cosine to any of `others` (one vocabulary fitted on both lists)."""
    if not texts or not others:
        return np.zeros(len(texts))
    try:
        # bandit B106 waived: a word regex, not a password
        vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b")  # nosec B106
        X = normalize(vectorizer.fit_transform(texts + others).astype(np.float64))
    except ValueError:  # no word in any text
        return np.zeros(len(texts))
    S = X[: len(texts)] @ X[len(texts) :].T
    return np.asarray(S.max(axis=1).todense(), dtype=float).ravel()
