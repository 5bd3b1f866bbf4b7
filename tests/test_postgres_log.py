"""The PostgreSQL decision log, against a real server: same rows, ids, review and feedback as SQLite."""

import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import psycopg
import pytest
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app as cli
from router.decision_log.backends import open_log
from router.decision_log.base import SCHEMA_VERSION, safe_address
from router.decision_log.postgres import PostgresDecisionLog
from router.decision_log.sqlite import DecisionLog
from router.errors import DataError

TEXTS = ["Add an index on orders.customer_id", "Center the logo in the navbar", "customers get charged twice"]


def count(url, query="SELECT count(*) FROM decisions"):
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def comparable(logged):
    row = asdict(logged)
    del row["decision_id"], row["time"]
    return row


def test_postgres_url_selects_postgres_and_rows_match_sqlite(fake_model, postgres_url, tmp_path):
    assert isinstance(open_log(postgres_url), PostgresDecisionLog)
    assert isinstance(open_log(str(tmp_path / "d.db")), DecisionLog)
    pg, lite = load_router(fake_model, log=postgres_url), load_router(fake_model, log=tmp_path / "d.db")
    one = pg.route(TEXTS[0])
    batch = pg.route_batch(TEXTS)
    lite.route(TEXTS[0])
    lite.route_batch(TEXTS)
    ids = [one.decision_id, *(d.decision_id for d in batch)]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 4
    got = list(open_log(postgres_url).all())
    assert [g.decision_id for g in got] == ids  # oldest first; a batch keeps its order
    assert len({g.time for g in got[1:]}) == 1  # one batch, one transaction, one time
    assert [comparable(g) for g in got] == [comparable(s) for s in DecisionLog(tmp_path / "d.db").all()]
    logged = open_log(postgres_url).get(one.decision_id)
    assert logged.text == TEXTS[0] and logged.probability == one.probability
    assert logged.criterion_ids == [c for c, _, _ in one.criteria]
    assert logged.registry_version == "v0001" and logged.model_version == one.model_version
    assert logged.time.endswith("+00:00")
    with pytest.raises(DataError, match="no decision"):
        open_log(postgres_url).get("f" * 32)


def test_environment_selects_postgres(fake_model, postgres_url, monkeypatch):
    monkeypatch.setenv("ROUTER_DECISION_LOG", postgres_url)
    d = load_router(fake_model).route(TEXTS[1])
    assert [r.decision_id for r in open_log(postgres_url).all()] == [d.decision_id]


def test_threads_share_the_pool_and_log_every_decision(fake_model, postgres_url):
    router = load_router(fake_model, log=postgres_url)
    with ThreadPoolExecutor(8) as pool:
        decisions = list(pool.map(router.route, TEXTS * 40))
    ids = [d.decision_id for d in decisions]
    assert None not in ids and len(set(ids)) == 120
    assert {r.decision_id for r in open_log(postgres_url).all()} == set(ids)
    assert count(postgres_url) == 120


