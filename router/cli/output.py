"""What every command shares: JSON on stdout for scripts, tables for people, errors on stderr with exit 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer

from router.errors import RouterError


def one_line(message: object) -> str:
    """A message as one printable line (whitespace folded, anything UTF-8 cannot encode escaped)."""
    return " ".join(str(message).split()).encode("utf-8", "backslashreplace").decode("utf-8")


def fail(err: RouterError | str) -> NoReturn:
    """Print the error as one line on stderr and exit 1."""
    typer.echo(f"error: {one_line(err)}", err=True)
    raise typer.Exit(1)


def emit(obj: object) -> None:
    """Print one JSON object as a line on stdout (as ASCII escapes if it holds text UTF-8 cannot encode)."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj)
    sys.stdout.write(line + "\n")


def wants_json(flag: bool) -> bool:
    """JSON when asked for, or when stdout is not a terminal (a pipe or a file), so scripts keep working."""
    return flag or not sys.stdout.isatty()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> None:
    """A short table on stdout (rich), with notes under it."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header, justify="left" if header == headers[0] else "right")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console = Console()
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)
