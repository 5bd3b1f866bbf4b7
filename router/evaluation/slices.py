"""Where a model is right and wrong: metrics per slice and per confidence subset, criteria recall, errors."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from router.core.decision import Decision
from router.core.metadata import Criterion
from router.dataset.examples import Example
from router.evaluation.metrics import counts, rates
from router.evaluation.stats import N_BOOT, SEED, bootstrap_ci

SLICE_FIELDS = ("kind", "source", "source_kind")


def field_value(ex: Example, name: str) -> str | None:
    """`kind`, `source` or any extra field of an example, as a string (None when absent)."""
    value = getattr(ex, name) if name in ("kind", "source") else ex.extra.get(name)
    return None if value is None else str(value)


def group_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """n, positives, accuracy, and precision/recall/F1 where they are defined."""
    tn, fp, fn, tp = counts(y, pred)
    precision, recall, f1 = (float(v) for v in rates(tp, fp, fn))
    return {
        "n": len(y),
        "positives": tp + fn,
        "accuracy": (tp + tn) / max(1, len(y)),
        "precision": precision if tp + fp else None,
        "recall": recall if tp + fn else None,
        "f1": f1 if tp + fn else None,
    }


def slices(examples: list[Example], y: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, Any]]:
    """Metrics per value of each of `kind`, `source`, `source_kind` that the data has."""
    out: dict[str, dict[str, Any]] = {}
    for name in SLICE_FIELDS:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, ex in enumerate(examples):
            value = field_value(ex, name)
            if value is not None:
                groups[value].append(i)
        if groups:
            out[name] = {value: group_metrics(y[idx], pred[idx]) for value, idx in sorted(groups.items())}
    return out


def subsets(
    examples: list[Example], y: np.ndarray, p: np.ndarray, pred: np.ndarray, n_boot: int = N_BOOT, seed: int = SEED
) -> dict[str, Any]:
    """Metrics with intervals on all rows and per `confidence` value, when the data has that field."""
    values = [field_value(ex, "confidence") for ex in examples]
    if all(v is None for v in values):
        return {}
    out: dict[str, Any] = {}
    for name in ["all", *sorted({v for v in values if v is not None}, key=lambda v: (v != "high", v))]:
        idx = np.array([i for i, v in enumerate(values) if name == "all" or v == name])
        block = group_metrics(y[idx], pred[idx])
        block["intervals"] = bootstrap_ci(y[idx], p[idx], pred[idx], n_boot, seed)
        out[name if name == "all" else f"confidence={name}"] = block
    return out


def criteria_recall(
    examples: list[Example], decisions: list[Decision], criteria: tuple[Criterion, ...]
) -> list[dict[str, Any]]:
    """Per criterion: its positives, the share delegated, and the share where it was among the matched."""
    rows = []
    for c in criteria:
        idx = [i for i, ex in enumerate(examples) if ex.label == 1 and c.id in ex.criteria]
        named = [c.id in {cid for cid, _, _ in decisions[i].criteria} for i in idx]
        rows.append(
            {
                "id": c.id,
                "title": c.title,
                "n": len(idx),
                "delegated": float(np.mean([decisions[i].delegate for i in idx])) if idx else None,
                "recall": float(np.mean(named)) if idx else None,
            }
        )
    return rows


def errors(examples: list[Example], p: np.ndarray, decisions: list[Decision], top: int) -> dict[str, Any]:
    """Error counts by kind and the worst false positives and negatives, grouped by kind.

    Data without `kind` is grouped by `source_kind` instead, when it has that field.
    """
    present = [name for name in ("kind", "source_kind") if any(field_value(ex, name) for ex in examples)]
    group_by = present[0] if present else "kind"

    def kind(ex: Example) -> str:
        return field_value(ex, group_by) or "(none)"

    def item(i: int) -> dict[str, Any]:
        ex = examples[i]
        return {
            "id": ex.id,
            "kind": kind(ex),
            "text": ex.text,
            "probability": float(p[i]),
            "matched_criteria": [cid for cid, _, _ in decisions[i].criteria],
            "labeled_criteria": list(ex.criteria),
        }

    fp = sorted((i for i, ex in enumerate(examples) if ex.label == 0 and decisions[i].delegate), key=lambda i: -p[i])
    fn = sorted((i for i, ex in enumerate(examples) if ex.label == 1 and not decisions[i].delegate), key=lambda i: p[i])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for i in fp:
        counts[kind(examples[i])]["false_positives"] += 1
    for i in fn:
        counts[kind(examples[i])]["false_negatives"] += 1

    def grouped(idx: list[int]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for i in idx[:top]:
            out[kind(examples[i])].append(item(i))
        return dict(sorted(out.items(), key=lambda kv: -len(kv[1])))

    return {
        "grouped_by": group_by,
        "shown": top,
        "counts_by_kind": {k: dict(v) for k, v in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))},
        "false_positives": grouped(fp),
        "false_negatives": grouped(fn),
    }
