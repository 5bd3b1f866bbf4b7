"""Cost of the decision log: `route()` and `route_batch()` with and without logging, medians and ratio.

The issue's budget: logging costs at most 10% of `route()` time (ratio <= 1.10x). Both routers share
the shipped model and the loaded encoder; runs are interleaved so machine drift hits both alike.

With `--log postgresql://...` the log is that PostgreSQL database (it should be empty or throwaway:
the rows stay); by default a temporary SQLite file.

Run: .venv/bin/python benchmarks/decision_log.py [--runs 300] [--backend auto|onnx|torch] [--log URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from latency import interleaved  # same folder: run as `python benchmarks/decision_log.py`

from router import load_router
from router.dataset.examples import load_examples
from router.decision_log.backends import is_postgres, open_log

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Add rate limiting to the public REST API and return 429 with a Retry-After header"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    parser.add_argument("--log", default=None, help="a postgresql:// URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    texts = [ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")][: args.batch]
    with tempfile.TemporaryDirectory() as tmp:
        log = args.log or str(Path(tmp) / "decisions.db")
        plain = load_router(backend=args.backend, log=None)
        logged = load_router(backend=args.backend, log=log)
        for _ in range(20):
            plain.route(TEXT)
            logged.route(TEXT)
        assert logged.route(TEXT).decision_id is not None
        one = interleaved(lambda: plain.route(TEXT), lambda: logged.route(TEXT), args.runs)
        many = interleaved(lambda: plain.route_batch(texts), lambda: logged.route_batch(texts), max(5, args.runs // 10))
        sink = open_log(log)
        start = time.perf_counter()
        rows = sum(1 for _ in sink.all())
        read = time.perf_counter() - start
        where = (
            "PostgreSQL"
            if is_postgres(log)
            else f"SQLite, {sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6:.1f} MB with WAL"
        )
    runtime = type(plain.model.encoder).__name__
    print(f"encoder runtime: {runtime}; {args.runs} interleaved runs; {rows} rows logged ({where})")
    print(f"reading them all back (review's query): {read * 1e3:.0f} ms")
    print("| measurement | no log | with log | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| route(), one text | {one[0] * 1e3:.2f} ms | {one[1] * 1e3:.2f} ms | {one[1] / one[0]:.3f}x |")
    print(
        f"| route_batch(), {len(texts)} texts | {many[0] * 1e3:.1f} ms | {many[1] * 1e3:.1f} ms "
        f"| {many[1] / many[0]:.3f}x |"
    )


if __name__ == "__main__":
    main()
