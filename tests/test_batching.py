"""Dynamic batching: concurrent requests share one route_batch call; each keeps its order, decisions and errors."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from router.core.decision import Decision
from router.errors import DataError
from router.serving.batching import Batcher, DirectRouting, OverloadedError, estimate_tokens


class FakeRouter:
    """route_batch that records each call's texts and answers a decision naming its text."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay

    def route_batch(self, texts):
        self.calls.append(list(texts))
        time.sleep(self.delay)
        return [Decision("agent", True, 0.9, 0.5, False, [], model_version=t) for t in texts]


async def submit_all(routing, requests):
    return await asyncio.gather(*(routing.submit(r) for r in requests), return_exceptions=True)


def test_concurrent_requests_share_calls_and_keep_their_own_order():
    fake = FakeRouter(delay=0.02)
    batcher = Batcher(fake.route_batch)
    requests = [[f"r{i}-a", f"r{i}-b"] if i % 3 == 0 else [f"r{i}"] for i in range(30)]
    results = asyncio.run(submit_all(batcher, requests))
    assert [[d.model_version for d in r] for r in results] == requests
    assert len(fake.calls) < len(requests)  # batched
    assert sorted(t for call in fake.calls for t in call) == sorted(t for r in requests for t in r)


def test_a_lone_request_is_routed_at_once_alone():
    fake = FakeRouter()
    batcher = Batcher(fake.route_batch, max_wait=5.0)

    async def one_by_one():
        start = time.perf_counter()
        for i in range(3):
            await batcher.submit([f"t{i}"])
        return time.perf_counter() - start

    assert asyncio.run(one_by_one()) < 1.0  # never waited for the 5 s window
    assert fake.calls == [["t0"], ["t1"], ["t2"]]


def test_a_bad_request_fails_alone():
    fake = FakeRouter(delay=0.01)
    results = asyncio.run(submit_all(Batcher(fake.route_batch), [["good one"], ["  "], [3], ["good two"]]))
    assert [d.model_version for d in results[0]] == ["good one"]
    assert isinstance(results[1], DataError) and isinstance(results[2], DataError)
    assert [d.model_version for d in results[3]] == ["good two"]


def test_a_failing_batch_fails_each_of_its_requests_and_the_next_batch_runs():
    calls = []

    def flaky(texts):
        calls.append(list(texts))
        if len(calls) == 1:
            raise RuntimeError("encoder exploded")
        return FakeRouter().route_batch(texts)

    async def run():
        batcher = Batcher(flaky)
        first = await asyncio.gather(batcher.submit(["a"]), return_exceptions=True)
        second = await batcher.submit(["b"])
        return first, second

    first, second = asyncio.run(run())
    assert isinstance(first[0], RuntimeError) and [d.model_version for d in second] == ["b"]


def test_caps_on_texts_and_tokens_are_kept():
    fake = FakeRouter(delay=0.01)
    results = asyncio.run(submit_all(Batcher(fake.route_batch, max_texts=4), [[f"x{i}"] for i in range(20)]))
    assert all(len(r) == 1 for r in results) and max(len(c) for c in fake.calls) <= 4
    fake = FakeRouter(delay=0.01)
    long = "word " * 400  # each about the encoder's 256-token cap
    asyncio.run(submit_all(Batcher(fake.route_batch, max_tokens=3 * estimate_tokens(long)), [[long]] * 10))
    assert max(len(c) for c in fake.calls) <= 3


def test_a_full_queue_refuses_instead_of_growing():
    fake = FakeRouter(delay=0.05)
    results = asyncio.run(submit_all(Batcher(fake.route_batch, max_queue=2), [["t"]] * 10))
    refused = [r for r in results if isinstance(r, OverloadedError)]
    assert refused and len(refused) < 10


def test_direct_routing_routes_each_request_alone():
    fake = FakeRouter()
    results = asyncio.run(submit_all(DirectRouting(fake.route_batch), [["a"], ["b", "c"]]))
    assert [[d.model_version for d in r] for r in results] == [["a"], ["b", "c"]]
    assert sorted(map(len, fake.calls)) == [1, 2]


@pytest.mark.parametrize("batching", [True, False])
def test_healthz_answers_while_the_encoder_is_busy(fake_model, monkeypatch, batching):
    from router.core.router import Router
    from router.serving.http import create_app

    busy, done = threading.Event(), threading.Event()
    real = Router.route_batch

    def slow(self, texts):
        busy.set()
        time.sleep(1.0)
        done.set()
        return real(self, texts)

    monkeypatch.setattr(Router, "route_batch", slow)

    async def run():
        transport = httpx.ASGITransport(app=create_app(fake_model, batching=batching))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            routed = asyncio.create_task(client.post("/v1/route", json={"text": "add an index to orders"}))
            while not busy.is_set():
                await asyncio.sleep(0.01)
            health = await client.get("/healthz")
            encoding_when_answered = not done.is_set()  # an encoder on the event loop would have finished first
            return (await routed).status_code, health.status_code, encoding_when_answered

    routed, health, encoding_when_answered = asyncio.run(run())
    assert routed == 200 and health == 200
    assert encoding_when_answered


@pytest.mark.parametrize("batching", [True, False])
def test_server_answers_the_same_with_and_without_batching(fake_model, batching):
    from fastapi.testclient import TestClient

    from router import load_router
    from router.serving.http import create_app

    texts = ["add an index to orders", "center the logo", "customers get charged twice"]
    with TestClient(create_app(fake_model, batching=batching)) as client:
        answer = client.post("/v1/route", json={"texts": texts}).json()["decisions"]
    assert answer == [d.to_dict() for d in load_router(fake_model).route_batch(texts)]
