"""Lone surrogates, invalid UTF-8 and non-standard JSON: refused at one gate, good items kept, nothing crashes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router.cli.app import app
from router.core.texts import check_texts, sort_texts
from router.decision_log.sqlite import DecisionLog
from router.errors import DataError
from router.serving.http import create_app
from tests.events import user_prompt_submit as event

runner = CliRunner()
SURROGATE = "a \ud800 b"
HOOK = "/v1/hooks/claude/user-prompt-submit"


def test_check_texts_refuses_lone_surrogates_without_quoting_them():
    for bad in (SURROGATE, "\udcff", "ok\udfffok"):
        with pytest.raises(DataError, match="lone surrogate") as caught:
            check_texts(["fine", bad])
        assert "text 1" in str(caught.value)
        str(caught.value).encode("utf-8")  # the message itself is printable
    assert check_texts(["emoji \U0001f600 and CJK 漢字"]) == ["emoji \U0001f600 and CJK 漢字"]


def test_sort_texts_keeps_the_good_ones_in_order():
    batch = sort_texts(["one", SURROGATE, "  ", 3, "five"])
    assert batch.texts == ["one", "five"]
    assert sorted(batch.errors) == [1, 2, 3]
    assert batch.merge(["ONE", "FIVE"]) == ["ONE", batch.errors[1], batch.errors[2], batch.errors[3], "FIVE"]


@pytest.fixture(scope="module")
def client(fake_model):
    with TestClient(create_app(fake_model), raise_server_exceptions=False) as c:
        yield c


def test_http_single_surrogate_text_is_a_json_422(client):
    response = client.post("/v1/route", content=b'{"text": "a \\ud800"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "lone surrogate" in response.json()["detail"]


def test_http_batch_keeps_good_texts_and_reports_each_bad_one(client, router, texts):
    body = json.dumps({"texts": [texts["yes"], SURROGATE, "", texts["no"]]})
    response = client.post("/v1/route", content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    decisions = response.json()["decisions"]
    assert decisions[0] == router.route(texts["yes"]).to_dict()
    assert decisions[3] == router.route(texts["no"]).to_dict()
    assert "lone surrogate" in decisions[1]["error"] and "blank" in decisions[2]["error"]


def test_http_hook_lets_an_invalid_prompt_through(client):
    body = json.dumps(event(SURROGATE))
    response = client.post(HOOK, content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {}


def test_cli_route_of_an_undecodable_argument_is_a_data_error(fake_model):
    result = runner.invoke(app, ["route", "bad \udcff byte", "--model", str(fake_model)])
    assert result.exit_code == 1
    assert "lone surrogate" in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_cli_route_of_raw_invalid_utf8_argv_has_no_traceback(fake_model):
    command = [sys.executable, "-m", "router", "route", b"caf\xff", "--model", str(fake_model)]
    done = subprocess.run(command, capture_output=True, timeout=120)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr and done.stderr.count(b"\n") == 1
    assert done.stdout == b""


def test_route_input_keeps_good_lines(fake_model, router, tmp_path, texts):
    lines = [
        json.dumps({"id": "good-1", "text": texts["yes"]}).encode(),
        b'{"id": "bad-utf8", "text": "caf\xff"}',
        b'{"id": "surrogate", "text": "a \\ud800"}',
        b'{"id": "nan", "text": "x", "score": NaN}',
        json.dumps({"id": "good-2", "text": texts["no"]}).encode(),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(app, ["route", "--input", str(source), "--model", str(fake_model)])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row.get("id") for row in rows] == ["good-1", None, None, None, "good-2"]
    assert rows[0] == {"id": "good-1", "text": texts["yes"], **router.route(texts["yes"]).to_dict()}
    assert rows[4] == {"id": "good-2", "text": texts["no"], **router.route(texts["no"]).to_dict()}
    assert "line 2: not valid UTF-8" in rows[1]["error"]
    assert "line 3" in rows[2]["error"] and "surrogate" in rows[2]["error"]
    assert "line 4" in rows[3]["error"] and "NaN" in rows[3]["error"]


def test_label_import_keeps_good_lines_and_names_each_bad_one(data_copy, tmp_path, fresh_rows):
    good = [fresh_rows[0], fresh_rows[1]]
    lines = [
        json.dumps(good[0]).encode(),
        b'{"text": "caf\xff", "label": 0}',
        b'{"text": "a \\ud800", "label": 0}',
        json.dumps({**fresh_rows[2], "weight": "x"}).replace('"x"', "NaN").encode(),
        json.dumps({**fresh_rows[3], "blob": "y" * 100_000}).encode(),
        json.dumps(good[1]).encode(),
    ]
    source = tmp_path / "labels.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(app, ["label", "import", str(source), "--data-dir", str(data_copy)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["added"] == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[2] for e in errors] == ["2", "3", "4", "5"]
    written = (data_copy / "feedback" / "imported.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in written] == [good[0]["text"], good[1]["text"]]
    assert "NaN" not in "".join(written) and "y" * 1000 not in "".join(written)


def test_data_check_names_the_file_and_line_of_bad_lines(data_copy):
    stray = data_copy / "stray.jsonl"
    stray.write_bytes(b'{"text": "ok \xff", "label": 0}\n{"text": "a \\ud800", "label": 0}\n')
    result = runner.invoke(app, ["data", "check", str(data_copy)])
    assert result.exit_code == 1
    assert f"{stray}:1: not valid UTF-8" in result.stderr
    assert f"{stray}:2:" in result.stderr and "surrogate" in result.stderr


def test_feedback_with_a_stray_bad_file_still_records(data_copy, fresh_rows):
    (data_copy / "stray.jsonl").write_bytes(b'{"text": "ok \xff", "label": 0}\n')
    text = fresh_rows[5]["text"]
    result = runner.invoke(app, ["feedback", text, "--label", "0", "--data-dir", str(data_copy)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "added"


def test_decision_log_never_fails_a_route_on_odd_text(router, tmp_path):
    log = DecisionLog(tmp_path / "log.db")
    decision = router.route_batch(["Add an index"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert log.record([SURROGATE], [decision], router.metadata) is None


def read_answers(proc: subprocess.Popen, ids: set[int], timeout: float) -> dict[int, dict]:
    """The answers with these ids, read on a thread so that a missing answer cannot hang the test."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    answers: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while ids - answers.keys() and time.monotonic() < deadline:
        try:
            message = json.loads(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if message.get("id") in ids:
            answers[message["id"]] = message
    return answers


def test_mcp_answers_a_call_with_a_lone_surrogate_and_keeps_serving(fake_model):
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    call = '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"route","arguments":{"text":%s}}}'
    messages = [
        json.dumps(init).encode(),
        b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
        (call % (2, '"a \\ud800"')).encode(),
        (call % (3, '"Add an index to the orders table"')).encode(),
    ]
    command = [sys.executable, "-m", "router", "mcp", "--model", str(fake_model)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ)
    ) as proc:
        try:
            proc.stdin.write(b"\n".join(messages) + b"\n")
            proc.stdin.flush()
            answers = read_answers(proc, {1, 2, 3}, 60)
        finally:
            proc.kill()
    assert set(answers) == {1, 2, 3}
    assert answers[2]["error"]["code"] == -32602  # JSON-RPC invalid params, for that request's id
    assert "surrogate" in answers[2]["error"]["message"]
    assert answers[3]["result"]["isError"] is False


def test_jsonl_parser_refuses_non_standard_json(tmp_path: Path):
    from router.dataset.examples import parse_file

    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"text": "x", "label": Infinity}\n{"text": "fine text", "label": 0}\n')
    parsed = parse_file(path)
    assert [e.text for e in parsed.examples] == ["fine text"]
    assert parsed.problems and f"{path}:1:" in parsed.problems[0]
