import io
import json
import os
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router.cli.app import app as cli
from router.serving.hook import PROMPT_CHARS, additional_context, claude, read_prompt
from router.serving.http import bind_problem, create_app
from tests.contract import CONTRACT_IDS
from tests.events import user_prompt_submit as event
from tests.live_server import live_server

ROOT = Path(__file__).resolve().parent.parent


HOOK = "/v1/hooks/claude/user-prompt-submit"
DECISION_KEYS = {"agent", "delegate", "probability", "threshold", "uncertain", "criteria", "model_version"}


@pytest.fixture(scope="module")
def client(fake_model):
    with TestClient(create_app(fake_model)) as c:
        yield c


def test_route_one_text_answers_the_decision(client, router, texts):
    response = client.post("/v1/route", json={"text": texts["yes"]})
    assert response.status_code == 200
    assert response.json() == router.route(texts["yes"]).to_dict()
    assert set(response.json()) == DECISION_KEYS


def test_route_texts_answers_decisions_in_order(client, router, texts):
    batch = [texts["no"], texts["yes"], texts["no"]]
    response = client.post("/v1/route", json={"texts": batch})
    assert response.status_code == 200
    assert response.json() == {"decisions": [d.to_dict() for d in router.route_batch(batch)]}
    assert client.post("/v1/route", json={"texts": []}).json() == {"decisions": []}


def test_model_and_health(client, router):
    assert client.get("/healthz").json() == {"status": "ok", "model_loaded": True}
    info = client.get("/v1/model").json()
    assert set(info) == {"agent", "model_version", "threshold", "abstain_band", "criteria", "encoder"}
    assert info["agent"] == "backend-engineer"
    assert info["threshold"] == router.metadata.threshold
    assert tuple(c["id"] for c in info["criteria"]) == CONTRACT_IDS


def test_claude_hook_endpoint_answers_the_documented_shape(client, router, texts):
    response = client.post(HOOK, json=event(texts["yes"]))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["hookSpecificOutput"]
    assert body["hookSpecificOutput"] == {
        "hookEventName": "UserPromptSubmit",
        "additionalContext": additional_context(router.route(texts["yes"]).to_dict()),
    }
    assert body["hookSpecificOutput"]["additionalContext"].startswith(
        "This request matches the backend-engineer agent's criteria: "
    )
    assert client.post(HOOK, json=event(texts["no"])).json() == {}
    assert client.post(HOOK, json=event("   ")).json() == {}
    assert client.post(HOOK, json={"prompt": texts["yes"]}).status_code == 200  # only `prompt` is needed


def test_claude_hook_endpoint_cuts_long_prompts_instead_of_refusing(fake_model, router, texts):
    with TestClient(create_app(fake_model, max_chars=50)) as c:
        long = texts["yes"] + " and more" * 100
        assert c.post(HOOK, json=event(long)).json() == c.post(HOOK, json=event(long[:50])).json()
        assert c.post("/v1/route", json={"text": long}).status_code == 413


