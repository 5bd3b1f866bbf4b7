"""Latency of routing, in one process: medians, and ratios against the bare encoder.

For each encoder runtime (sentence-transformers "torch" and the ONNX export "onnx"): a warm single
`route()` against a bare `encoder.encode([text])`, and `route_batch` throughput against a bare batch
`encode`; the int8 ONNX encoder's batch throughput against the fp32 one. Then cold processes against
`python -c "import sentence_transformers"`: the first `router route` on an empty cache (it makes the ONNX
export once), every later `router route`, a `router hook claude` routing in-process and one a `router serve`
answers, `router --help`, and `import router` against a bare interpreter (wall time, peak RSS); and
whether both runtimes give the same decisions on `data/test.jsonl`.

Run: .venv/bin/python benchmarks/latency.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopback import running_server  # same folder: run as `python benchmarks/latency.py`

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
import os, resource, subprocess, sys, time
stdin = open(os.environ["BENCH_STDIN"]) if os.environ.get("BENCH_STDIN") else subprocess.DEVNULL
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""
EVENT = {"session_id": "bench", "hook_event_name": "UserPromptSubmit", "prompt": TEXT}


def cold(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of a fresh process."""
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *cmd], check=True, capture_output=True, text=True, env=env
        )
        wall, peak = (float(v) for v in out.stdout.split())
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), statistics.median(peaks)


def warm_rows(router: Router, name: str, texts: list[str], runs: int) -> list[tuple[str, ...]]:
    encoder = router.model.encoder

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


def int8_row(texts: list[str], runs: int) -> tuple[str, ...]:
    """Batch throughput of the int8 ONNX encoder against the fp32 one, interleaved in this process."""
    from router.encoders.onnx import load_onnx
    from router.encoders.sentence_transformer import encoder_id
    from router.settings import DEFAULT_ENCODER

    key = encoder_id(DEFAULT_ENCODER)
    fp32, int8 = load_onnx(DEFAULT_ENCODER, key, "fp32"), load_onnx(DEFAULT_ENCODER, key, "onnx-int8")
    a, b = interleaved(lambda: fp32.encode(texts), lambda: int8.encode(texts), runs)
    n = len(texts)
    return (
        f"onnx-int8 encoder: batch of {n} (texts/s)",
        f"{n / a:.0f} (fp32)",
        f"{n / b:.0f}",
        f"{a / b:.2f}x throughput",
    )


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
    with tempfile.TemporaryDirectory() as empty:  # right after an install: no ONNX export yet
        first, _ = cold([router_cli, "route", TEXT], 1, {**os.environ, "ROUTER_CACHE_DIR": empty})
    cli, cli_rss = cold([router_cli, "route", TEXT], args.cold_runs)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as event:
        event.write(json.dumps(EVENT))
        event.flush()
        hook_env = {**os.environ, "BENCH_STDIN": event.name, "ROUTER_HOOK_SERVER": "off"}
        hook, hook_rss = cold([router_cli, "hook", "claude"], args.cold_runs, hook_env)
        with running_server(None) as (url, _):  # a `router serve` on loopback answers the hook
            served, _ = cold([router_cli, "hook", "claude"], args.cold_runs, {**hook_env, "ROUTER_HOOK_SERVER": url})
    help_, _ = cold([router_cli, "--help"], args.cold_runs)
    bare, _ = cold([sys.executable, "-c", "pass"], args.cold_runs)
    light, _ = cold([sys.executable, "-c", "import router"], args.cold_runs)

    rows = []
    for backend in ("torch", "onnx"):
        cmd = [sys.executable, __file__, "--only", backend, "--runs", str(args.runs), "--batch", str(args.batch)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows += [tuple(line.split("\t")) for line in out.splitlines() if line.count("\t") == 3]
    onnx, torch = load_router(backend="onnx"), load_router(backend="torch")
    rows.append(int8_row(test[: args.batch], max(3, args.runs // 40)))
    base = f"{imp:.2f} s (import sentence_transformers)"
    rows += [
        ("cold: first router route after install (empty cache)", base, f"{first:.2f} s", f"{first / imp:.2f}x time"),
        ("cold: router route (export cached)", base, f"{cli:.2f} s", f"{cli / imp:.2f}x time"),
        ("cold: router hook claude", base, f"{hook:.2f} s", f"{hook / imp:.2f}x time"),
        ("cold: router hook claude, a router serve answering", base, f"{served:.2f} s", f"{served / imp:.2f}x time"),
        ("cold: router --help (CLI start-up)", base, f"{help_:.2f} s", f"{help_ / imp:.2f}x time"),
        ("cold: python -c 'import router' over bare python", f"{bare:.3f} s", f"{light:.3f} s", f"{light / bare:.2f}x"),
        ("cold: peak RSS of router route", f"{imp_rss:.0f} MB", f"{cli_rss:.0f} MB", f"{cli_rss / imp_rss:.2f}x"),
        (
            "cold: peak RSS of router hook claude",
            f"{imp_rss:.0f} MB",
            f"{hook_rss:.0f} MB",
            f"{hook_rss / imp_rss:.2f}x",
        ),
    ]

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
