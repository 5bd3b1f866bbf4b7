"""What changes between two models on the same rows: decision flips, overall and by `kind` and criterion.

Counted by Ray Data's aggregations over the scored rows' `stat_*` columns (`router.serving.scorer`); by
`kind` and by criterion only when the input has them (a labeled criterion counts each row it is on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from ray.data import Dataset
from ray.data.aggregate import Sum


@dataclass(frozen=True)
class FlipCounts:
    """Rows routed by both models, and how many the second decides the other way."""

    rows: int
    to_delegate: int  # the second model delegates, the first did not
    to_not: int  # the first model delegated, the second does not

    @property
    def flips(self) -> int:
        """Rows decided the other way, either direction."""
        return self.to_delegate + self.to_not

    @property
    def rate(self) -> float:
        """Flips per routed row (0 when none were routed)."""
        return self.flips / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "rows": self.rows,
            "flips": self.flips,
            "to_delegate": self.to_delegate,
            "to_not": self.to_not,
            "rate": round(self.rate, 6),
        }


@dataclass(frozen=True)
class FlipSummary:
    """Model A against model B on one input: what a team reads before promoting B."""

    model_version: str
    compare_version: str
    overall: FlipCounts
    by_kind: dict[str, FlipCounts]
    by_criterion: dict[str, FlipCounts]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (groups with flips first)."""

        def groups(counts: dict[str, FlipCounts]) -> dict[str, Any]:
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1].flips, kv[0]))
            return {name: c.to_dict() for name, c in ranked}

        return {
            "model_version": self.model_version,
            "compare_version": self.compare_version,
            "overall": self.overall.to_dict(),
            "by_kind": groups(self.by_kind),
            "by_criterion": groups(self.by_criterion),
        }


_SUMS = (Sum("rows", alias_name="rows"), Sum("stat_up", alias_name="up"), Sum("stat_down", alias_name="down"))


def _counts(row: dict[str, Any]) -> FlipCounts:
    return FlipCounts(int(row["rows"] or 0), int(row["up"] or 0), int(row["down"] or 0))


def _by(stats: Dataset, key: str) -> dict[str, FlipCounts]:
    present = stats.map_batches(lambda b: b.filter(pc.is_valid(b.column(key))), batch_format="pyarrow")
    return {str(row[key]): _counts(row) for row in present.groupby(key).aggregate(*_SUMS).take_all()}


def _per_criterion(batch: pa.Table) -> pa.Table:
    """One row per (row, labeled criterion)."""
    lists = batch.column("stat_criteria").combine_chunks()
    parents = pc.list_parent_indices(lists)
    return pa.table(
        {
            "criterion": pc.list_flatten(lists),
            "rows": pc.take(batch.column("rows"), parents),
            "stat_up": pc.take(batch.column("stat_up"), parents),
            "stat_down": pc.take(batch.column("stat_down"), parents),
        }
    )


def _routed(batch: pa.Table) -> pa.Table:
    return batch.append_column("rows", pc.subtract(pa.scalar(1, pa.int64()), batch.column("stat_error")))


def summarise(scored: Dataset, model_version: str, compare_version: str) -> FlipSummary:
    """Flips between the two decisions of each scored row, overall, by `kind` and by labeled criterion."""
    stats = scored.select_columns(["stat_error", "stat_up", "stat_down", "stat_kind", "stat_criteria"])
    stats = stats.map_batches(_routed, batch_format="pyarrow")
    overall = _counts(stats.aggregate(*_SUMS))
    by_criterion = stats.map_batches(_per_criterion, batch_format="pyarrow")
    return FlipSummary(
        model_version=model_version,
        compare_version=compare_version,
        overall=overall,
        by_kind=_by(stats, "stat_kind"),
        by_criterion=_by(by_criterion, "criterion"),
    )
