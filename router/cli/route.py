"""`router route`: one decision, or one per line of a JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.options import LogOption, LogTextOption, ModelOption
from router.cli.output import emit, fail
from router.errors import RouterError


def route(
    text: Annotated[str | None, typer.Argument(help="The request to route.")] = None,
    input: Annotated[Path | None, typer.Option("--input", help="JSONL of {text, id}; '-' for stdin.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Where to write decisions (default stdout).")] = None,
    model: ModelOption = None,
    log: LogOption = None,
    log_text: LogTextOption = None,
) -> None:
    """Decide whether TEXT (or each line of --input) should go to the agent."""
    from router.artifacts.loader import load_router
    from router.serving.batch_files import route_file

    if (text is None) == (input is None):
        raise typer.BadParameter("give either TEXT or --input")
    try:
        router = load_router(model, log=log, log_text=log_text)
        if input is None:
            emit(router.route(str(text)).to_dict())
            return
        failed = route_file(router, input, output)
    except RouterError as err:
        fail(err)
    if failed:
        fail(f"{failed} input line(s) could not be routed")
