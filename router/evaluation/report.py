"""The offline evaluation report: metrics with intervals, slices, baselines, errors and figures.

`collect` measures everything into one JSON-ready dict (a superset of `router eval`'s output);
`write_report` draws the figures and writes `metrics.json`, `report.md` and a self-contained
`report.html` into a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from router.core.router import Router
from router.dataset.agent import agent_file, parse_agent
from router.dataset.examples import Example, data_hash, load_examples, resolve_data
from router.encoders.cache import EmbeddingCache, embed_cached
from router.evaluation.baselines import BaselineResult, Embed, median_latency_ms, run_baselines
from router.evaluation.figures import FIGURES
from router.evaluation.scoring import score, summarize, unlogged
from router.evaluation.slices import criteria_recall, errors, slices, subsets
from router.evaluation.stats import N_BOOT, SEED, bootstrap_ci, ece, mcnemar, paired_bootstrap, reliability_bins
from router.settings import DATA_DIR

TOP_ERRORS = 12
#: Latencies within 10% of each other are reported as the same speed.
SAME_SPEED = 0.1
LABELS = {"f1": "F1", "precision": "precision", "recall": "recall", "roc_auc": "ROC-AUC"}


@dataclass(frozen=True)
class ReportConfig:
    """What a report is built from, beyond the model and the examples."""

    data_name: str = "test"
    data_dir: Path = DATA_DIR
    baselines: bool = True
    n_boot: int = N_BOOT
    seed: int = SEED
    cache_dir: str | None = None
    top_errors: int = TOP_ERRORS


@dataclass
class Evaluation:
    """The arrays behind a report (for its figures) and the report's JSON."""

    y: np.ndarray
    p: np.ndarray
    threshold: float
    band: tuple[float, float]
    baselines: list[BaselineResult]
    metrics: dict[str, Any] = field(default_factory=dict)


