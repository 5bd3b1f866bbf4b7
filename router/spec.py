"""Parse a Claude Code agent file into the criteria the router decides on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from router.errors import DataError

#: The contract's criterion ids, in the agent definition's order, with their titles.
CRITERIA: dict[str, str] = {
    "api": "Building RESTful APIs, GraphQL endpoints, or gRPC services",
    "database": "Designing database schemas or writing complex queries",
    "auth": "Implementing authentication and authorization systems",
    "infrastructure": "Setting up backend infrastructure or microservices",
    "performance": "Optimizing backend performance or database queries",
    "testing_cicd": "Writing backend tests or setting up CI/CD pipelines",
    "business_logic": "Handling server-side business logic implementation",
}

_TITLE_TO_ID = {title.lower(): cid for cid, title in CRITERIA.items()}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_PROACTIVE = re.compile(r"proactively when", re.I)
_BULLET = re.compile(r"^\s*[-*]\s+(.+?)\s*$")


@dataclass(frozen=True)
class Criterion:
    """One "use PROACTIVELY when" bullet."""

    id: str
    title: str


@dataclass(frozen=True)
class AgentSpec:
    """An agent's name, description and routing criteria."""

    name: str
    description: str
    criteria: tuple[Criterion, ...]

    def title(self, criterion_id: str) -> str:
        """Return the title of a criterion id."""
        return next(c.title for c in self.criteria if c.id == criterion_id)


def _criterion_id(title: str) -> str:
    """Contract id for a known title, else a slug of the title's first words."""
    known = _TITLE_TO_ID.get(title.lower())
    if known is not None:
        return known
    return "_".join(re.findall(r"[a-z0-9]+", title.lower())[:3])


def parse_agent(path: str | Path) -> AgentSpec:
    """Parse an agent file (YAML front matter plus a "use PROACTIVELY when" list)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{path}: cannot read agent file ({err.strerror})") from None
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise DataError(f"{path}: no YAML front matter (--- ... ---) at the top")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise DataError(f"{path}: front matter is not valid YAML ({err})") from None
    if not isinstance(meta, dict) or not meta.get("name"):
        raise DataError(f"{path}: front matter has no 'name'")
    criteria: list[Criterion] = []
    lines = text[match.end() :].splitlines()
    start = next((i for i, line in enumerate(lines) if _PROACTIVE.search(line)), None)
    if start is not None:
        for line in lines[start + 1 :]:
            bullet = _BULLET.match(line)
            if bullet:
                title = bullet.group(1)
                criteria.append(Criterion(_criterion_id(title), title))
            elif line.strip() and criteria:
                break
    if not criteria:
        raise DataError(f"{path}: no 'use PROACTIVELY when' criteria list found")
    return AgentSpec(str(meta["name"]), str(meta.get("description", "")), tuple(criteria))
