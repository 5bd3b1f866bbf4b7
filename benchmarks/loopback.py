"""Shared by the benchmarks: a `router serve` on a free loopback port, a concurrent load, route_batch throughput.

Imported from the same folder (the benchmarks run as `python benchmarks/NAME.py`).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.live_server
from tests.live_server import serving

#: Variables a benchmark server must not inherit: auth, a decision log, the tests' fake encoder.
UNSET = ("ROUTER_TOKEN", "ROUTER_DECISION_LOG", "ROUTER_PLUGINS")


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (Linux `VmHWM`), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM for process {pid}")


@contextmanager
def running_server(model: Path | str | None, *options: str, timeout: float = 120) -> Iterator[tuple[str, int]]:
    """A `router serve` subprocess on the ONNX backend: its base URL and pid, once the model is loaded."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET} | {"ROUTER_BACKEND": "onnx"}
    with serving(model, env, Path(os.devnull), *options, timeout=timeout) as served:
        yield served


async def load(url: str, texts: list[str], clients: int, requests: int) -> tuple[list[float], int, float]:
    """`requests` POSTs to /v1/route from `clients` concurrent clients: latencies (s), errors, wall time (s)."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                start = time.perf_counter()
                try:
                    answer = await client.post("/v1/route", json={"text": texts[i % len(texts)]})
                    ok = answer.status_code == 200 and "delegate" in answer.json()
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - began
    return latencies, errors, wall


def p50_p99_ms(latencies: list[float]) -> tuple[float, float]:
    """The median and 99th percentile of latencies in seconds, in ms (`statistics.quantiles`, exclusive)."""
    q = statistics.quantiles([s * 1000 for s in latencies], n=100)
    return q[49], q[98]


def batch_throughput(router, texts: list[str], runs: int = 3) -> float:
    """route_batch texts/s on `texts`, the median of `runs` after a warm-up."""
    router.route_batch(texts[:16])
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        router.route_batch(texts)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)
