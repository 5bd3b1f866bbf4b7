"""A PostgreSQL server for the decision-log tests: `ROUTER_TEST_POSTGRES` (CI), else one `.ci/postgres.sh` starts.

When none can be had, the tests that need one skip with the reason, and a warning says so in the summary.
"""

from __future__ import annotations

import os
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "postgres.sh"
ENV_URL = "ROUTER_TEST_POSTGRES"


class NoServerError(Exception):
    """No PostgreSQL server could be reached or started; the message says why."""


@contextmanager
def server() -> Iterator[str]:
    """The URL of a server's database: the CI's, or one started here and stopped at the end."""
    try:
        import psycopg  # noqa: F401
    except ImportError as err:
        raise NoServerError(f"psycopg is not installed ({err}): pip install -e '.[dev]'") from None
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    try:
        started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise NoServerError(f"{SCRIPT.name} start failed ({err})") from None
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
    )
    if ENV_URL not in exports:
        raise NoServerError(f"{SCRIPT.name} could not start PostgreSQL: {started.stderr.strip() or started.returncode}")
    try:
        yield exports[ENV_URL]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", exports["ROUTER_TEST_PGDATA"]], timeout=120, check=False)


def skip_loudly(reason: str) -> None:
    """Warn (shown in pytest's summary) and skip."""
    import pytest

    message = f"PostgreSQL tests skipped: {reason}"
    warnings.warn(message, UserWarning, stacklevel=2)
    pytest.skip(message)


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of `url`, dropped afterwards; its URL."""
    import psycopg

    name = f"router_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
