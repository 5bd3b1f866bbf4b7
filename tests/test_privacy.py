"""Privacy of the decision log and label files: 0600 files, redaction or hashing of texts, purge, no stalls."""

from __future__ import annotations

import json
import sqlite3
import stat
import time
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app
from router.decision_log.redact import HASH_PREFIX, redact
from router.decision_log.sqlite import DecisionLog
from router.errors import DataError
from router.loop.feedback import record_feedback

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_log_files_are_created_owner_only(fake_model, tmp_path, texts):
    log = tmp_path / "decisions.db"
    router = load_router(fake_model, log=log)
    assert router.route(texts["yes"]).decision_id is not None
    created = [p for p in tmp_path.iterdir() if p.name.startswith("decisions.db")]
    assert {p.name for p in created} >= {"decisions.db", "decisions.db-wal"}
    assert all(mode(p) == 0o600 for p in created), {p.name: oct(mode(p)) for p in created}


def test_an_existing_world_readable_log_is_tightened(fake_model, tmp_path, texts):
    log = tmp_path / "old.db"
    sqlite3.connect(log).close()
    log.chmod(0o644)
    load_router(fake_model, log=log).route(texts["no"])
    assert mode(log) == 0o600


def test_label_files_are_created_owner_only(data_copy, fresh_rows, tmp_path):
    record_feedback(fresh_rows[0]["text"], fresh_rows[0]["label"], fresh_rows[0]["criteria"], data_dir=data_copy)
    source = tmp_path / "labels.jsonl"
    source.write_text(json.dumps(fresh_rows[1]) + "\n")
    assert runner.invoke(app, ["label", "import", str(source), "--data-dir", str(data_copy)]).exit_code == 0
    for name in ("feedback.jsonl", "imported.jsonl"):
        assert mode(data_copy / "feedback" / name) == 0o600


SECRETS = {
    "url password": ("clone https://bob:hunter2pass@git.example.com/x.git", "hunter2pass"),
    "aws key id": ("key AKIAIOSFODNN7EXAMPLE in the config", "AKIAIOSFODNN7EXAMPLE"),
    "aws secret": ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    "github token": ("use ghp_0123456789abcdefghijABCDEFGHIJ012345 to push", "ghp_0123456789"),
    "slack token": ("xoxb-123456789012-abcdefghijkl posts the alert", "xoxb-123456789012"),
    "stripe key": ("charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    "openai key": ("OPENAI_API_KEY is sk-proj-abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
    "google key": ("maps key AIzaSyA-1234567890abcdefghijklmnopqrstu", "AIzaSyA-1234567890"),
    "jwt": ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw", "SflKxwRJSMeKKF2QT4fw"),
    "bearer": ("curl -H 'Authorization: Bearer abcdefghijklmnop1234' /api", "abcdefghijklmnop1234"),
    "password assignment": ('DB_PASSWORD="correct-horse-battery" in .env', "correct-horse-battery"),
    "private key": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
        "b3Blbn",
    ),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redaction_masks_common_secret_shapes(name):
    text, secret = SECRETS[name]
    masked = redact(text)
    assert secret not in masked
    assert "[REDACTED" in masked


def test_redaction_leaves_ordinary_requests_alone(small_data):
    lines = (small_data / "test.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    changed = [t for t in texts if redact(t) != t]
    assert len(changed) <= len(texts) // 50, changed[:5]


def stored_texts(log: Path) -> list[str]:
    with sqlite3.connect(log) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM decisions ORDER BY rowid")]


@pytest.mark.parametrize("mode_name", ["full", "redacted", "hash"])
def test_log_text_modes(fake_model, tmp_path, mode_name):
    text, secret = SECRETS["url password"]
    log = tmp_path / f"{mode_name}.db"
    result = runner.invoke(app, ["route", text, "--model", str(fake_model), "--log", str(log), "--log-text", mode_name])
    assert result.exit_code == 0, result.stderr
    (stored,) = stored_texts(log)
    expected = {"full": text, "redacted": redact(text)}.get(mode_name)
    if expected is not None:
        assert stored == expected
    else:
        assert stored.startswith(HASH_PREFIX) and secret not in stored
    assert (secret in stored) == (mode_name == "full")


def test_the_default_is_redacted(fake_model, tmp_path, monkeypatch):
    monkeypatch.delenv("ROUTER_LOG_TEXT", raising=False)
    text, secret = SECRETS["github token"]
    log = tmp_path / "default.db"
    load_router(fake_model, log=log).route(text)
    assert stored_texts(log) == [redact(text)]
    assert secret not in stored_texts(log)[0]


def test_feedback_on_a_hashed_decision_asks_for_the_text(fake_model, tmp_path, data_copy):
    log = tmp_path / "hashed.db"
    decision = load_router(fake_model, log=log, log_text="hash").route("Add an index to orders")
    with pytest.raises(DataError, match="--log-text hash"):
        record_feedback(decision.decision_id, 0, log=log, data_dir=data_copy)


def test_unknown_log_text_mode_is_a_usage_error(fake_model, tmp_path):
    with pytest.raises(DataError, match="unknown log text mode"):
        DecisionLog(tmp_path / "x.db", "plain")


def age_rows(log: Path, texts: list[str], days: int) -> None:
    with sqlite3.connect(log) as conn:
        for text in texts:
            conn.execute("UPDATE decisions SET time = datetime('now', ?) WHERE text = ?", (f"-{days} days", text))


def test_purge_deletes_old_decisions_and_their_text(fake_model, tmp_path):
    log = tmp_path / "purge.db"
    router = load_router(fake_model, log=log, log_text="full")
    old, new = "Old request about the zebra-unicorn billing table", "New request about caching"
    router.route_batch([old, new])
    age_rows(log, [old], 40)
    result = runner.invoke(app, ["log", "purge", "--older-than", "30d", "--log", str(log)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["deleted"] == 1
    assert stored_texts(log) == [new]
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("purge.db"))
    assert b"zebra-unicorn" not in on_disk


@pytest.mark.parametrize("age", ["30", "thirty days", "-3d", "30y", ""])
def test_purge_refuses_a_bad_age(tmp_path, age):
    result = runner.invoke(app, ["log", "purge", "--older-than", age, "--log", str(tmp_path / "x.db")])
    assert result.exit_code == 2


def test_purge_of_a_missing_log_is_a_data_error(tmp_path):
    result = runner.invoke(app, ["log", "purge", "--older-than", "30d", "--log", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no decision log" in result.stderr


def test_routing_does_not_wait_on_a_locked_log(fake_model, tmp_path, texts):
    log = tmp_path / "locked.db"
    router = load_router(fake_model, log=log)
    router.route(texts["no"])  # the log exists, with its schema
    holder = sqlite3.connect(log, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        conn = router.log._connect()
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] <= 100
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            decision = router.route(texts["yes"])
        waited = time.perf_counter() - start
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert decision.decision_id is None  # not logged, but routed
    assert waited < 5.0  # SQLite's default lock wait was 10 s per route
