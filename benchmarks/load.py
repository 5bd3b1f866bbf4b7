"""Bounded loopback load on `router serve`: requests/s, p50, p99 and errors (a benchmark, not a test).

Starts `router serve` on a free loopback port with the packaged model (ONNX runtime), then sends
`--requests` POST /v1/route requests (texts cycled from data/test.jsonl) from an async httpx client with
at most `--concurrency` in flight. Prints one JSON object: throughput, latency percentiles, the error
count (anything but a 200, or a transport error), and p50 as a ratio of one warm in-process `route()`.

Run: .venv/bin/python benchmarks/load.py [--requests 20000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from router import load_router
from router.artifacts.locations import PACKAGED_MODEL

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def texts() -> list[str]:
    lines = (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


def start_server(model: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("ROUTER_TOKEN", "ROUTER_DECISION_LOG", "ROUTER_PLUGINS")}
    env["ROUTER_BACKEND"] = "onnx"
    command = [sys.executable, "-m", "router", "serve", "--port", str(port), "--model", str(model)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["model_loaded"]:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("router serve did not start")


async def load(url: str, bodies: list[str], total: int, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors, next_index
            while next_index < total:
                i = next_index
                next_index += 1
                start = time.perf_counter()
                try:
                    response = await client.post("/v1/route", json={"text": bodies[i % len(bodies)]})
                    ok = response.status_code == 200 and "delegate" in response.json()
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def in_process_median(model: Path, bodies: list[str], runs: int = 200) -> float:
    router = load_router(model, backend="onnx")
    router.route(bodies[0])
    times = []
    for i in range(runs):
        start = time.perf_counter()
        router.route(bodies[i % len(bodies)])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--model", type=Path, default=PACKAGED_MODEL)
    args = parser.parse_args()
    bodies = texts()
    port = free_port()
    server = start_server(args.model, port)
    try:
        url = f"http://127.0.0.1:{port}"
        asyncio.run(load(url, bodies, min(200, args.requests), args.concurrency))  # warm-up, not counted
        latencies, errors, elapsed = asyncio.run(load(url, bodies, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    single = in_process_median(args.model, bodies)
    print(
        json.dumps(
            {
                "requests": args.requests,
                "concurrency": args.concurrency,
                "errors": errors,
                "requests_per_s": round(args.requests / elapsed, 1),
                "p50_ms": round(p50 * 1000, 2),
                "p99_ms": round(p99 * 1000, 2),
                "p99_over_p50": round(p99 / p50, 2),
                "p50_over_in_process_route": round(p50 / single, 2),
                "in_process_route_ms": round(single * 1000, 2),
                "model": str(args.model),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
