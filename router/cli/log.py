"""`router log ...`: look after the decision log itself (`migrate` its schema, `purge` old rows).

Where the log lives is `--log` (or `ROUTER_DECISION_LOG`): an SQLite file path or a `postgresql://` URL.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Annotated

import typer

from router.cli.options import LogOption, required_log
from router.cli.output import emit, fail
from router.errors import RouterError

log_app = typer.Typer(help="The decision log: SQLite file (default) or PostgreSQL.", no_args_is_help=True)

_AGE = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """An age such as `30d`, `12h`, `90m` or `2w`; `typer.BadParameter` otherwise."""
    match = _AGE.match(text.strip())
    if match is None:
        raise typer.BadParameter("expected a number and a unit, e.g. 30d, 12h, 90m or 2w", param_hint="--older-than")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@log_app.command("migrate")
def migrate(log: LogOption = None) -> None:
    """Create the decision log, or bring its schema up to this version; prints the versions before and after."""
    from router.decision_log.backends import open_log

    target = required_log(log)
    try:
        done = open_log(target).migrate()
    except RouterError as err:
        fail(err)
    emit(dataclasses.asdict(done))


@log_app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Delete decisions older than this: 30d, 12h, 2w.")],
    log: LogOption = None,
) -> None:
    """Delete logged decisions older than --older-than (in SQLite their text is overwritten on disk)."""
    from router.decision_log.backends import open_log

    age = parse_age(older_than)
    target = required_log(log)
    try:
        store = open_log(target)
        deleted = store.purge(age)
    except RouterError as err:
        fail(err)
    emit({"log": store.where, "older_than": older_than, "deleted": deleted})
