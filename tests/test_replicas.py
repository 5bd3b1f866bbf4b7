"""Two `router serve` replicas on different loopback ports, one PostgreSQL decision log between them."""

import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import psycopg
from typer.testing import CliRunner

from router.cli.app import app as cli
from tests.live_server import live_server

REQUESTS = 120  # per replica
CLIENTS = 8  # requests in flight at once, over both replicas


def test_two_replicas_log_every_decision_once_and_review_sees_both(
    fake_model, postgres_url, data_copy, fresh_rows, tmp_path
):
    texts = [f"{row['text']} (request {i})" for i, row in enumerate(fresh_rows[: 2 * REQUESTS])]
    with ExitStack() as stack:
        env = {**os.environ, "ROUTER_DECISION_LOG": postgres_url, "ROUTER_LOG_TEXT": "full"}  # compare texts as sent
        urls = [stack.enter_context(live_server(fake_model, env, tmp_path / f"{name}.log")) for name in "ab"]

        def send(i):
            # Both replicas at once: even requests go to one, odd to the other; every 5th is a batch of one.
            body = {"texts": [texts[i]]} if i % 5 == 0 else {"text": texts[i]}
            response = httpx.post(f"{urls[i % 2]}/v1/route", json=body, timeout=30)
            response.raise_for_status()
            answer = response.json()
            return i, (answer["decisions"][0] if "decisions" in answer else answer)

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = dict(pool.map(send, range(len(texts))))

    ids = {i: answer["decision_id"] for i, answer in answers.items()}
    assert len(set(ids.values())) == len(texts)  # every answer carries its own id
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT decision_id, text, probability FROM decisions").fetchall()
    assert len(rows) == len(texts)  # each decision once
    logged = {decision_id: (text, p) for decision_id, text, p in rows}
    assert logged == {ids[i]: (texts[i], answers[i]["probability"]) for i in range(len(texts))}

    result = CliRunner().invoke(
        cli, ["review", "--log", postgres_url, "--data-dir", str(data_copy), "--export", str(tmp_path / "q.jsonl")]
    )
    assert result.exit_code == 0, result.stderr
    queued = [json.loads(line) for line in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert {q["decision_id"] for q in queued} == set(ids.values())  # the union of both replicas' decisions
