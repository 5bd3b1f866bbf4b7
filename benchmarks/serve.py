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
from pathlib import Path

from loopback import batch_throughput, load, p50_p99_ms, peak_rss_mb, running_server  # same folder (run as a script)

from router import load_router
from router.dataset.examples import load_examples

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = (1, 4, 8, 16)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "serve.json")
    args = parser.parse_args()
    texts = [ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")]
    reference = batch_throughput(load_router(args.model, backend="onnx"), texts[:256])
    results: dict = {"route_batch_texts_per_s": reference, "runs": []}
    for batching in (False, True):
        with running_server(args.model, "--batching" if batching else "--no-batching") as (url, pid):
            for clients in CLIENTS:
                asyncio.run(load(url, texts, 1, 1))  # warm-up, not counted
                latencies, errors, wall = asyncio.run(load(url, texts, clients, args.requests))
                p50, p99 = p50_p99_ms(latencies)
                row = {"clients": clients, "requests": args.requests, "rps": args.requests / wall}
                results["runs"].append({"batching": batching, **row, "p50": p50, "p99": p99, "errors": errors})
            results[f"server_peak_rss_mb_batching_{'on' if batching else 'off'}"] = peak_rss_mb(pid)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"route_batch on the same encoder: {reference:.0f} texts/s")
    rss = [v for k, v in results.items() if k.startswith("server_peak_rss_mb")]
    print(f"server peak RSS after the runs: {max(rss):.0f} MB")
    print("| batching | clients | requests/s | vs route_batch | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results["runs"]:
        print(
            f"| {'on' if r['batching'] else 'off'} | {r['clients']} | {r['rps']:.0f} | {r['rps'] / reference:.2f}x | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
