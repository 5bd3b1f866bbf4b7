"""Latency of routing, in one process: medians, and ratios against the bare encoder.

For each encoder runtime (sentence-transformers "torch" and the ONNX export "onnx"): a warm single
`route()` against a bare `encoder.encode([text])`, and `route_batch` throughput against a bare batch
`encode`. Then cold processes: `router route "..."` (wall time and peak RSS) against
`python -c "import sentence_transformers"`, and whether both runtimes give the same decisions on
`data/test.jsonl`.

Run: .venv/bin/python benchmarks/latency.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from router import Router, load_router
from router.dataset.examples import load_examples

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Add rate limiting to the public REST API and return 429 with a Retry-After header"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(a, b, runs: int) -> tuple[float, float]:
    """Medians of two functions run alternately, so drift on a noisy machine hits both alike."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(timed(a))
        tb.append(timed(b))
    return statistics.median(ta), statistics.median(tb)


# A small launcher, so the measured child does not inherit this big process's RSS through fork.
LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def cold(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of a fresh process."""
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], check=True, capture_output=True, text=True)
        wall, peak = (float(v) for v in out.stdout.split())
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), statistics.median(peaks)


def warm_rows(router: Router, name: str, texts: list[str], runs: int) -> list[tuple[str, ...]]:
    encoder = router.embedder.encoder

    def bare_one():
        encoder.encode([TEXT], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    def bare_batch():
        encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    for _ in range(10):
        bare_one()
        router.route(TEXT)
    b, r = interleaved(bare_one, lambda: router.route(TEXT), runs)
    bb, rb = interleaved(bare_batch, lambda: router.route_batch(texts), max(3, runs // 40))
    short = [t for t in texts if len(t.split()) <= 20]
    sr = statistics.median(timed(lambda: router.route_batch(short)) for _ in range(max(3, runs // 40)))
    n = len(texts)
    return [
        (f"{name}: warm single text", f"{b * 1e3:.2f} ms", f"{r * 1e3:.2f} ms", f"{r / b:.3f}x time"),
        (f"{name}: batch of {n} test texts (texts/s)", f"{n / bb:.0f}", f"{n / rb:.0f}", f"{bb / rb:.3f}x throughput"),
        (f"{name}: batch of the {len(short)} of them with <= 20 words (texts/s)", "-", f"{len(short) / sr:.0f}", "-"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--only", choices=["torch", "onnx"], help="(internal) warm rows of one runtime")
    args = parser.parse_args()
    test = [ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")]
    if args.only:  # one runtime per process: torch's and onnxruntime's thread pools would fight
        for row in warm_rows(load_router(backend=args.only), args.only, test[: args.batch], args.runs):
            print("\t".join(row))
        return

    router_cli = str(Path(sys.executable).with_name("router"))
    imp, imp_rss = cold([sys.executable, "-c", "import sentence_transformers"], args.cold_runs)
    cli, cli_rss = cold([router_cli, "route", TEXT], args.cold_runs)

    rows = []
    for backend in ("torch", "onnx"):
        cmd = [sys.executable, __file__, "--only", backend, "--runs", str(args.runs), "--batch", str(args.batch)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows += [tuple(line.split("\t")) for line in out.splitlines() if line.count("\t") == 3]
    onnx, torch = load_router(backend="onnx"), load_router(backend="torch")
    rows.append(
        (
            "cold process: wall",
            f"{imp:.2f} s (import sentence_transformers)",
            f"{cli:.2f} s (router route)",
            f"{cli / imp:.2f}x time",
        )
    )
    rows.append(("cold process: peak RSS", f"{imp_rss:.0f} MB", f"{cli_rss:.0f} MB", f"{cli_rss / imp_rss:.2f}x"))

    a, b = onnx.route_batch(test), torch.route_batch(test)
    same = sum(x.delegate == y.delegate and x.uncertain == y.uncertain for x, y in zip(a, b))
    diff = max(abs(x.probability - y.probability) for x, y in zip(a, b))
    rows.append(("decisions on data/test", "torch", "onnx", f"{same}/{len(test)} identical (max |dp| {diff:.1e})"))

    print("| measurement | baseline | router | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
