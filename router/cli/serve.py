"""`router serve` and `router mcp`: the front-ends for parent agents (`router hook` is in `router.cli.hook`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from router.cli.options import ModelOption
from router.cli.output import fail
from router.errors import RouterError
from router.settings import ENV_TOKEN, HOST, PORT


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; off loopback ROUTER_TOKEN is required.")] = HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = PORT,
    model: ModelOption = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Also answer to this Host name (repeat); on loopback only loopback names."),
    ] = None,
    batching: Annotated[
        bool, typer.Option("--batching/--no-batching", help="Route concurrent requests together (dynamic batching).")
    ] = True,
) -> None:
    """Serve decisions over HTTP (POST /v1/route, Claude Code http hook, OpenAPI at /openapi.json)."""
    from router.serving.http import bind_problem
    from router.serving.http import serve as run

    token = os.environ.get(ENV_TOKEN) or None
    problem = bind_problem(host, token)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    run(host, port, model, token, allow_host or (), batching)


def mcp(model: ModelOption = None) -> None:
    """Serve the `route` tool over MCP on stdin/stdout."""
    from router.serving.mcp import serve_stdio

    try:
        serve_stdio(model)
    except RouterError as err:
        fail(err)
