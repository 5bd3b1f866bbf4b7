"""`router hook claude` never exits 2 (Claude Code's "block and erase the prompt"), whatever its argv."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli import run_cli
from tests.events import user_prompt_submit as event

CLOSED_PORT_URL = "http://127.0.0.1:9"


def ours(err: str) -> list[str]:
    """The hook's stderr lines (a test server thread elsewhere in the session may print to stderr too)."""
    lines = err.splitlines()
    assert not any(line.startswith(("Traceback", "Usage:", "error:", "Error:")) for line in lines), err
    return [line for line in lines if line.startswith("router hook")]


ARGV_SHAPES = [
    ["hook", "claude", "--sever", CLOSED_PORT_URL],
    ["hook", "claude", "--timeout"],
    ["hook", "claude", "--timeout", "abc"],
    ["hook", "claude", "--timeout", "-1"],
    ["hook", "claude", "--timeout", "0"],
    ["hook", "claude", "--timeout", "nan"],
    ["hook", "claude", "--timeout", "inf"],
    ["hook", "claude", "--timeout=1e9"],
    ["hook", "claude", "--model"],
    ["hook", "claude", "--model", "/nonexistent/model"],
    ["hook", "claude", "--server"],
    ["hook", "claude", "--server", "not a url"],
    ["hook", "claude", "--server", CLOSED_PORT_URL, "--timeout", "0.5"],
    ["hook", "claude", "unexpected-argument"],
    ["hook", "claude", "-x"],
    ["hook", "claude", "--", "--server"],
    ["hook", "claud"],
    ["hook"],
    ["hook", "claude", "--model", "a", "--model"],
    ["hook", "claude", "--server=", "--timeout="],
]


@pytest.mark.parametrize("argv", ARGV_SHAPES, ids=" ".join)
@pytest.mark.parametrize("stdin", ["", json.dumps(event("Add an index to the orders table"))], ids=["empty", "event"])
def test_any_argv_exits_0_with_one_stderr_line(argv, stdin, monkeypatch, capsys):
    code, out, err = run_cli(argv, monkeypatch, capsys, stdin)
    assert code == 0
    assert out == ""
    assert len(ours(err)) == 1, err


TOKENS = st.sampled_from(
    ["--server", "--sever", "--timeout", "--model", "--modle", "-m", "--", "claude", "hook", "=", "--timeout=x"]
)
VALUES = st.one_of(
    st.sampled_from(["", "0", "-5", "nan", "inf", "1e400", "abc", CLOSED_PORT_URL, "/nonexistent", "\x00"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(TOKENS, VALUES), max_size=6))
def test_hypothesis_argv_shapes_never_exit_2(monkeypatch, capsys, tail):
    # Empty stdin: every shape ends in exactly one stderr line (a usage error, or "no event on stdin").
    code, out, err = run_cli(["hook", "claude", *tail], monkeypatch, capsys)
    assert code == 0
    assert out == ""
    assert len(ours(err)) == 1, err


def test_the_installed_command_with_a_typo_exits_0():
    done = subprocess.run(
        [sys.executable, "-m", "router", "hook", "claude", "--sever", CLOSED_PORT_URL],
        input=json.dumps(event("Add an index")).encode(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stdout == b""
    assert done.stderr.count(b"\n") == 1 and b"--sever" in done.stderr
