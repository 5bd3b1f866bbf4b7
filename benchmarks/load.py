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
import statistics
import time
from pathlib import Path

from loopback import load, p50_p99_ms, running_server  # same folder: run as `python benchmarks/load.py`

from router import load_router
from router.artifacts.locations import PACKAGED_MODEL

ROOT = Path(__file__).resolve().parent.parent


def texts() -> list[str]:
    lines = (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


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
    with running_server(args.model) as (url, _):
        asyncio.run(load(url, bodies, args.concurrency, min(200, args.requests)))  # warm-up, not counted
        latencies, errors, elapsed = asyncio.run(load(url, bodies, args.concurrency, args.requests))
    p50, p99 = p50_p99_ms(latencies)
    single = in_process_median(args.model, bodies)
    print(
        json.dumps(
            {
                "requests": args.requests,
                "concurrency": args.concurrency,
                "errors": errors,
                "requests_per_s": round(args.requests / elapsed, 1),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "p99_over_p50": round(p99 / p50, 2),
                "p50_over_in_process_route": round(p50 / 1000 / single, 2),
                "in_process_route_ms": round(single * 1000, 2),
                "model": str(args.model),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
