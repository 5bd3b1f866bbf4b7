"""Two models on the same requests: metric deltas with paired bootstrap intervals and McNemar's test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from router.core.heads import one_blas_thread
from router.core.router import Router
from router.dataset.examples import Example
from router.evaluation.metrics import binary_metrics
from router.evaluation.render import METRIC_LABELS, fmt
from router.evaluation.scoring import BATCH, probabilities
from router.evaluation.stats import N_BOOT, SEED, mcnemar, paired_bootstrap


def compare(
    a: Router, b: Router, examples: list[Example], data_name: str, n_boot: int = N_BOOT, seed: int = SEED
) -> dict[str, Any]:
    """Metrics of A and B, deltas B - A with 95% paired intervals, and McNemar's exact test."""
    y = np.array([ex.label for ex in examples])
    pa, pb = paired_probabilities(a, b, examples)
    da, db = (pa >= a.threshold).astype(int), (pb >= b.threshold).astype(int)
    return {
        "data": {"name": data_name, "n": len(examples), "positives": int(y.sum())},
        "a": {
            "path": str(a.path),
            "model_version": a.metadata.model_version,
            **binary_metrics(y, pa, a.threshold),
        },
        "b": {
            "path": str(b.path),
            "model_version": b.metadata.model_version,
            **binary_metrics(y, pb, b.threshold),
        },
        "deltas": paired_bootstrap(y, (pa, da), (pb, db), n_boot, seed),
        "mcnemar": mcnemar(y, da, db),
        "bootstrap": {"n": n_boot, "seed": seed, "level": 0.95, "method": "percentile"},
    }


def paired_probabilities(a: Router, b: Router, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Each router's probabilities, as `scoring.probabilities` gives them, each text embedded once.

    When both models run the same loaded encoder, each batch is embedded once and both delegate heads
    score it: the same numbers as scoring each router on its own, half the encoding.
    """
    ma, mb = a.model, b.model  # one version each throughout, even during a reload
    if ma.encoder is not mb.encoder:
        return probabilities(a, examples), probabilities(b, examples)
    texts = [ex.text for ex in examples]
    pa, pb = [], []
    for i in range(0, len(texts), BATCH):
        X = ma.embed(texts[i : i + BATCH])  # texts checked when the examples were read
        with one_blas_thread():
            pa.append(np.asarray(ma.delegate.proba(X), dtype=float))
            pb.append(np.asarray(mb.delegate.proba(X), dtype=float))
    return (np.concatenate(pa), np.concatenate(pb)) if texts else (np.zeros(0), np.zeros(0))


def compare_markdown(result: dict[str, Any]) -> str:
    """The comparison as a short Markdown page."""
    a, b, d, mc = result["a"], result["b"], result["deltas"], result["mcnemar"]
    lines = [
        "# Model comparison",
        "",
        f"A = {a['model_version']} ({a['path']}), B = {b['model_version']} ({b['path']}), "
        f"on {result['data']['name']} ({result['data']['n']} requests, {result['data']['positives']} positives).",
        "",
        "| metric | A | B | B - A | 95% CI of B - A |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, label in METRIC_LABELS.items():
        row = d[key]
        ci = "-" if row["low"] is None else f"[{row['low']:+.3f}, {row['high']:+.3f}]"
        delta = "-" if row["delta"] is None else f"{row['delta']:+.3f}"
        lines.append(f"| {label} | {fmt(row['a'])} | {fmt(row['b'])} | {delta} | {ci} |")
    lines += [
        "",
        f"McNemar's exact test on the paired decisions: {mc['a_only']} requests only A gets right, "
        f"{mc['b_only']} only B gets right, p = {mc['p_value']:.3g}.",
        "",
    ]
    return "\n".join(lines)


def write_compare(result: dict[str, Any], folder: Path) -> None:
    """Write `compare.json` and `compare.md` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compare.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (folder / "compare.md").write_text(compare_markdown(result), encoding="utf-8")
