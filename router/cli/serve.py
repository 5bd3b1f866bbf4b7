"""`router serve`, `router hook claude` and `router mcp`: the front-ends for parent agents."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from router.cli.options import ModelOption
from router.cli.output import fail
from router.errors import RouterError
from router.settings import ENV_TOKEN, HOOK_SERVER_TIMEOUT, HOST, PORT

hook_app = typer.Typer(help="Hooks for parent agents.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; off loopback ROUTER_TOKEN is required.")] = HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = PORT,
    model: ModelOption = None,
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
    run(host, port, model, token, batching)


@hook_app.command("claude")
def hook_claude(
    model: ModelOption = None,
    server: Annotated[str | None, typer.Option(help="Ask a running `router serve` at this URL instead.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for --server.")] = HOOK_SERVER_TIMEOUT,
) -> None:
    """Claude Code UserPromptSubmit command hook: event JSON on stdin, hook JSON on stdout; always exit 0."""
    from router.serving.hook import claude

    claude(sys.stdin, sys.stdout, sys.stderr, model=model, server=server, timeout=timeout)


def mcp(model: ModelOption = None) -> None:
    """Serve the `route` tool over MCP on stdin/stdout."""
    from router.serving.mcp import serve_stdio

    try:
        serve_stdio(model)
    except RouterError as err:
        fail(err)
