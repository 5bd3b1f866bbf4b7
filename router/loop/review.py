"""The review queue: logged decisions most worth a label, uncertain ones first, then near the threshold."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from router.core.texts import normalise
from router.decision_log.backends import open_log
from router.decision_log.base import LoggedDecision
from router.decision_log.redact import is_hashed
from router.fs import write_jsonl_atomic
from router.loop.feedback import LabelResult, LabelStore, label_decision
from router.settings import DATA_DIR


class ReviewSession:
    """One review: the decision log opened once, the data folder's agent and labels parsed once.

    Answers label the decisions the queue already holds (no log look-up); the labels are read again
    only when a data file changed meanwhile (see `LabelStore`).
    """

    def __init__(self, log: str | Path, data_dir: str | Path = DATA_DIR) -> None:
        self.log = open_log(log)
        self.labels = LabelStore(Path(data_dir))

    @property
    def criteria_ids(self) -> Collection[str] | None:
        """The agent's criterion ids (None when the data folder has no single agent file)."""
        return self.labels.ids

    def queue(self, limit: int | None = None) -> list[LoggedDecision]:
        """Logged decisions whose text has no label yet, one per text (its latest), most worth a label first.

        Order: uncertain decisions first, then by distance of the probability from the threshold.
        """
        labeled = self.labels.index()
        latest: dict[str, LoggedDecision] = {}
        for decision in self.log.all():
            if not is_hashed(decision.text) and decision.text not in labeled:
                latest[normalise(decision.text)] = decision
        queue = sorted(latest.values(), key=lambda d: (not d.uncertain, abs(d.probability - d.threshold), d.time))
        return queue[:limit] if limit is not None else queue

    def label(self, decision: LoggedDecision, label: int, criteria: Sequence[str] = ()) -> LabelResult:
        """Append a label for a queued decision to feedback.jsonl (`record_feedback`'s rules)."""
        return label_decision(decision, label, criteria, self.labels)


def queue_record(decision: LoggedDecision) -> dict[str, Any]:
    """One exported queue line."""
    return {
        "decision_id": decision.decision_id,
        "text": decision.text,
        "probability": decision.probability,
        "delegate": decision.delegate,
        "uncertain": decision.uncertain,
        "criteria": decision.criterion_ids,
    }


def export_queue(queue: list[LoggedDecision], path: Path) -> None:
    """Write the queue as JSONL for an outside labeling tool (atomically)."""
    write_jsonl_atomic(path, [queue_record(d) for d in queue], mode=0o600)
