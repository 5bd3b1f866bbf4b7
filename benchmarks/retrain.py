"""Cost of `router retrain` after 100 new labels, against the same retrain with an empty embedding cache.

Set-up (not timed): a copy of `data/` and of the shipped model registry in a temporary folder, 100 new
labels (training texts with a ticket number appended, so they are new texts with known labels)
imported into `data/feedback/`, and an embedding cache that already holds the base data, as it does
after `router train`. Then, in one process with the encoder loaded once, each retrain is timed:
"incremental" embeds only the new texts; "full" starts from an empty cache and embeds everything.

Run: .venv/bin/python benchmarks/retrain.py [--labels 100] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from router.artifacts.locations import PACKAGED_MODEL as SHIPPED_MODEL
from router.dataset.examples import SPLITS, load_examples
from router.encoders.cache import EmbeddingCache
from router.encoders.embedder import SentenceEmbedder
from router.encoders.sentence_transformer import encoder_id
from router.loop.feedback import import_labels
from router.loop.retrain import RetrainConfig, retrain
from router.settings import DEFAULT_ENCODER

ROOT = Path(__file__).resolve().parent.parent


def cached(cache_dir: Path) -> int:
    return len(EmbeddingCache(cache_dir, encoder_id(DEFAULT_ENCODER)).load())


def timed_retrain(root: Path, data: Path, cache_dir: Path) -> tuple[float, int, dict]:
    before = cached(cache_dir)
    start = time.perf_counter()
    summary = retrain(RetrainConfig(model=root, data_dir=data, cache_dir=str(cache_dir), onnx=False, tolerance=1.0))
    seconds = time.perf_counter() - start
    return seconds, cached(cache_dir) - before, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        for split in SPLITS:
            shutil.copy(ROOT / "data" / f"{split}.jsonl", data)
        shutil.copytree(ROOT / "data" / "agents", data / "agents")
        train = load_examples(data / "train.jsonl")
        step = len(train) // args.labels
        new = [
            {"text": f"{ex.text} (ticket {4000 + i})", "label": ex.label, "criteria": list(ex.criteria)}
            for i, ex in enumerate(train[::step][: args.labels])
        ]
        (work / "new.jsonl").write_text("".join(json.dumps(r) + "\n" for r in new))
        assert len(import_labels(work / "new.jsonl", data).added) == args.labels

        warm = work / "cache-warm"
        base = [ex.text for split in SPLITS for ex in load_examples(data / f"{split}.jsonl")]
        SentenceEmbedder(DEFAULT_ENCODER, cache_dir=str(warm)).transform(base)  # as after `router train`

        rows: dict[str, list[tuple[float, int]]] = {"incremental": [], "full": []}
        for run in range(args.runs):
            for kind in ("incremental", "full") if run % 2 == 0 else ("full", "incremental"):
                root = work / f"models-{kind}-{run}"
                shutil.copytree(SHIPPED_MODEL, root, ignore=shutil.ignore_patterns(".lock"))
                cache = work / f"cache-{kind}-{run}"
                if kind == "incremental":
                    shutil.copytree(warm, cache)
                seconds, embedded, summary = timed_retrain(root, data, cache)
                rows[kind].append((seconds, embedded))
                print(f"{kind} run {run}: {seconds:.1f} s, {embedded} texts embedded, {summary['new_labels']}")

    inc = statistics.median(s for s, _ in rows["incremental"])
    full = statistics.median(s for s, _ in rows["full"])
    print(f"\n{args.labels} new labels on {len(train)} training examples; median of {args.runs} run(s)")
    print("| retrain | texts embedded | seconds | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| after {args.labels} new labels (warm cache) | {rows['incremental'][0][1]} | {inc:.1f} | {inc / full:.2f}x |"
    )
    print(f"| full (empty embedding cache) | {rows['full'][0][1]} | {full:.1f} | 1.00x |")


if __name__ == "__main__":
    main()
