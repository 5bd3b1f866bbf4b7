"""Candidate models on the transfer proxy, the test split and (when present) real requests, in one table.

For each candidate the whole pipeline is trained on `data/` (train; threshold, band and criteria cut on
dev), saved to a temporary folder and loaded like any model. Then:

- the transfer proxy (`router eval --transfer`): whole kinds, whole writing passes, and the scenario voice
  held out, ROC-AUC with a bootstrap interval;
- the test split and the real requests: F1, precision, recall and ROC-AUC with bootstrap intervals;
- throughput of `route_batch` on the test texts, for the runtime the candidate serves with.

The real requests are for measurement only: nothing here tunes on them.

Run: .venv/bin/python benchmarks/candidates.py [--real ../shared/eval/real_dev.jsonl] [--out reports/candidates.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from loopback import batch_throughput  # same folder: run as `python benchmarks/candidates.py`

from router import load_router
from router.dataset.examples import SPLITS, load_examples
from router.encoders.embedder import SentenceEmbedder
from router.evaluation.metrics import binary_metrics
from router.evaluation.stats import bootstrap_ci
from router.settings import embedding_cache_dir
from router.training.config import TrainConfig
from router.training.describe import describe
from router.training.fit import fit, load_training_data
from router.training.save import save
from router.training.selection import chosen_classifier
from router.training.transfer import transfer_proxy

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    "v0003 pipeline: RBF SVM (auto by CV), MiniLM fp32": {"classifier": "auto", "encoder_runtime": "fp32"},
    "RBF SVM + nearest-examples vote, MiniLM fp32": {"classifier": "svm-knn", "encoder_runtime": "fp32"},
    "RBF SVM + nearest-examples vote, MiniLM int8 (ONNX, trained as served)": {
        "classifier": "svm-knn",
        "encoder_runtime": "onnx-int8",
    },
    "logistic regression, MiniLM fp32": {"classifier": "logreg", "encoder_runtime": "fp32"},
}


def scored(router, examples) -> dict:
    y = np.array([ex.label for ex in examples])
    p = router.probabilities([ex.text for ex in examples])
    m = binary_metrics(y, p, router.threshold)
    ci = bootstrap_ci(y, p, p >= router.threshold)
    return {"metrics": {k: m[k] for k in ("n", "precision", "recall", "f1", "roc_auc", "brier")}, "intervals": ci}


def run(name: str, spec: dict, real: list | None, cache: str) -> dict:
    config = TrainConfig(cache_dir=cache, classifier=spec["classifier"], encoder_runtime=spec["encoder_runtime"])
    data = load_training_data(config)
    fitted = fit(config, data)
    meta = describe(fitted, data, config)
    pooled = [ex for split in SPLITS for ex in data.splits[split]]
    X = SentenceEmbedder(config.encoder, cache_dir=cache, runtime=config.encoder_runtime).transform(
        [ex.text for ex in pooled]
    )
    proxy = transfer_proxy(pooled, X, chosen_classifier(meta.classifier))  # unfitted: refit per fold
    with tempfile.TemporaryDirectory() as folder:
        save(fitted, meta, Path(folder) / "model")
        router = load_router(Path(folder) / "model", backend="onnx")
        result = {
            "candidate": name,
            **spec,
            "chosen": dict(meta.classifier),
            "threshold": meta.threshold,
            "band": [meta.band.low, meta.band.high],
            "criteria_dev": meta.metrics["criteria_dev"],
            "proxy": {s: proxy[s]["roc_auc"] for s in ("kinds", "passes", "voice")} | {"mean": proxy["mean_roc_auc"]},
            "test": scored(router, data.splits["test"]),
            "real": scored(router, real) if real else None,
            "texts_per_s": batch_throughput(router, [ex.text for ex in data.splits["test"]][:256]),
        }
    return result


def ci(entry: dict, key: str) -> str:
    c = entry["intervals"][key]
    return f"{c['value']:.3f} [{c['low']:.3f}, {c['high']:.3f}]"


def table(results: list[dict]) -> str:
    columns = ["candidate", "proxy kinds", "proxy passes", "proxy voice", "test F1", "test ROC-AUC"]
    columns += ["real F1", "real P", "real R", "real ROC-AUC", "texts/s"]
    head = "| " + " | ".join(columns) + " |"
    lines = [head, "| --- " * 11 + "|"]
    for r in results:
        p = r["proxy"]
        real = r["real"]
        cells = [
            r["candidate"],
            *(f"{p[s]['value']:.3f} [{p[s]['low']:.3f}, {p[s]['high']:.3f}]" for s in ("kinds", "passes", "voice")),
            ci(r["test"], "f1"),
            ci(r["test"], "roc_auc"),
            ci(real, "f1") if real else "-",
            ci(real, "precision") if real else "-",
            ci(real, "recall") if real else "-",
            ci(real, "roc_auc") if real else "-",
            f"{r['texts_per_s']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "eval" / "real_dev.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "candidates.json")
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    args = parser.parse_args()
    real = load_examples(args.real) if args.real.is_file() else None
    cache = str(embedding_cache_dir())
    results = [run(name, spec, real, cache) for name, spec in CANDIDATES.items() if not args.only or name in args.only]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