def test_both_claude_hooks_read_the_same_part_of_a_long_prompt(fake_model, texts, monkeypatch):
    from router.core.router import Router

    seen: list[str] = []
    real = Router.route_batch
    monkeypatch.setattr(Router, "route_batch", lambda self, batch: seen.extend(batch) or real(self, batch))
    long = texts["yes"] + " and more" * (PROMPT_CHARS // 5)  # under the server's text limit, over the hook's cut
    with TestClient(create_app(fake_model)) as c:
        assert c.post(HOOK, json=event(long)).status_code == 200
    assert seen == [read_prompt(json.dumps(event(long)))]  # what the command hook would route
    assert len(seen[0]) == PROMPT_CHARS


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "/v1/route"),
        ({"text": "a", "texts": ["b"]}, "/v1/route"),
        ({"text": 5}, "/v1/route"),
        ({"texts": ["fine", 3]}, "/v1/route"),
        ({"text": "   "}, "/v1/route"),
        ({"text": "x", "extra": 1}, "/v1/route"),
        ({"session_id": "s"}, HOOK),
        (event("Add an index", hook_event_name="PreToolUse"), HOOK),
        ([1, 2], HOOK),
    ],
)
def test_invalid_requests_are_422(client, body, path):
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_invalid_json_is_422(client):
    response = client.post("/v1/route", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_too_large_is_413(fake_model):
    with TestClient(create_app(fake_model, max_texts=3, max_chars=100, max_body=2_000)) as c:
        assert c.post("/v1/route", json={"text": "x" * 101}).status_code == 413
        assert c.post("/v1/route", json={"texts": ["ok"] * 4}).status_code == 413
        big = json.dumps({"text": "y" * 3_000}).encode()
        declared = c.post("/v1/route", content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413
        assert declared.json() == {"detail": "request body over 2000 bytes"}
        # No Content-Length (chunked): the body actually read is counted.
        streamed = c.post("/v1/route", content=iter([big[:1_500], big[1_500:]]))
        assert streamed.status_code == 413
        assert c.post("/v1/route", json={"text": "x" * 100}).status_code == 200


def test_bad_content_length_is_refused(fake_model):
    with TestClient(create_app(fake_model, max_body=100)) as c:
        response = c.post("/v1/route", content=b'{"text": "hi"}', headers={"Content-Length": "abc"})
        assert response.status_code == 413


def test_missing_model_is_503_but_healthz_answers(tmp_path):
    with TestClient(create_app(tmp_path / "missing", preload=True)) as c:
        assert c.get("/healthz").json() == {"status": "ok", "model_loaded": False}
        for method, path, body in [("POST", "/v1/route", {"text": "hi"}), ("GET", "/v1/model", None)]:
            response = c.request(method, path, json=body)
            assert response.status_code == 503
            assert response.json()["detail"].startswith("model unavailable")
        assert c.post(HOOK, json=event("Add an index")).status_code == 503


def test_token_is_required_on_v1_routes(fake_model, texts):
    with TestClient(create_app(fake_model, token="s3cret")) as c:
        missing = c.post("/v1/route", json={"text": texts["yes"]})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = c.get("/v1/model", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert c.post(HOOK, json=event(texts["yes"]), headers={"Authorization": "Basic s3cret"}).status_code == 401
        # 401 comes before the body is looked at.
        assert c.post("/v1/route", content=b"{bad").status_code == 401
        ok = c.post("/v1/route", json={"text": texts["yes"]}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200
        spec = c.get("/openapi.json").json()
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_no_token_means_open(client, texts):
    assert client.post("/v1/route", json={"text": texts["no"]}).status_code == 200


def test_openapi_publishes_the_paths(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/route", "/v1/model", "/healthz", HOOK} <= set(spec["paths"])
    assert "post" in spec["paths"]["/v1/route"] and "get" in spec["paths"]["/v1/model"]
    assert "DecisionOut" in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("host", "token", "refused"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("192.168.1.5", "", True),
        ("example.org", None, True),
        ("0.0.0.0", "t", False),
    ],
)
def test_bind_needs_a_token_off_loopback(host, token, refused):
    assert (bind_problem(host, token) is not None) == refused


def test_serve_refuses_a_public_host_without_token(monkeypatch):
    monkeypatch.delenv("ROUTER_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "ROUTER_TOKEN" in result.stderr


def test_real_uvicorn_on_loopback(fake_model, router, texts, tmp_path, monkeypatch):
    env = {**os.environ, "ROUTER_TOKEN": "tok"}
    with live_server(fake_model, env, tmp_path / "serve.log") as url:
        auth = {"Authorization": "Bearer tok"}
        response = httpx.post(f"{url}/v1/route", json={"text": texts["yes"]}, headers=auth, timeout=10)
        assert response.status_code == 200
        assert response.json() == router.route(texts["yes"]).to_dict()
        assert httpx.post(f"{url}/v1/route", json={"text": "hi"}, timeout=10).status_code == 401
        too_big = httpx.post(f"{url}/v1/route", content=b"x" * 1_000_001, headers=auth, timeout=10)
        assert too_big.status_code == 413
        # The command hook in --server mode, against this server (token from ROUTER_TOKEN).
        monkeypatch.setenv("ROUTER_TOKEN", "tok")
        out, err = io.StringIO(), io.StringIO()
        claude(io.StringIO(json.dumps(event(texts["yes"]))), out, err, server=url, timeout=10)
        assert err.getvalue() == ""
        assert json.loads(out.getvalue())["hookSpecificOutput"]["additionalContext"] == additional_context(
            router.route(texts["yes"]).to_dict()
        )
