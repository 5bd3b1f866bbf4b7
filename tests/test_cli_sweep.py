"""The CLI contract over every command: bad argv is exit 2, a bad file or model is exit 1 (the hook: 0),
always with exactly one stderr line, never a traceback, and nothing on stdout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer

from router.cli.app import app
from tests.cli import run_cli

BOGUS = "--no-such-option"


def command_paths() -> list[list[str]]:
    """Every leaf command of the app, as argv prefixes."""
    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            paths.append(prefix)
            return
        for name, sub in subcommands.items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


COMMANDS = command_paths()


@pytest.fixture(scope="module")
def bad(tmp_path_factory, fake_root):
    """Bad things to hand to commands: garbage files, folders, paths under a file, broken registries."""
    root = tmp_path_factory.mktemp("bad")
    garbage = root / "garbage.jsonl"
    garbage.write_bytes(b"\xff\xfe\x00not json at all\n{]\n")
    folder = root / "a-folder"
    folder.mkdir()
    (folder / "x.jsonl").write_bytes(b"\x00\x01")
    report = Path(shutil.copytree(fake_root, root / "broken-report"))
    (report / "versions" / "v0001" / "retrain-report.json").write_text("{not json")
    empty_log = root / "empty.db"
    empty_log.write_bytes(b"")
    return {
        "garbage": str(garbage),
        "folder": str(folder),
        "under_file": str(garbage / "out.jsonl"),
        "missing": str(root / "missing"),
        "registry": str(fake_root),
        "broken_report": str(report),
        "garbage_log": str(garbage),
        "empty_log": str(empty_log),
    }


# (argv, expected exit code); `{name}` is filled from the `bad` fixture.
CASES: list[tuple[list[str], int]] = [
    (["route", "Add an index", "--model", "{missing}"], 1),
    (["route", "Add an index", "--model", "{garbage}"], 1),
    (["route", "Add an index", "--model", "{folder}"], 1),
    (["route", "--input", "{missing}", "--model", "{registry}"], 1),
    (["route", "--input", "{folder}", "--model", "{registry}"], 1),
    (["route", "--input", "{garbage}", "--model", "{registry}", "--output", "{under_file}"], 1),
    (["route", "Add an index", "--model", "{registry}", "--log", "{under_file}", "--log-text", "plain"], 2),
    (["serve", "--log-text", "plain"], 2),
    (["route", "--model", "{registry}"], 2),
    (["route", "text", "--input", "{garbage}"], 2),
    (["train", "--data-dir", "{missing}", "--out", "{under_file}"], 1),
    (["train", "--data-dir", "{folder}", "--no-onnx"], 1),
    (["train", "--encoder-runtime", "gpu"], 2),
    (["train", "--min-precision", "abc"], 2),
    (["eval", "--data", "{missing}", "--model", "{registry}"], 1),
    (["eval", "--data", "{garbage}", "--model", "{registry}"], 1),
    (["eval", "--transfer", "--classifier", "tree"], 2),
    (["eval", "--transfer", "--encoder-runtime", "gpu"], 2),
    (["data", "check", "{missing}"], 2),
    (["data", "check", "{folder}"], 1),
    (["data", "split", "{garbage}"], 1),
    (["data", "split", "{missing}"], 2),
    (["serve", "--port", "99999"], 2),
    (["serve", "--port", "-1"], 2),
    (["serve", "--port", "http"], 2),
    (["serve", "--host", "0.0.0.0"], 2),
    (["mcp", "--model", "{missing}"], 1),
    (["mcp", "--model", "{garbage}"], 1),
    (["feedback", "Add an index", "--label", "7"], 2),
    (["feedback", "Add an index"], 2),
    (["feedback", "0123456789abcdef0123456789abcdef", "--label", "1", "--log", "{garbage_log}"], 1),
    (["feedback", "Add an index", "--label", "0", "--data-dir", "{under_file}"], 1),
    (["label", "import", "{missing}"], 2),
    (["label", "import", "{folder}"], 2),
    (["label", "import", "{garbage}", "--data-dir", "{under_file}"], 1),
    (["review"], 2),
    (["review", "--log", "{garbage_log}"], 1),
    (["review", "--log", "{empty_log}", "--export", "{under_file}"], 1),
    (["review", "--log", "{missing}", "--limit", "0"], 2),
    (["retrain", "--model", "{garbage}"], 1),
    (["retrain", "--gate", "vibes"], 2),
    (["retrain", "--holdout", "2"], 2),
    (["models", "list", "--model", "{missing}"], 1),
    (["models", "show", "v0001", "--model", "{broken_report}"], 1),
    (["models", "show", "latest", "--model", "{registry}"], 1),
    (["models", "show", "v0099", "--model", "{registry}"], 1),
    (["models", "promote", "v0099", "--model", "{registry}"], 1),
    (["models", "promote", "../../etc", "--model", "{registry}"], 1),
    (["models", "rollback", "--model", "{missing}"], 1),
    (["prepare", "--model", "{missing}"], 1),
    (["log", "purge", "--older-than", "30d", "--log", "{missing}"], 1),
    (["log", "purge", "--older-than", "30d", "--log", "{garbage_log}"], 1),
    (["log", "purge", "--older-than", "soon", "--log", "{missing}"], 2),
    (["log", "purge", "--log", "{missing}"], 2),
    (["log", "migrate"], 2),
    (["log", "migrate", "--log", "{under_file}"], 1),
    (["log", "migrate", "--log", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"], 1),
    (["score"], 2),
    (["score", "--input", "{missing}", "--output", "{under_file}", "--model", "{registry}"], 1),
    (["score", "--input", "{garbage}", "--output", "{folder}", "--model", "{missing}"], 1),
    (["hook", "claude", "--model", "{garbage}"], 0),
    (["hook", "claude", "--timeout", "{garbage}"], 0),
]


def check(code: int, expected: int, out: str, err: str, per_problem: bool = False) -> None:
    assert code == expected, err
    assert "Traceback" not in err and "Traceback" not in out
    if per_problem:  # `data check` lists every problem, one line each
        assert err.strip() and all(line.startswith("error") for line in err.splitlines()), err
    else:
        assert err.count("\n") == 1 and err.strip(), err
    assert out == ""


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_argv_and_bad_files(argv, expected, bad, monkeypatch, capsys):
    filled = [part.format(**bad) for part in argv]
    code, out, err = run_cli(filled, monkeypatch, capsys)
    check(code, expected, out, err, per_problem=argv[:2] == ["data", "check"])


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_refuses_an_unknown_option(path, monkeypatch, capsys):
    code, out, err = run_cli([*path, BOGUS], monkeypatch, capsys)
    check(code, 0 if path[0] == "hook" else 2, out, err)
    assert BOGUS in err


def test_every_command_is_swept():
    swept = {tuple(a[: len(p)]) for a, _ in CASES for p in COMMANDS if a[: len(p)] == p}
    missing = [p for p in COMMANDS if tuple(p) not in swept and p != ["doctor"]]
    assert not missing, missing
