"""Schemathesis against `/openapi.json` of a live `router serve` on loopback: no 5xx, every error is the contract's.

Cases are generated both from the schema (positive) and against it (negative: wrong types, missing or extra
fields). A positive case may still be refused (the schema cannot say "exactly one of text or texts"), but never
with a 5xx; a negative case must be refused with a 4xx. Every error is JSON `{"detail": ...}` (README, "Errors"):
a message, or FastAPI's list of validation errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.live_server import live_server

#: Cases per operation in each mode (an operation without parameters or body has one positive case to give, and no
#: negative one). Bounded so the file runs in seconds.
CASES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 40}


@pytest.fixture(scope="module")
def live_schema(fake_model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("ROUTER_TOKEN", "ROUTER_DECISION_LOG")}
    env["ROUTER_DECISION_LOG"] = str(tmp_path_factory.mktemp("fuzz") / "decisions.db")  # logging on the path too
    with live_server(fake_model, env, tmp_path_factory.mktemp("fuzz-log") / "serve.log") as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def error_shape(body: object) -> bool:
    """The contract's error body: `{"detail": message}`, or FastAPI's `{"detail": [{"loc", "msg", "type"}, ...]}`."""
    if not isinstance(body, dict) or set(body) != {"detail"}:
        return False
    detail = body["detail"]
    if isinstance(detail, str):
        return bool(detail.strip())
    return (
        isinstance(detail, list)
        and bool(detail)
        and all(isinstance(item, dict) and {"loc", "msg", "type"} <= set(item) for item in detail)
    )


def check(response: Any, mode: GenerationMode) -> None:
    status = response.status_code
    assert status < 500, response.text[:300]
    if mode is GenerationMode.NEGATIVE:
        assert 400 <= status < 500, f"a schema-violating request was answered {status}: {response.text[:300]}"
    if status >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert content_type[0].startswith("application/json"), response.text[:300]
        assert error_shape(response.json()), response.text[:300]


def negatable(operation: Any) -> bool:
    """Whether the operation takes anything a negative case could get wrong: a body or a parameter."""
    return bool(operation.body) or any(True for _ in operation.iter_parameters())


def fuzz_operation(operation: Any, mode: GenerationMode, calls: list[int]) -> None:
    @settings(max_examples=CASES[mode], deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        response = case.call(timeout=30)
        calls.append(response.status_code)
        check(response, mode)

    fuzz()


def test_no_server_error_and_every_error_is_the_contracts(live_schema: Any) -> None:
    statuses: dict[GenerationMode, dict[str, list[int]]] = {mode: {} for mode in CASES}
    for result in live_schema.get_all_operations():
        operation = result.ok()
        for mode in CASES:
            if mode is GenerationMode.NEGATIVE and not negatable(operation):
                continue
            fuzz_operation(
                operation, mode, statuses[mode].setdefault(f"{operation.method.upper()} {operation.path}", [])
            )
    for mode, calls in statuses.items():
        total = sum(len(c) for c in calls.values())
        print(
            f"\nschemathesis {mode.value}: {total} cases: "
            + "; ".join(f"{op} {len(c)} {sorted(set(c))}" for op, c in calls.items())
        )
    assert all(statuses[GenerationMode.POSITIVE].values()), statuses
    assert any(code == 200 for code in statuses[GenerationMode.POSITIVE]["POST /v1/route"]), statuses
    # Both bodies were fuzzed against their schemas, each case refused (checked per case above).
    assert statuses[GenerationMode.NEGATIVE].keys() >= {"POST /v1/route", "POST /v1/hooks/claude/user-prompt-submit"}
    assert all(statuses[GenerationMode.NEGATIVE].values()), statuses


def test_error_shape_oracle() -> None:
    assert error_shape({"detail": "text 0 is blank"})
    assert error_shape({"detail": [{"loc": ["body", "text"], "msg": "Input should be a valid string", "type": "x"}]})
    for bad in ({}, {"detail": ""}, {"detail": []}, {"detail": [{"msg": "m"}]}, {"detail": "x", "extra": 1}, ["x"]):
        assert not error_shape(bad), bad
