"""Loopback load test of `router serve`, with and without dynamic batching, in one run.

A fixed number of requests (one `data/test.jsonl` text each) is sent by 1, 4, 8 and 16 concurrent
clients (httpx, asyncio) to a server started on a free loopback port; for each setting it reports
requests/s, p50 and p99 latency and errors. The reference is `route_batch` on the same texts with the same
model and encoder in this process (texts/s), measured first, before any server runs.

Run: .venv/bin/python benchmarks/serve.py [--requests 400] [--model DIR]
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
from router.dataset.examples import load_examples

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = (1, 4, 8, 16)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reference_throughput(model: str | None, texts: list[str], runs: int = 3) -> float:
    """route_batch texts/s on the same texts, median of `runs`."""
    router = load_router(model, backend="onnx")
    router.route_batch(texts[:16])
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        router.route_batch(texts)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def start_server(model: str | None, batching: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "router", "serve", "--port", str(port), "--batching" if batching else "--no-batching"]
    if model:
        cmd += ["--model", model]
    env = {**os.environ, "ROUTER_BACKEND": "onnx"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).json().get("model_loaded"):
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


async def load(url: str, texts: list[str], clients: int, requests: int) -> dict:
    """Send `requests` requests from `clients` concurrent clients; latencies in ms."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await client.post("/v1/route", json={"text": texts[0]})

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                start = time.perf_counter()
                try:
                    answer = await client.post("/v1/route", json={"text": texts[i % len(texts)]})
                    ok = answer.status_code == 200 and "delegate" in answer.json()
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - start) * 1000)
                errors += not ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {
        "clients": clients,
        "requests": requests,
        "rps": requests / wall,
        "p50": q[49],
        "p99": q[98],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "serve.json")
    args = parser.parse_args()
    texts = [ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")]
    reference = reference_throughput(args.model, texts[:256])
    results = {"route_batch_texts_per_s": reference, "runs": []}
    for batching in (False, True):
        proc, url = start_server(args.model, batching)
        try:
            for clients in CLIENTS:
                row = asyncio.run(load(url, texts, clients, args.requests))
                results["runs"].append({"batching": batching, **row})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"route_batch on the same encoder: {reference:.0f} texts/s")
    print("| batching | clients | requests/s | vs route_batch | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results["runs"]:
        print(
            f"| {'on' if r['batching'] else 'off'} | {r['clients']} | {r['rps']:.0f} | {r['rps'] / reference:.2f}x | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
