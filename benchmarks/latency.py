"""Latency of routing against the bare encoder, in one process (medians; ratios are what count).

Run: .venv/bin/python benchmarks/latency.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from router.data import load_examples
from router.inference import load_router

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Add rate limiting to the public REST API and return 429 with a Retry-After header"


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold(cmd: list[str], runs: int) -> float:
    return median_seconds(lambda: subprocess.run(cmd, check=True, capture_output=True), runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    router = load_router()
    encoder = router.embedder.encoder
    texts = [ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")][: args.batch]

    def bare_one():
        encoder.encode([TEXT], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    def bare_batch():
        encoder.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    for _ in range(10):  # warm up both paths
        bare_one()
        router.route(TEXT)
    rows = []
    # Interleave the two measurements so drift on a noisy machine hits both alike.
    one_bare, one_route = [], []
    for _ in range(args.runs):
        one_bare.append(median_seconds(bare_one, 1))
        one_route.append(median_seconds(lambda: router.route(TEXT), 1))
    b, r = statistics.median(one_bare), statistics.median(one_route)
    rows.append(("warm single text", f"{b * 1e3:.2f} ms", f"{r * 1e3:.2f} ms", f"{r / b:.3f}x time"))

    batch_runs = max(3, args.runs // 40)
    b_batch = median_seconds(bare_batch, batch_runs)
    r_batch = median_seconds(lambda: router.route_batch(texts), batch_runs)
    rows.append(
        (
            f"batch of {len(texts)} (texts/s)",
            f"{len(texts) / b_batch:.0f}",
            f"{len(texts) / r_batch:.0f}",
            f"{b_batch / r_batch:.3f}x throughput",
        )
    )

    router_cli = str(Path(sys.executable).with_name("router"))
    c_import = cold([sys.executable, "-c", "import sentence_transformers"], args.cold_runs)
    c_route = cold([router_cli, "route", TEXT], args.cold_runs)
    rows.append(
        (
            "cold process",
            f"{c_import:.2f} s (import sentence_transformers)",
            f"{c_route:.2f} s (router route)",
            f"{c_route / c_import:.2f}x time",
        )
    )

    print("| measurement | bare encoder | router | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
