"""The scenario voice: a request that opens as a team talking to its assistant ("We need…", "Our … keeps…")."""

from __future__ import annotations

import re

#: Openings of the scenario voice: a team or a person asking, often with context ("We have … and want …").
SCENARIO_OPENING = re.compile(
    r"^\W*(we\b|we're|we've|we'd|we'll|our\b|can you|could you|can we|could we|would you|"
    r"my team|our team|the team|us\b|i need|i'd like|i want)",
    re.I,
)


def is_scenario_voice(text: str) -> bool:
    """Whether a request opens in the scenario voice."""
    return SCENARIO_OPENING.search(text) is not None
