"""`router hook claude`: the Claude Code command hook, which must never block a prompt.

Claude Code reads exit code 2 of a UserPromptSubmit hook as "block the prompt and erase it", and click
answers every usage error (a typo in an option, a missing or bad value) with exit 2. So `router hook
...` runs through `run_hook`: any usage error or failure is one line on stderr, nothing on stdout, and
exit 0.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from router.cli.output import one_line

hook_app = typer.Typer(help="Hooks for parent agents.")  # no help on bare `router hook`: stdout stays empty


@hook_app.command("claude", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def hook_claude(ctx: typer.Context) -> None:
    """Claude Code UserPromptSubmit command hook: event JSON on stdin, hook JSON on stdout; always exit 0.

    Options: --model DIR routes with that model; --server URL asks a running `router serve` there;
    --timeout SECONDS is how long to wait for it.
    """
    # The arguments go to the one parser the fast console-script entry uses (`parse_command`).
    from router.serving.hook import run_command

    run_command(list(ctx.args), sys.stdin, sys.stdout, sys.stderr)


def run_hook(command: Any, argv: list[str]) -> None:
    """Run `router hook ...`: never exit 2; a usage error or failure is one stderr line and exit 0."""
    try:
        command.main(args=argv, prog_name="router", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("router hook: aborted\n")
    except typer.TyperException as err:  # click's usage errors (typer vendors click)
        first = (err.format_message().strip().splitlines() or [type(err).__name__])[0]
        sys.stderr.write(f"router hook: usage error: {one_line(first)}\n")
    # Whatever else goes wrong, the prompt must go through: one line, exit 0.
    except Exception as err:
        sys.stderr.write(f"router hook: {one_line(err) or type(err).__name__}\n")
    sys.exit(0)
