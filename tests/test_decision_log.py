import json
import sqlite3
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app as cli
from router.decision_log.base import SCHEMA_VERSION
from router.decision_log.sqlite import DecisionLog
from router.errors import DataError

TEXTS = ["Add an index on orders.customer_id", "Center the logo in the navbar", "customers get charged twice"]


def rows(path):
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT decision_id, time, text, delegate, criteria, model_version FROM decisions"
        ).fetchall()


def test_logged_decisions_carry_their_id(fake_model, tmp_path):
    log = tmp_path / "logs" / "decisions.db"
    router = load_router(fake_model, log=log)
    one = router.route(TEXTS[0])
    batch = router.route_batch(TEXTS)
    assert one.decision_id and len(one.decision_id) == 32
    assert one.to_dict()["decision_id"] == one.decision_id
    found = {r[0]: r for r in rows(log)}
    assert set(found) == {one.decision_id, *(d.decision_id for d in batch)}
    assert len({found[d.decision_id][1] for d in batch}) == 1  # one transaction, one time
    assert [found[d.decision_id][2] for d in batch] == TEXTS
    assert found[one.decision_id][5] == router.metadata.model_version
    with sqlite3.connect(log) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    logged = DecisionLog(log).get(one.decision_id)
    assert logged.text == TEXTS[0] and logged.probability == one.probability
    assert logged.criterion_ids == [c for c, _, _ in one.criteria]
    assert logged.registry_version == "v0001"


def test_without_a_log_nothing_changes(fake_model, monkeypatch):
    monkeypatch.delenv("ROUTER_DECISION_LOG", raising=False)
    d = load_router(fake_model).route(TEXTS[0])
    assert d.decision_id is None and "decision_id" not in d.to_dict()


def test_log_from_the_environment(fake_model, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(tmp_path / "env.db"))
    d = load_router(fake_model).route(TEXTS[1])
    assert [r[0] for r in rows(tmp_path / "env.db")] == [d.decision_id]


@pytest.mark.parametrize("where", ["file-as-parent", "directory"])
def test_logging_failure_warns_once_and_still_routes(fake_model, tmp_path, where):
    (tmp_path / "file").write_text("not a folder")
    log = tmp_path / "file" / "d.db" if where == "file-as-parent" else tmp_path
    router = load_router(fake_model, log=log)
    plain = load_router(fake_model, log=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [router.route(t) for t in TEXTS] + router.route_batch(TEXTS)
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    assert "decision log" in str(caught[0].message)
    assert all(d.decision_id is None for d in got)
    assert [d.to_dict() for d in got] == [d.to_dict() for d in plain.route_batch(TEXTS * 2)]


def test_threads_log_every_decision(fake_model, tmp_path):
    log = tmp_path / "d.db"
    router = load_router(fake_model, log=log)
    with ThreadPoolExecutor(8) as pool:
        decisions = list(pool.map(router.route, TEXTS * 40))
    ids = [d.decision_id for d in decisions]
    assert None not in ids and len(set(ids)) == 120
    assert {r[0] for r in rows(log)} == set(ids)


def test_reading_a_missing_log_or_id(tmp_path, fake_model):
    with pytest.raises(DataError, match="no decision log"):
        DecisionLog(tmp_path / "absent.db").get("0" * 32)
    load_router(fake_model, log=tmp_path / "d.db").route(TEXTS[0])
    with pytest.raises(DataError, match="no decision"):
        DecisionLog(tmp_path / "d.db").get("f" * 32)


def test_logging_costs_no_heavy_import(fake_model, tmp_path):
    from tests.test_fast_path import loaded_heavy_modules

    code = (
        f"from router import load_router\nload_router({str(fake_model)!r}, log={str(tmp_path / 'x.db')!r}).route('a')"
    )
    assert loaded_heavy_modules(code) == []


def test_routing_imports_no_optional_engine(fake_model, tmp_path):
    code = (
        "import sys\nfrom router import load_router\nimport router.cli.app\n"
        f"load_router({str(fake_model)!r}, log={str(tmp_path / 'x.db')!r}).route('a')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'psycopg', 'psycopg_pool', 'ray', 'pyarrow'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


LEGACY = """CREATE TABLE decisions (decision_id TEXT PRIMARY KEY, time TEXT NOT NULL, text TEXT NOT NULL,
probability REAL NOT NULL, threshold REAL NOT NULL, delegate INTEGER NOT NULL, uncertain INTEGER NOT NULL,
criteria TEXT NOT NULL, model_version TEXT NOT NULL, registry_version TEXT)"""


def test_log_migrate_brings_a_log_from_before_versions_up_to_date(tmp_path):
    log = tmp_path / "old.db"
    with sqlite3.connect(log) as conn:
        conn.execute(LEGACY)
        conn.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("a" * 32, "2025-01-01T00:00:00.000000+00:00", "add an index", 0.9, 0.5, 1, 0, "[]", "m1", None),
        )
    runner = CliRunner()
    result = runner.invoke(cli, ["log", "migrate", "--log", str(log)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"log": str(log), "backend": "sqlite", "before": 0, "after": SCHEMA_VERSION}
    again = runner.invoke(cli, ["log", "migrate"], env={"ROUTER_DECISION_LOG": str(log)})
    assert json.loads(again.stdout)["before"] == SCHEMA_VERSION
    (kept,) = DecisionLog(log).all()
    assert (kept.decision_id, kept.text, kept.delegate) == ("a" * 32, "add an index", True)
    with sqlite3.connect(log) as conn:
        assert conn.execute("SELECT version FROM decision_log_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused_and_routing_goes_on(fake_model, tmp_path):
    log = tmp_path / "new.db"
    DecisionLog(log).migrate()
    with sqlite3.connect(log) as conn:
        conn.execute("INSERT INTO decision_log_version VALUES (?, ?)", (SCHEMA_VERSION + 1, "later"))
    with pytest.raises(DataError, match="newer than this router"):
        list(DecisionLog(log).all())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert load_router(fake_model, log=log).route(TEXTS[0]).decision_id is None
    assert "newer than this router" in str(caught[0].message)
    result = CliRunner().invoke(cli, ["log", "migrate", "--log", str(log)])
    assert result.exit_code == 1 and "newer than this router" in result.stderr


def test_log_migrate_needs_a_log(monkeypatch):
    monkeypatch.delenv("ROUTER_DECISION_LOG", raising=False)
    result = CliRunner().invoke(cli, ["log", "migrate"])
    assert result.exit_code == 2 and "--log" in result.stderr


def test_the_schema_is_ready_when_the_router_is_loaded(fake_model, tmp_path):
    log = tmp_path / "d.db"
    load_router(fake_model, log=log)
    assert DecisionLog(log).migrate().before == SCHEMA_VERSION


@pytest.mark.parametrize("log", [None, ""])
def test_an_explicit_none_or_empty_log_is_off_even_with_the_variable_set(fake_model, tmp_path, monkeypatch, log):
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(tmp_path / "env.db"))
    assert load_router(fake_model, log=log).log is None
    assert load_router(fake_model).log is not None  # the default still follows the variable


def test_an_empty_variable_is_no_log(fake_model, monkeypatch):
    monkeypatch.setenv("ROUTER_DECISION_LOG", "")
    assert load_router(fake_model).log is None
