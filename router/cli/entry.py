"""The `router` console script: the Claude Code command hook takes a short path, everything else Typer.

A command hook runs once per prompt, so it must start fast and never block: `router hook claude` is
answered by `router.serving.hook.run_command` without loading Typer or any other command (and without
numpy when a local `router serve` answers), and whatever its arguments, it exits 0.
"""

from __future__ import annotations

import sys

HOOK = ["hook", "claude"]
HELP = {"-h", "--help"}


def main() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    if argv[:2] == HOOK and not HELP.intersection(argv):
        from router.serving.hook import run_command

        run_command(argv[2:], sys.stdin, sys.stdout, sys.stderr)
        return
    from router.cli.app import main as run_app

    run_app()
