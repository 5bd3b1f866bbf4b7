"""Parse a Claude Code agent file into the criteria the router decides on.

The criteria are the bullets under the "use PROACTIVELY when" line. Their ids come from the file too:
a `criteria_ids` list in the front matter (one id per bullet, in order), else a slug of each title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from router.core.metadata import Criterion
from router.dataset.targets import TARGETS_FILE, load_targets
from router.errors import DataError
from router.settings import AGENTS_DIR, default_agent_file

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_PROACTIVE = re.compile(r"proactively when", re.I)
_BULLET = re.compile(r"^\s*[-*]\s+(.+?)\s*$")


@dataclass(frozen=True)
class AgentSpec:
    """An agent's name, description and routing criteria."""

    name: str
    description: str
    criteria: tuple[Criterion, ...]
    #: The whole agent file as read (its technology stack feeds the keyword baseline).
    text: str = field(default="", repr=False, compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        """The criterion ids, in the file's order."""
        return tuple(c.id for c in self.criteria)

    def title(self, criterion_id: str) -> str:
        """Return the title of a criterion id."""
        return next(c.title for c in self.criteria if c.id == criterion_id)


def slug(title: str) -> str:
    """An id made of a criterion title's first three words."""
    return "_".join(re.findall(r"[a-z0-9]+", title.lower())[:3])


def _ids(path: Path, meta: dict[str, object], titles: list[str]) -> list[str]:
    declared = meta.get("criteria_ids")
    if declared is None:
        ids = [slug(t) for t in titles]
    elif not isinstance(declared, list) or not all(isinstance(i, str) and i.strip() for i in declared):
        raise DataError(f"{path}: 'criteria_ids' must be a list of non-empty strings")
    elif len(declared) != len(titles):
        raise DataError(f"{path}: 'criteria_ids' has {len(declared)} ids for {len(titles)} criteria")
    else:
        ids = [str(i) for i in declared]
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: criterion ids repeat: {ids}")
    return ids


def parse_agent(path: str | Path) -> AgentSpec:
    """Parse an agent file (YAML front matter plus a "use PROACTIVELY when" list)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: agent file is not UTF-8 ({err.reason} at byte {err.start})") from None
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
    titles: list[str] = []
    lines = text[match.end() :].splitlines()
    start = next((i for i, line in enumerate(lines) if _PROACTIVE.search(line)), None)
    if start is not None:
        for line in lines[start + 1 :]:
            bullet = _BULLET.match(line)
            if bullet:
                titles.append(bullet.group(1))
            elif line.strip() and titles:
                break
    if not titles:
        raise DataError(f"{path}: no 'use PROACTIVELY when' criteria list found")
    criteria = tuple(Criterion(cid, title) for cid, title in zip(_ids(path, meta, titles), titles))
    return AgentSpec(str(meta["name"]), str(meta.get("description", "")), criteria, text)


def agent_file(data_dir: Path, name: str | None = None) -> Path:
    """The agent file of a data folder (or of the folder holding a data file), the one place that decides it.

    In this order: `agents/<name>.md` when a name is given (a model's agent); the file `targets.yaml`
    names (`DataError` if it is missing); the only file in `agents/`; the default agent's file. The last
    may not exist.
    """
    folder = data_dir if data_dir.is_dir() else data_dir.parent
    if name is not None:
        return folder / AGENTS_DIR / f"{name}.md"
    targets = load_targets(folder)
    if targets is not None and targets.agent is not None:
        named = folder / targets.agent
        if not named.is_file():
            raise DataError(f"{folder / TARGETS_FILE}: agent file {targets.agent!r} not found")
        return named
    found = sorted((folder / AGENTS_DIR).glob("*.md"))
    return found[0] if len(found) == 1 else default_agent_file(folder)


def find_agent(path: Path) -> AgentSpec | None:
    """The agent of the data at `path` (`agent_file`), or None when that file does not exist."""
    file = agent_file(path)
    return parse_agent(file) if file.is_file() else None
