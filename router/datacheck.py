"""`router data check`: validate labeled data and summarise it against the data set's targets."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.data import SPLITS, Example, parse_file
from router.similarity import BOW_NEAR, TFIDF_NEAR, cosine_matrix, normalise
from router.spec import CRITERIA

#: Words that make a request look like backend work on the surface.
SURFACE_KEYWORDS = re.compile(
    r"\b(api|apis|endpoints?|rest|restful|graphql|grpc|websockets?|webhooks?|database|databases|db|sql|"
    r"postgres(ql)?|mysql|mongo(db)?|redis|dynamodb|sqlite|quer(y|ies)|schema|migrations?|index(es)?|orm|"
    r"auth|authentication|authorization|login|oauth2?|jwt|tokens?|sessions?|permissions?|rbac|sso|"
    r"server|servers|server-side|backend|back-end|microservices?|services?|deploy(s|ed|ing|ment)?|docker|"
    r"kubernetes|k8s|ci|cd|ci/cd|pipelines?|tests?|testing|performance|latency|slow|cach(e|es|ing)|"
    r"queues?|kafka|rabbitmq|sqs)\b",
    re.I,
)
#: Tech stacks counted for the variety summary.
STACKS = {
    "Node.js": r"node(\.js|js)?\b|express",
    "NestJS": r"nest(js)?\b",
    "FastAPI": r"fastapi",
    "Django": r"django",
    "Flask": r"flask",
    "Spring": r"spring",
    "Go": r"\bgo\b|golang|\bgin\b|\bchi\b|echo framework",
    "Rust": r"\brust\b|actix|axum",
    "Rails": r"rails|\bruby\b",
    "Laravel/PHP": r"laravel|\bphp\b|symfony",
    ".NET": r"\.net\b|asp\.net|c#|entity framework|\bef core",
    "Phoenix/Elixir": r"phoenix|elixir|ecto",
    "Kotlin": r"kotlin|ktor",
    "Java": r"\bjava\b|quarkus|micronaut",
    "Scala": r"scala|akka",
    "Deno/Bun": r"\bdeno\b|\bbun\b",
    "React": r"react",
    "Vue": r"\bvue",
    "Angular": r"angular",
    "Svelte": r"svelte",
    "Swift/iOS": r"swift|\bios\b",
    "Android": r"android",
    "Flutter": r"flutter",
    "pandas": r"pandas",
    "Spark": r"spark",
    "dbt": r"\bdbt\b",
    "Airflow": r"airflow",
    "PyTorch": r"pytorch|torch",
    "Unity": r"unity",
    "Terraform": r"terraform",
    "Kubernetes": r"kubernetes|\bk8s\b|helm",
}


@dataclass(frozen=True)
class Targets:
    """What the shipped data set must meet (issue: labeled request data)."""

    examples: int = 3000
    positive_share: tuple[float, float] = (0.35, 0.45)
    positives_per_criterion: int = 200
    negative_kinds: int = 12
    hard_negative_share: float = 0.30
    hard_positive_share: float = 0.20
    short_share: float = 0.05
    long_share: float = 0.05
    stacks: int = 15
    near_duplicate_share: float = 0.05


TARGETS = Targets()


@dataclass
class CheckResult:
    """Problems (each "file:line: message") and a summary of the data."""

    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problems found."""
        return not self.problems


def is_hard(example: Example) -> bool:
    """Hard positive: no surface keyword; hard negative: has one."""
    return bool(SURFACE_KEYWORDS.search(example.text)) != (example.label == 1)


def length_bucket(text: str) -> str:
    """Word-count bucket."""
    words = len(text.split())
    return "<=6" if words <= 6 else "7-20" if words <= 20 else "21-59" if words < 60 else ">=60"


def data_files(path: Path) -> list[Path]:
    """The JSONL files under a folder (recursively), or the file itself."""
    return sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]


def check(path: str | Path) -> CheckResult:
    """Validate every data file under `path` and summarise them."""
    result = CheckResult()
    rows: list[tuple[str, str, Example]] = []  # (where, split, example)
    for file in data_files(Path(path)):
        parsed = parse_file(file)
        result.problems += parsed.problems
        split = file.stem if file.stem in SPLITS else "other"
        rows += [(f"{file}:{line}", split, ex) for line, ex in zip(parsed.lines, parsed.examples)]
    if not rows:
        result.problems.append(f"{path}: no examples found")
        return result
    _check_duplicates(rows, result)
    result.summary = summarise([ex for _, _, ex in rows], [split for _, split, _ in rows], result)
    return result