def test_migrate_creates_versions_once_and_refuses_a_newer_schema(fake_model, postgres_url):
    log = open_log(postgres_url)
    with pytest.raises(DataError, match="no decision log here"):
        list(log.all())
    first, again = log.migrate(), open_log(postgres_url).migrate()
    assert (first.before, first.after, again.before, again.after) == (0, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION)
    assert first.backend == "postgres" and list(log.all()) == []
    assert count(postgres_url, "SELECT count(*) FROM decision_log_version") == SCHEMA_VERSION
    with psycopg.connect(postgres_url) as conn:
        conn.execute("INSERT INTO decision_log_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    router = load_router(fake_model, log=postgres_url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = router.route(TEXTS[0])
    assert d.decision_id is None
    assert "newer than this router" in str(caught[0].message)
    with pytest.raises(DataError, match="newer than this router"):
        list(open_log(postgres_url).all())


def test_replicas_starting_together_migrate_once(postgres_url):
    logs = [PostgresDecisionLog(postgres_url) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        done = list(pool.map(lambda log: log.migrate(), logs))
    assert sorted(m.before for m in done) == [0] + [SCHEMA_VERSION] * 5
    assert count(postgres_url, "SELECT count(*) FROM decision_log_version") == SCHEMA_VERSION


def test_unreachable_server_warns_once_and_still_routes_quickly(fake_model):
    from tests.live_server import free_port

    router = load_router(fake_model)
    router.log = PostgresDecisionLog(f"postgresql://router:secret@127.0.0.1:{free_port()}/nowhere", timeout=0.5)
    plain = load_router(fake_model, log=None)
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [router.route(t) for t in TEXTS]
    elapsed = time.monotonic() - start
    router.log.close()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "decision log postgresql://router:***@127.0.0.1" in messages[0]
    assert "secret" not in messages[0]
    assert [d.to_dict() for d in got] == [d.to_dict() for d in plain.route_batch(TEXTS)]
    assert elapsed < 3 * 0.5 + 2  # each route waits at most the pool timeout


def test_redact_hides_only_the_password():
    assert safe_address("postgresql://u:pw@db:5432/x?sslmode=require") == "postgresql://u:***@db:5432/x?sslmode=require"
    assert safe_address("postgresql://u@db/x") == "postgresql://u@db/x"
    assert safe_address("/var/log/router/decisions.db") == "/var/log/router/decisions.db"


def test_review_and_feedback_read_postgres(fake_model, postgres_url, data_copy, fresh_rows):
    texts = [r["text"] for r in fresh_rows[:5]]
    decisions = load_router(fake_model, log=postgres_url).route_batch(texts)
    runner = CliRunner()
    out = data_copy / "queue.jsonl"
    result = runner.invoke(cli, ["review", "--log", postgres_url, "--data-dir", str(data_copy), "--export", str(out)])
    assert result.exit_code == 0, result.stderr
    queued = [json.loads(line) for line in out.read_text().splitlines()]
    assert {q["decision_id"] for q in queued} == {d.decision_id for d in decisions}
    target = decisions[0]
    result = runner.invoke(
        cli, ["feedback", target.decision_id, "--label", "0", "--log", postgres_url, "--data-dir", str(data_copy)]
    )
    assert result.exit_code == 0, result.stderr
    (line,) = (data_copy / "feedback" / "feedback.jsonl").read_text().splitlines()
    saved = json.loads(line)
    assert (saved["decision_id"], saved["text"], saved["label"]) == (target.decision_id, texts[0], 0)
    assert saved["model_version"] == target.model_version


def test_log_migrate_command(postgres_url, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["log", "migrate", "--log", postgres_url])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "log": postgres_url,
        "backend": "postgres",
        "before": 0,
        "after": SCHEMA_VERSION,
    }
    result = runner.invoke(cli, ["log", "migrate"], env={"ROUTER_DECISION_LOG": postgres_url})
    assert json.loads(result.stdout)["before"] == SCHEMA_VERSION


def test_postgres_log_redacts_hashes_and_purges_like_sqlite(fake_model, postgres_url):
    from datetime import timedelta

    secret = "rotate the key AKIAIOSFODNN7EXAMPLE in our orders service config"
    redacted = load_router(fake_model, log=postgres_url, log_text="redacted").route(secret)
    hashed = load_router(fake_model, log=postgres_url, log_text="hash").route(secret)
    log = open_log(postgres_url)
    assert "AKIAIOSFODNN7EXAMPLE" not in log.get(redacted.decision_id).text
    assert secret not in log.get(hashed.decision_id).text
    before = count(postgres_url)
    assert log.purge(timedelta(days=1)) == 0 and count(postgres_url) == before
    assert log.purge(timedelta(0)) == before and count(postgres_url) == 0


def test_a_role_with_only_the_documented_grants_logs_and_reads(fake_model, postgres_url):
    """docs/deploy.md: migrate as the owner, then SELECT/INSERT on decisions and SELECT on the version table."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    open_log(postgres_url).migrate()
    role = f"router_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
        conn.execute(f"GRANT SELECT, INSERT ON decisions TO {role}")
        conn.execute(f"GRANT SELECT ON decision_log_version TO {role}")
    parts = urlsplit(postgres_url)
    app_url = urlunsplit(parts._replace(netloc=f"{role}:pw@{parts.hostname}:{parts.port}"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a refused write would only warn
            decisions = load_router(fake_model, log=app_url).route_batch(TEXTS)
        assert all(d.decision_id for d in decisions)
        assert [g.decision_id for g in open_log(app_url).all()] == [d.decision_id for d in decisions]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_the_log_reconnects_after_the_server_drops_its_connections(fake_model, postgres_url):
    router = load_router(fake_model, log=postgres_url)
    assert router.route(TEXTS[0]).decision_id
    database = psycopg.conninfo.conninfo_to_dict(postgres_url)["dbname"]
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # as a server restart would
        dropped = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]
    assert dropped >= 1
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        ids = [router.route(t).decision_id for t in TEXTS]
    assert all(ids)  # every write after the drop is logged on a fresh connection
    assert count(postgres_url) == 1 + len(TEXTS)


def test_reading_an_up_to_date_log_checks_its_version_once(postgres_url, monkeypatch):
    from router.decision_log import postgres

    open_log(postgres_url).migrate()
    reads: list[int] = []
    real = postgres.schema_version
    monkeypatch.setattr(postgres, "schema_version", lambda conn: reads.append(1) or real(conn))
    log = open_log(postgres_url)
    assert list(log.all()) == [] and list(log.all()) == []
    assert len(reads) == 1
