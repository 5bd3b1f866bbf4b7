"""`router` run in-process as installed: the console script `router.cli.entry:main` (pyproject's [project.scripts])."""

from __future__ import annotations

import io
import sys

import pytest

from router.cli.entry import main


def run_cli(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str = ""
) -> tuple[int, str, str]:
    """`router ARGV` with `stdin`: its exit code, stdout and stderr.

    The exit code is the one the console script's `sys.exit(main())` gives: the hook's fast path returns (0),
    every other command ends in `SystemExit` (None is 0; a message is printed to stderr and is 1, as Python does).
    """
    monkeypatch.setattr(sys, "argv", ["router", *argv])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code: int | str | None = None
    try:
        main()
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    out, err = capsys.readouterr()
    return (0 if code is None else 1 if isinstance(code, str) else code), out, err