def _check_duplicates(rows: list[tuple[str, str, Example]], result: CheckResult) -> None:
    seen: dict[str, str] = {}
    ids: dict[str, str] = {}
    for where, _, ex in rows:
        first = seen.setdefault(normalise(ex.text), where)
        if first != where:
            result.problems.append(f"{where}: duplicate text (first at {first})")
        if ex.id is not None:
            first_id = ids.setdefault(ex.id, where)
            if first_id != where:
                result.problems.append(f"{where}: duplicate id {ex.id!r} (first at {first_id})")
    texts = [ex.text for _, _, ex in rows]
    splits = np.array([split for _, split, _ in rows])
    tfidf = cosine_matrix(texts, "tfidf")
    cross = (tfidf >= TFIDF_NEAR) & (splits[:, None] != splits[None, :])
    for i, j in zip(*np.nonzero(np.triu(cross))):
        result.problems.append(
            f"{rows[j][0]}: near-duplicate of {rows[i][0]} across splits (TF-IDF cosine {tfidf[i, j]:.2f})"
        )
    bow = cosine_matrix(texts, "bow")
    share = float((bow.max(axis=1) >= BOW_NEAR).mean()) if len(texts) > 1 else 0.0
    result.summary["near_duplicate_share"] = share
    if share > TARGETS.near_duplicate_share:
        result.problems.append(
            f"{share:.1%} of examples have a near-duplicate (bag-of-words cosine >= {BOW_NEAR}); "
            f"at most {TARGETS.near_duplicate_share:.0%} allowed"
        )


def summarise(examples: list[Example], splits: list[str], result: CheckResult) -> dict[str, Any]:
    """Counts by split, label, criterion, kind and length, hard shares, stacks, and targets met."""
    pos = [ex for ex in examples if ex.label == 1]
    neg = [ex for ex in examples if ex.label == 0]
    lengths = Counter(length_bucket(ex.text) for ex in examples)
    criteria = Counter(c for ex in pos for c in ex.criteria)
    stacks = sorted(name for name, rx in STACKS.items() if any(re.search(rx, ex.text, re.I) for ex in examples))
    n = len(examples)
    summary: dict[str, Any] = {
        "examples": n,
        "by_split": dict(Counter(splits)),
        "by_label": {"1": len(pos), "0": len(neg)},
        "positive_share": len(pos) / n,
        "by_criterion": dict(criteria),
        "by_kind": dict(Counter(ex.kind or "?" for ex in examples).most_common()),
        "negative_kinds": sorted({ex.kind or "?" for ex in neg}),
        "by_length": dict(lengths),
        "hard_positive_share": sum(map(is_hard, pos)) / max(1, len(pos)),
        "hard_negative_share": sum(map(is_hard, neg)) / max(1, len(neg)),
        "stacks": stacks,
        "near_duplicate_share": result.summary.get("near_duplicate_share", 0.0),
    }
    t = TARGETS
    low, high = t.positive_share
    summary["targets"] = {
        "examples >= 3000": n >= t.examples,
        "positive share 35-45%": low <= summary["positive_share"] <= high,
        "every criterion >= 200 positives": all(criteria.get(c, 0) >= t.positives_per_criterion for c in CRITERIA),
        "negative kinds >= 12": len(summary["negative_kinds"]) >= t.negative_kinds,
        "hard negatives >= 30%": summary["hard_negative_share"] >= t.hard_negative_share,
        "hard positives >= 20%": summary["hard_positive_share"] >= t.hard_positive_share,
        "<=6 words >= 5%": lengths["<=6"] / n >= t.short_share,
        ">=60 words >= 5%": lengths[">=60"] / n >= t.long_share,
        "tech stacks >= 15": len(stacks) >= t.stacks,
        "near-duplicate share <= 5%": summary["near_duplicate_share"] <= TARGETS.near_duplicate_share,
    }
    return summary
