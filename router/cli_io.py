"""What every `router` command shares: JSON results on stdout, errors on stderr with exit 1."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer

from router.errors import RouterError


def fail(err: RouterError) -> NoReturn:
    """Print the error on stderr and exit 1."""
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(1)


def emit(obj: object) -> None:
    """Print one JSON object as a line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
