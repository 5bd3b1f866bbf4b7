"""The simple alternatives a team would otherwise use, scored on the same requests as the model.

- keyword rules from the agent definition (no training data);
- TF-IDF + logistic regression trained on the `train` split, threshold tuned on `dev` for F1;
- zero-shot similarity between the request and the agent's criteria, threshold tuned on `dev` for F1;
- nearest-examples voting on the model's encoder: mean of the top-k cosine similarities to the `train`
  examples of each class, the larger wins (how semantic-router decides).

Each gives a score in [0, 1], a decision and the median latency of one request.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from router.core.heads import dots, one_blas_thread, top_k_mean
from router.dataset.agent import AgentSpec
from router.dataset.examples import Example
from router.evaluation.metrics import best_f1_threshold

Embed = Callable[[list[str]], np.ndarray]
LATENCY_SAMPLE = 50
KNN_K = 5
#: Words of the criteria titles and description that say nothing about backend work.
STOP_WORDS = frozenset(
    {
        *("a", "an", "and", "or", "of", "for", "the", "to", "up", "use", "with"),
        *("building", "designing", "writing", "implementing", "setting", "optimizing", "handling"),
        *("complex", "systems", "implementation", "development", "expert", "tasks", "proactively"),
    }
)
#: Lines of the agent's technology stack left out: general-purpose languages are not backend-specific.
SKIPPED_STACK_LINES = frozenset({"languages"})
TITLE_WEIGHT, OTHER_WEIGHT, KEYWORD_RULE = 2.0, 1.0, 2.0


@dataclass(frozen=True)
class BaselineResult:
    """One alternative's scores, decisions and latency on the evaluated requests."""

    name: str
    scores: np.ndarray
    decisions: np.ndarray
    threshold: float
    latency_ms: float
    rule: str


