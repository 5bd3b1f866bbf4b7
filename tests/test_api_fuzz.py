"""Schemathesis against `/openapi.json` of a live `router serve` on loopback: no 5xx, every error is JSON."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.live_server import live_server

CASES_PER_OPERATION = 80


@pytest.fixture(scope="module")
def live_schema(fake_model, tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("ROUTER_TOKEN", "ROUTER_DECISION_LOG")}
    env["ROUTER_DECISION_LOG"] = str(tmp_path_factory.mktemp("fuzz") / "decisions.db")  # logging on the path too
    with live_server(fake_model, env, tmp_path_factory.mktemp("fuzz-log") / "serve.log") as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def check(response) -> None:
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert content_type[0].startswith("application/json"), response.text[:300]
        assert "detail" in response.json()


def fuzz_operation(operation, calls: list[int]) -> None:
    @settings(max_examples=CASES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def fuzz(case) -> None:
        response = case.call(timeout=30)
        calls.append(response.status_code)
        check(response)

    fuzz()


def test_no_server_error_and_every_error_is_json(live_schema):
    statuses: dict[str, list[int]] = {}
    for result in live_schema.get_all_operations():
        operation = result.ok()
        fuzz_operation(operation, statuses.setdefault(f"{operation.method.upper()} {operation.path}", []))
    total = sum(len(calls) for calls in statuses.values())
    print(
        f"\nschemathesis: {total} cases: " + "; ".join(f"{op} {len(c)} {sorted(set(c))}" for op, c in statuses.items())
    )
    assert all(statuses.values()), statuses
