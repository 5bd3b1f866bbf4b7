"""`router log ...`: the decision log's upkeep (`purge`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from router.cli.options import LogOption
from router.cli.output import emit, fail
from router.errors import RouterError

log_app = typer.Typer(help="Upkeep of the decision log.", no_args_is_help=True)

_AGE = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """An age such as `30d`, `12h`, `90m` or `2w`; `typer.BadParameter` otherwise."""
    match = _AGE.match(text.strip())
    if match is None:
        raise typer.BadParameter("expected a number and a unit, e.g. 30d, 12h, 90m or 2w", param_hint="--older-than")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@log_app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Delete decisions older than this: 30d, 12h, 2w.")],
    log: LogOption = None,
) -> None:
    """Delete logged decisions older than --older-than (their text is overwritten on disk)."""
    from router.decision_log.backends import open_log

    age = parse_age(older_than)
    if log is None:
        raise typer.BadParameter("give --log or set ROUTER_DECISION_LOG", param_hint="--log")
    try:
        deleted = open_log(log).purge(age)
    except RouterError as err:
        fail(err)
    emit({"log": str(log), "older_than": older_than, "deleted": deleted})
