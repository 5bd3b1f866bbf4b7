"""`router data check`: validate labeled data and summarise it against the data set's own targets."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.core.texts import normalise
from router.dataset.agent import AgentSpec, find_agent, parse_agent
from router.dataset.examples import SPLITS, Example, parse_file
from router.dataset.similarity import BOW_NEAR, TFIDF_NEAR, cosine_matrix
from router.dataset.targets import DataTargets, load_targets
from router.dataset.voice import is_scenario_voice
from router.errors import DataError

#: Share of examples with a near-duplicate above which a data set fails, unless its targets say otherwise.
NEAR_DUPLICATE_LIMIT = 0.05


@dataclass
class CheckResult:
    """Problems (each "file:line: message") and a summary of the data."""

    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problems found."""
        return not self.problems


def length_bucket(text: str) -> str:
    """Word-count bucket."""
    words = len(text.split())
    return "<=6" if words <= 6 else "7-20" if words <= 20 else "21-59" if words < 60 else ">=60"


def data_files(path: Path) -> list[Path]:
    """The JSONL files under a folder (recursively), or the file itself."""
    return sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]


def check(path: str | Path, agent_file: Path | None = None) -> CheckResult:
    """Validate every data file under `path` and summarise them."""
    path = Path(path)
    result = CheckResult()
    targets = load_targets(path if path.is_dir() else path.parent)
    spec = parse_agent(agent_file) if agent_file is not None else find_agent(path)
    ids = spec.ids if spec is not None else None
    rows: list[tuple[str, str, Example]] = []  # (where, split, example)
    for file in data_files(path):
        try:
            parsed = parse_file(file, ids)
        except DataError as err:
            result.problems.append(str(err))
            continue
        result.problems += parsed.problems
        split = file.stem if file.stem in SPLITS else "other"
        rows += [(f"{file}:{line}", split, ex) for line, ex in zip(parsed.lines, parsed.examples)]
    if not rows:
        result.problems.append(f"{path}: no examples found")
        return result
    _check_duplicates(rows, result, targets)
    result.summary = summarise([ex for _, _, ex in rows], [split for _, split, _ in rows], result, spec, targets)
    return result


def _check_duplicates(rows: list[tuple[str, str, Example]], result: CheckResult, targets: DataTargets | None) -> None:
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
    limit = (targets.targets if targets else {}).get("near_duplicate_share", NEAR_DUPLICATE_LIMIT)
    if share > limit:
        result.problems.append(
            f"{share:.1%} of examples have a near-duplicate (bag-of-words cosine >= {BOW_NEAR}); "
            f"at most {limit:.0%} allowed"
        )


def voice_shares(examples: list[Example]) -> dict[str, float]:
    """Share of each label's examples in the scenario voice."""
    out = {}
    for label in (1, 0):
        group = [ex for ex in examples if ex.label == label]
        out[str(label)] = sum(is_scenario_voice(ex.text) for ex in group) / max(1, len(group))
    return out


def is_hard(example: Example, keywords: re.Pattern[str]) -> bool:
    """Hard positive: no surface keyword; hard negative: has one."""
    return bool(keywords.search(example.text)) != (example.label == 1)


def summarise(
    examples: list[Example],
    splits: list[str],
    result: CheckResult,
    spec: AgentSpec | None = None,
    targets: DataTargets | None = None,
) -> dict[str, Any]:
    """Counts by split, label, criterion, kind and length, voice, hard shares, stacks, and targets met."""
    pos = [ex for ex in examples if ex.label == 1]
    neg = [ex for ex in examples if ex.label == 0]
    lengths = Counter(length_bucket(ex.text) for ex in examples)
    criteria = Counter(c for ex in pos for c in ex.criteria)
    n = len(examples)
    negative_kinds = Counter(ex.kind or "?" for ex in neg)
    summary: dict[str, Any] = {
        "examples": n,
        "by_split": dict(Counter(splits)),
        "by_label": {"1": len(pos), "0": len(neg)},
        "positive_share": len(pos) / n,
        "by_criterion": dict(criteria),
        "by_kind": dict(Counter(ex.kind or "?" for ex in examples).most_common()),
        "negative_kinds": sorted(negative_kinds),
        "negative_kind_counts": dict(negative_kinds.most_common()),
        "by_length": dict(lengths),
        "voice_share": sum(is_scenario_voice(ex.text) for ex in examples) / n,
        "voice_share_by_label": voice_shares(examples),
        "near_duplicate_share": result.summary.get("near_duplicate_share", 0.0),
    }
    if targets is not None and targets.surface_keywords is not None:
        keywords = targets.surface_keywords
        summary["hard_positive_share"] = sum(is_hard(ex, keywords) for ex in pos) / max(1, len(pos))
        summary["hard_negative_share"] = sum(is_hard(ex, keywords) for ex in neg) / max(1, len(neg))
    if targets is not None:
        summary["stacks"] = sorted(
            name for name, rx in targets.stacks.items() if any(rx.search(ex.text) for ex in examples)
        )
        summary["targets"] = targets_met(summary, lengths, criteria, spec, targets.targets)
    return summary


def targets_met(
    s: dict[str, Any], lengths: Counter[str], criteria: Counter[str], spec: AgentSpec | None, t: dict[str, Any]
) -> dict[str, bool]:
    """Each target of the targets file that the data set states, and whether it is met."""
    n = s["examples"]
    met: dict[str, bool] = {}
    if "examples" in t:
        met[f"examples >= {t['examples']}"] = n >= t["examples"]
    if "positive_share" in t:
        low, high = t["positive_share"]
        met[f"positive share {low:.0%}-{high:.0%}"] = low <= s["positive_share"] <= high
    if "positives_per_criterion" in t and spec is not None:
        need = t["positives_per_criterion"]
        met[f"every criterion >= {need} positives"] = all(criteria.get(c, 0) >= need for c in spec.ids)
    if "negative_kinds" in t:
        met[f"negative kinds >= {t['negative_kinds']}"] = len(s["negative_kinds"]) >= t["negative_kinds"]
    for key, label in (("hard_negative_share", "hard negatives"), ("hard_positive_share", "hard positives")):
        if key in t and key in s:
            met[f"{label} >= {t[key]:.0%}"] = s[key] >= t[key]
    if "short_share" in t:
        met[f"<=6 words >= {t['short_share']:.0%}"] = lengths["<=6"] / n >= t["short_share"]
    if "long_share" in t:
        met[f">=60 words >= {t['long_share']:.0%}"] = lengths[">=60"] / n >= t["long_share"]
    if "stacks" in t:
        met[f"tech stacks >= {t['stacks']}"] = len(s.get("stacks", [])) >= t["stacks"]
    if "voice_share" in t:
        met[f"scenario voice >= {t['voice_share']:.0%}"] = s["voice_share"] >= t["voice_share"]
    if "voice_label_gap" in t:
        gap = abs(s["voice_share_by_label"]["1"] - s["voice_share_by_label"]["0"])
        met[f"voice share of the labels within {t['voice_label_gap']:.0%}"] = gap <= t["voice_label_gap"]
    if "near_duplicate_share" in t:
        met[f"near-duplicate share <= {t['near_duplicate_share']:.0%}"] = (
            s["near_duplicate_share"] <= t["near_duplicate_share"]
        )
    return met
