"""`router score` on a local Ray against `router route --input`: the same rows, throughput ratio, 1 vs 2 actors.

Each run is a fresh CLI process on the shipped model (ONNX), timed end to end as a user sees it: start-up,
Ray start and actor start included. `router score` also reports its own pass time (read, route, write,
after Ray is up); with one actor, rows over that time is the per-actor rate a cluster multiplies. Runs
are interleaved (route, score x1, score x2, then again) so drift on a shared machine hits all alike;
figures are medians over the repeats. The issue's bar: on two cores `router score` may lose at most 25%
against `route --input` (ratio >= 0.75). Outputs are checked to be the same lines.

Run: .venv/bin/python benchmarks/score.py [--rows 20000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTER = [sys.executable, "-m", "router"]


def rows(n: int) -> list[dict]:
    """`n` shipped texts with ids, cycling through train, dev and test."""
    texts = []
    for split in ("train", "dev", "test"):
        lines = (ROOT / "data" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        texts += [json.loads(line)["text"] for line in lines]
    return [{"id": f"r{i:06d}", "text": texts[i % len(texts)]} for i in range(n)]


def wall(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    env_note = f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at start"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "rows.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in rows(args.rows)), encoding="utf-8")
        subprocess.run([*ROUTER, "prepare"], check=True, capture_output=True)  # the ONNX export, once
        walls: dict[str, list[float]] = {"route": [], "score1": [], "score2": []}
        passes: dict[str, list[float]] = {"score1": [], "score2": []}
        for _ in range(args.repeat):
            ref = Path(tmp) / "ref.jsonl"
            seconds, _ = wall([*ROUTER, "route", "--input", str(src), "--output", str(ref)])
            walls["route"].append(seconds)
            for actors in (1, 2):
                out = Path(tmp) / f"out{actors}"
                shutil.rmtree(out, ignore_errors=True)
                cmd = [*ROUTER, "score", "--input", str(src), "--output", str(out)]
                cmd += ["--num-actors", str(actors), "--batch-size", str(args.batch_size)]
                seconds, stdout = wall(cmd)
                walls[f"score{actors}"].append(seconds)
                passes[f"score{actors}"].append(json.loads(stdout)["seconds"])
                got = [line for f in sorted(out.iterdir()) for line in f.read_text(encoding="utf-8").splitlines()]
                assert got == ref.read_text(encoding="utf-8").splitlines(), "router score differs from route --input"
    n = args.rows
    rate = {k: n / statistics.median(v) for k, v in walls.items()}
    pass_rate = {k: n / statistics.median(v) for k, v in passes.items()}
    print(f"{n} rows, shipped model (ONNX), {args.repeat} interleaved repeats, medians; {env_note}")
    print("outputs: identical lines (router score == router route --input)")
    print("| command | wall s | rows/s (wall) | rows/s (pass, Ray up) | vs route --input |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| route --input | {n / rate['route']:.1f} | {rate['route']:.1f} | - | 1.00x |")
    for actors in (1, 2):
        k = f"score{actors}"
        print(
            f"| score, {actors} actor{'s' if actors > 1 else ''} | {n / rate[k]:.1f} | {rate[k]:.1f} "
            f"| {pass_rate[k]:.1f} | {rate[k] / rate['route']:.2f}x |"
        )
    print(
        f"2 actors vs 1: {rate['score2'] / rate['score1']:.2f}x (wall), "
        f"{pass_rate['score2'] / pass_rate['score1']:.2f}x (pass)"
    )
    print(
        f"per-actor rate (1 actor, 1 CPU, pass): {pass_rate['score1']:.0f} rows/s; a cluster of N such actors "
        f"scores about N x {pass_rate['score1']:.0f} rows/s (1M rows: {1e6 / pass_rate['score1'] / 3600:.1f} "
        "actor-hours)"
    )
    ratio = rate["score2"] / rate["route"]
    print(
        f"bar: score (2 actors, the default here) / route --input = {ratio:.2f} (must be >= 0.75): "
        f"{'ok' if ratio >= 0.75 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