def baseline_rows(
    y: np.ndarray,
    model: tuple[np.ndarray, np.ndarray],
    model_row: dict[str, Any],
    baselines: list[BaselineResult],
    cfg: ReportConfig,
) -> list[dict[str, Any]]:
    """The headline table: the model, then each baseline with its paired F1 delta and McNemar p-value.

    `model` is the model's (scores, decisions) on the same rows.
    """
    rows = [{"name": "Router (this model)", **model_row}]
    for b in baselines:
        intervals = bootstrap_ci(y, b.scores, b.decisions, cfg.n_boot, cfg.seed)
        paired = paired_bootstrap(y, (b.scores, b.decisions), model, cfg.n_boot, cfg.seed)
        rows.append(
            {
                "name": b.name,
                **{m: v["value"] for m, v in intervals.items()},
                "intervals": intervals,
                "latency_ms": b.latency_ms,
                "rule": b.rule,
                "model_minus_baseline": paired,
                "mcnemar": mcnemar(y, b.decisions, model[1]),
            }
        )
    return rows


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Plain sentences naming every place where a baseline is level with or ahead of the model."""
    model, out = rows[0], []
    for row in rows[1:]:
        for m, label in LABELS.items():
            ours, theirs = model[m], row[m]
            if ours is None or theirs is None or theirs < ours:
                continue
            if theirs > ours:
                out.append(f"{row['name']} has higher {label} than the model ({theirs:.3f} vs {ours:.3f}).")
            else:
                out.append(f"{row['name']} has the same {label} as the model ({ours:.3f}).")
        ms = f"({row['latency_ms']:.2f} ms vs {model['latency_ms']:.2f} ms per request)"
        if row["latency_ms"] < (1 - SAME_SPEED) * model["latency_ms"]:
            out.append(f"{row['name']} answers faster than the model {ms}.")
        elif row["latency_ms"] <= (1 + SAME_SPEED) * model["latency_ms"]:
            out.append(f"{row['name']} answers about as fast as the model {ms}.")
        f1 = row["model_minus_baseline"]["f1"]
        if f1["delta"] is not None and f1["delta"] > 0 and f1["low"] is not None and f1["low"] <= 0:
            out.append(
                f"The model's F1 lead over {row['name']} (+{f1['delta']:.3f}) is not significant: the 95% "
                f"interval of the difference [{f1['low']:+.3f}, {f1['high']:+.3f}] includes 0."
            )
    return out


def _embedders(router: Router, cache_dir: str | None) -> tuple[Embed, Embed]:
    """Batch embedding (through an on-disk cache when given) and uncached single-request embedding.

    The cache is keyed by the model's encoder id and the runtime class (ONNX or torch vectors differ
    slightly), so the baselines see the vectors the router itself computes.
    """

    def embed_one(texts: list[str]) -> np.ndarray:
        return np.asarray(router.embed(texts), dtype=np.float64)

    if cache_dir is None:
        return embed_one, embed_one
    runtime = type(router.model.encoder).__name__
    cache = EmbeddingCache(cache_dir, f"{router.metadata.encoder.id}|{router.metadata.encoder.runtime}|{runtime}")

    def embed(texts: list[str]) -> np.ndarray:
        return embed_cached(cache, texts, embed_one).astype(np.float64)

    return embed, embed_one


def _baselines(
    router: Router, texts: list[str], X: np.ndarray, cfg: ReportConfig, notes: list[str]
) -> list[BaselineResult]:
    spec = parse_agent(agent_file(cfg.data_dir, router.metadata.agent))
    train = load_examples(resolve_data("train", cfg.data_dir))
    dev = load_examples(resolve_data("dev", cfg.data_dir))
    if data_hash(train) != router.metadata.training_hash:
        notes.append(
            f"The baselines' train split ({cfg.data_dir}/train.jsonl) is not the one this model was trained on."
        )
    if cfg.data_name in ("train", "dev"):
        notes.append(f"Evaluated on {cfg.data_name}: baselines train or tune on it, so their numbers are optimistic.")
    embed, embed_one = _embedders(router, cfg.cache_dir)
    return run_baselines(texts, X, spec, train, dev, embed, embed_one, cfg.seed)


def collect(router: Router, examples: list[Example], cfg: ReportConfig) -> Evaluation:
    """Measure everything the report shows (nothing is written to `router`'s decision log)."""
    scored = score(router, examples)
    decisions, p = scored.decisions, scored.p
    y = np.array([ex.label for ex in examples])
    pred = np.array([d.delegate for d in decisions])
    texts = [ex.text for ex in examples]
    metrics = summarize(router, examples, p)
    low, high = router.band.low, router.band.high
    kept = ~((p >= low) & (p < high))
    notes: list[str] = []
    baselines = _baselines(router, texts, scored.X, cfg, notes) if cfg.baselines else []
    intervals = bootstrap_ci(y, p, pred, cfg.n_boot, cfg.seed)
    model_row: dict[str, Any] = {m: v["value"] for m, v in intervals.items()}
    model_row.update(
        intervals=intervals,
        latency_ms=median_latency_ms(unlogged(router).route, texts),
        rule=f"shipped threshold {router.threshold:.2f} (tuned on dev at training)",
    )
    metrics.update(
        data={"name": cfg.data_name, "n": len(examples), "positives": int(y.sum())},
        model={"path": str(router.path), "threshold": router.threshold, "band": [low, high]},
        bootstrap={"n": cfg.n_boot, "seed": cfg.seed, "level": 0.95, "method": "percentile"},
        intervals=intervals,
        ece=ece(y, p),
        reliability=reliability_bins(y, p),
        abstention={
            "uncertain_share": float(1 - kept.mean()),
            "coverage": float(kept.mean()),
            "accuracy_decided": float((pred[kept] == y[kept]).mean()) if kept.any() else None,
            "accuracy_all": float((pred == y).mean()),
        },
        criteria_recall=criteria_recall(examples, decisions, router.metadata.criteria),
        slices=slices(examples, y, pred),
        subsets=subsets(examples, y, p, pred, cfg.n_boot, cfg.seed),
        errors=errors(examples, p, decisions, cfg.top_errors),
        notes=notes,
    )
    rows = baseline_rows(y, (p, pred), model_row, baselines, cfg)
    metrics["baselines"] = rows
    metrics["verdicts"] = verdicts(rows) if baselines else []
    return Evaluation(y, p, router.threshold, (low, high), baselines, metrics)


def draw(ev: Evaluation, out: Path) -> dict[str, str]:
    """Draw every figure into `out`; return file names by figure key."""
    from router.evaluation import figures as plots

    systems = {"Router (this model)": ev.p, **{b.name: b.scores for b in ev.baselines}}
    y, p, t, band = ev.y, ev.p, ev.threshold, ev.band
    both = len(np.unique(y)) == 2
    if both:
        plots.curves(y, systems, out / "curves.png")
    plots.reliability(y, p, out / "reliability.png")
    plots.histogram(y, p, t, band, out / "histogram.png")
    plots.confusion(y, (p >= t).astype(int), t, out / "confusion.png")
    plots.sweep(y, p, t, band, out / "sweep.png")
    plots.coverage(y, p, t, band, out / "coverage.png")
    plots.criteria_recall(ev.metrics["criteria_recall"], out / "criteria.png")
    return {key: f"{key}.png" for key in FIGURES if both or key != "curves"}


def write_report(ev: Evaluation, out: Path) -> dict[str, Any]:
    """Write the figures, `metrics.json`, `report.md` and `report.html` into `out`; return the metrics."""
    from router.evaluation.render import html, markdown

    out.mkdir(parents=True, exist_ok=True)
    ev.metrics["figures"] = draw(ev, out)
    (out / "metrics.json").write_text(json.dumps(ev.metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(ev.metrics), encoding="utf-8")
    (out / "report.html").write_text(html(ev.metrics, out), encoding="utf-8")
    return ev.metrics
