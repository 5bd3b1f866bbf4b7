"""`Decision`: what the router answers for one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Decision:
    """Whether one request should go to the agent, how sure the model is, and why."""

    agent: str
    delegate: bool
    probability: float
    threshold: float
    uncertain: bool
    criteria: list[tuple[str, str, float]] = field(default_factory=list)
    model_version: str = ""
    decision_id: str | None = None  # set when the decision was written to a decision log

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (`decision_id` only when set)."""
        fields: dict[str, Any] = {
            "agent": self.agent,
            "delegate": self.delegate,
            "probability": self.probability,
            "threshold": self.threshold,
            "uncertain": self.uncertain,
            "criteria": [{"id": i, "title": t, "score": s} for i, t, s in self.criteria],
            "model_version": self.model_version,
        }
        if self.decision_id is not None:
            fields["decision_id"] = self.decision_id
        return fields