def median_latency_ms(score_one: Callable[[str], object], texts: Sequence[str], sample: int = LATENCY_SAMPLE) -> float:
    """Median wall time of one call on each of the first `sample` texts, after one warm-up call."""
    chosen = list(texts[:sample])
    if not chosen:
        return 0.0
    score_one(chosen[0])
    times = []
    for text in chosen:
        start = time.perf_counter()
        score_one(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _pattern(term: str) -> str:
    if term.endswith("y") and " " not in term:
        return rf"(?<!\w){re.escape(term[:-1])}(?:y|ies)(?!\w)"
    return rf"(?<!\w){re.escape(term)}(?:s|es)?(?!\w)"


def keyword_terms(spec: AgentSpec) -> dict[str, float]:
    """Weighted terms: criteria-title words (weight 2), description words and stack names (weight 1).

    The stack names are the bullets under the agent file's "Technology Stack" heading (`spec.text`).
    """
    words = re.compile(r"[a-z][a-z0-9/+.-]*[a-z0-9]|[a-z]")
    terms: dict[str, float] = {}
    for source, weight in ((spec.description, OTHER_WEIGHT), *((c.title, TITLE_WEIGHT) for c in spec.criteria)):
        for word in words.findall(source.lower()):
            if word not in STOP_WORDS:
                term = _singular(word)
                terms[term] = max(terms.get(term, 0.0), weight)
    stack = spec.text.split("Technology Stack", 1)[1] if "Technology Stack" in spec.text else ""
    for line in stack.splitlines()[1:]:
        bullet = re.match(r"^\s*[-*]\s+([^:]+):\s*(.+)$", line)
        if bullet is None:
            if line.strip():
                break
            continue
        if bullet.group(1).strip().lower() not in SKIPPED_STACK_LINES:
            for item in bullet.group(2).split(","):
                terms.setdefault(item.strip().lower(), OTHER_WEIGHT)
    return terms


def keyword_baseline(texts: Sequence[str], spec: AgentSpec) -> BaselineResult:
    """Score = matched weight w squashed to w / (w + 2); delegate when w >= 2."""
    compiled = [(re.compile(_pattern(t)), w) for t, w in keyword_terms(spec).items()]

    def score(text: str) -> float:
        lowered = text.lower()
        weight = sum(w for pattern, w in compiled if pattern.search(lowered))
        return weight / (weight + KEYWORD_RULE)

    scores = np.array([score(t) for t in texts])
    threshold = KEYWORD_RULE / (2 * KEYWORD_RULE)
    rule = "delegate when one criterion word or two stack/description words appear (agent file only)"
    return BaselineResult(
        "Keyword matching", scores, scores >= threshold, threshold, median_latency_ms(score, texts), rule
    )


def tfidf_baseline(texts: Sequence[str], train: list[Example], dev: list[Example], seed: int = 0) -> BaselineResult:
    """TF-IDF (word 1-2 grams) + logistic regression, C by 5-fold CV ROC-AUC on train; dev-tuned threshold."""
    pipeline = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("clf", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )
    search = GridSearchCV(
        pipeline,
        {"clf__C": [1.0, 3.0, 10.0, 30.0]},
        scoring="roc_auc",
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
    )
    model = search.fit([ex.text for ex in train], [ex.label for ex in train]).best_estimator_
    dev_scores = model.predict_proba([ex.text for ex in dev])[:, 1]
    threshold = best_f1_threshold([ex.label for ex in dev], dev_scores)["threshold"]
    scores = model.predict_proba(list(texts))[:, 1]
    latency = median_latency_ms(lambda t: model.predict_proba([t]), texts)
    rule = f"trained on train (C={search.best_params_['clf__C']:g}); threshold {threshold:.3f} tuned on dev for F1"
    return BaselineResult("TF-IDF + LR", scores, scores >= threshold, threshold, latency, rule)


def zero_shot_baseline(
    texts: Sequence[str], X: np.ndarray, spec: AgentSpec, dev: list[Example], embed: Embed, embed_one: Embed
) -> BaselineResult:
    """Highest cosine between the request and the criteria titles or the agent description.

    `X` holds the embeddings of `texts`; `embed_one` embeds one request for the latency.
    """
    references = embed([c.title for c in spec.criteria] + [spec.description])

    def score(V: np.ndarray) -> np.ndarray:
        with one_blas_thread():
            return np.asarray(np.clip(dots(V, references).max(1), 0.0, 1.0))

    threshold = best_f1_threshold([ex.label for ex in dev], score(embed([ex.text for ex in dev])))["threshold"]
    scores = score(X)
    latency = median_latency_ms(lambda t: score(embed_one([t])), texts)
    rule = f"no training examples; threshold {threshold:.3f} on the best cosine, tuned on dev for F1"
    return BaselineResult("Zero-shot similarity", scores, scores >= threshold, threshold, latency, rule)


def knn_baseline(
    texts: Sequence[str], X: np.ndarray, train: list[Example], embed: Embed, embed_one: Embed, k: int = KNN_K
) -> BaselineResult:
    """Mean of the top-k cosines to each class's train examples; the larger class wins.

    `X` holds the embeddings of `texts`; `embed_one` embeds one request for the latency.
    """
    T = embed([ex.text for ex in train])
    y = np.array([ex.label for ex in train])
    pos, neg = T[y == 1], T[y == 0]

    def score(V: np.ndarray) -> np.ndarray:
        with one_blas_thread():
            return np.asarray((top_k_mean(V, pos, k) - top_k_mean(V, neg, k) + 1.0) / 2.0)

    scores = score(X)
    latency = median_latency_ms(lambda t: score(embed_one([t])), texts)
    rule = f"k={k} on the model's encoder and the train split; delegate when the positive class scores higher"
    return BaselineResult("Nearest-examples vote", scores, scores >= 0.5, 0.5, latency, rule)


def run_baselines(
    texts: Sequence[str],
    X: np.ndarray,
    spec: AgentSpec,
    train: list[Example],
    dev: list[Example],
    embed: Embed,
    embed_one: Embed,
    seed: int = 0,
) -> list[BaselineResult]:
    """All four baselines on `texts`, whose embeddings (the model's own) are `X`.

    `embed` embeds the train and dev examples and the agent's criteria; `embed_one` embeds one request at
    a time for the latencies.
    """
    return [
        keyword_baseline(texts, spec),
        tfidf_baseline(texts, train, dev, seed),
        zero_shot_baseline(texts, X, spec, dev, embed, embed_one),
        knn_baseline(texts, X, train, embed, embed_one),
    ]
