"""`router log`: look after the decision log itself (its schema; where it lives is `--log`)."""

from __future__ import annotations

import dataclasses

import typer

from router.cli.options import LogOption
from router.cli.output import emit, fail
from router.errors import RouterError
from router.settings import ENV_LOG

log_app = typer.Typer(help="The decision log: SQLite file (default) or PostgreSQL.", no_args_is_help=True)


@log_app.command("migrate")
def migrate(log: LogOption = None) -> None:
    """Create the decision log, or bring its schema up to this version; prints the versions before and after."""
    from router.decision_log.backends import open_log

    if log is None:
        raise typer.BadParameter(f"give --log or set {ENV_LOG}", param_hint="--log")
    try:
        done = open_log(log).migrate()
    except RouterError as err:
        fail(err)
    emit(dataclasses.asdict(done))
