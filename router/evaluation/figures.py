"""The report's figures as PNG files (matplotlib, Agg backend, imported only when a figure is drawn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from router.evaluation.metrics import rates
from router.evaluation.stats import ece, reliability_bins

DPI = 110
#: Every figure of the report, by key, with its title.
FIGURES = {
    "curves": "Precision-recall and ROC curves (model and baselines)",
    "reliability": "Reliability diagram",
    "histogram": "Scores by label",
    "confusion": "Confusion matrix at the shipped threshold",
    "sweep": "Threshold sweep",
    "coverage": "Coverage against accuracy",
    "criteria": "Recall per criterion",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)
    return path


def curves(y: np.ndarray, systems: dict[str, np.ndarray], path: Path) -> Path:
    """Precision-recall and ROC curves, one line per system (the model first)."""
    plt = _pyplot()
    fig, (pr, roc) = plt.subplots(1, 2, figsize=(11, 4.5))
    for i, (name, scores) in enumerate(systems.items()):
        style = {"linewidth": 2.4 if i == 0 else 1.2, "linestyle": "-" if i == 0 else "--"}
        precision, recall, _ = precision_recall_curve(y, scores)
        pr.plot(recall, precision, label=name, **style)
        fpr, tpr, _ = roc_curve(y, scores)
        roc.plot(fpr, tpr, label=name, **style)
    pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", xlim=(0, 1), ylim=(0, 1.02))
    roc.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC", xlim=(0, 1), ylim=(0, 1.02))
    roc.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def reliability(y: np.ndarray, p: np.ndarray, path: Path, bins: int = 10) -> Path:
    """Observed positive rate against mean probability per bin, with the ECE."""
    plt = _pyplot()
    table = reliability_bins(y, p, bins)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, label="perfect calibration")
    ax.plot([r["mean_proba"] for r in table], [r["positive_rate"] for r in table], "o-", label="model")
    for r in table:
        ax.annotate(
            str(r["n"]), (r["mean_proba"], r["positive_rate"]), fontsize=7, xytext=(3, -9), textcoords="offset points"
        )
    ax.set(xlabel="mean predicted probability", ylabel="observed share of positives", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(f"Reliability (ECE {ece(y, p, bins):.3f}; n per bin shown)")
    ax.legend(loc="upper left")
    return _save(fig, path)


def histogram(y: np.ndarray, p: np.ndarray, threshold: float, band: tuple[float, float], path: Path) -> Path:
    """Probability histograms of positives and negatives, threshold and abstain band marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    edges = np.linspace(0, 1, 41)
    ax.hist(p[y == 0], bins=edges, alpha=0.6, label="label 0")
    ax.hist(p[y == 1], bins=edges, alpha=0.6, label="label 1")
    ax.axvspan(*band, color="grey", alpha=0.2, label="abstain band")
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set(xlabel="probability", ylabel="requests", title="Scores by label")
    ax.legend()
    return _save(fig, path)


def confusion(y: np.ndarray, pred: np.ndarray, threshold: float, path: Path) -> Path:
    """Confusion matrix at the shipped threshold."""
    plt = _pyplot()
    cm = confusion_matrix(y, pred, labels=[0, 1])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(cm, cmap="Blues")
    for (i, j), value in np.ndenumerate(cm):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > cm.max() / 2 else "black")
    ax.set_xticks([0, 1], ["keep (0)", "delegate (1)"])
    ax.set_yticks([0, 1], ["label 0", "label 1"])
    ax.set(xlabel="decision", ylabel="truth", title=f"Confusion at threshold {threshold:.2f}")
    return _save(fig, path)


def sweep(y: np.ndarray, p: np.ndarray, threshold: float, band: tuple[float, float], path: Path) -> Path:
    """Precision, recall and F1 against the threshold, with the shipped threshold and band."""
    plt = _pyplot()
    grid = np.linspace(0.01, 0.99, 99)
    pred = p[None, :] >= grid[:, None]
    tp = (pred & (y == 1)).sum(1)
    precision, recall, f1 = rates(tp, pred.sum(1) - tp, y.sum() - tp)
    precision = np.where(pred.any(1), precision, np.nan)  # undefined with nothing delegated: no line drawn
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(grid, precision, label="precision")
    ax.plot(grid, recall, label="recall")
    ax.plot(grid, f1, label="F1", linewidth=2)
    ax.axvspan(*band, color="grey", alpha=0.2, label="abstain band")
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set(xlabel="threshold", ylabel="value", title="Threshold sweep", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower left")
    return _save(fig, path)


def coverage_curve(y: np.ndarray, p: np.ndarray, threshold: float) -> list[dict[str, float]]:
    """Coverage and accuracy of the kept decisions when |p - threshold| < w goes to the parent."""
    right = (p >= threshold).astype(int) == y
    distance = np.abs(p - threshold)
    out = []
    for w in np.linspace(0, 0.5, 51):
        kept = distance >= w
        out.append(
            {
                "width": float(w),
                "coverage": float(kept.mean()),
                "accuracy": float(right[kept].mean()) if kept.any() else 1.0,
            }
        )
    return out


def coverage(y: np.ndarray, p: np.ndarray, threshold: float, band: tuple[float, float], path: Path) -> Path:
    """Accuracy on the requests the router decides against the share it decides; the shipped band marked."""
    plt = _pyplot()
    curve = coverage_curve(y, p, threshold)
    kept = ~((p >= band[0]) & (p < band[1]))
    right = (p >= threshold).astype(int) == y
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(
        [c["coverage"] for c in curve],
        [c["accuracy"] for c in curve],
        ".-",
        label="symmetric band around the threshold",
    )
    shipped_acc = float(right[kept].mean()) if kept.any() else 1.0
    ax.plot([kept.mean()], [shipped_acc], "o", color="red", markersize=9, label="shipped band")
    ax.plot([1.0], [right.mean()], "s", color="black", label="no abstention")
    ax.set(xlabel="coverage (share decided by the router)", ylabel="accuracy on decided requests")
    ax.set_title("Coverage against accuracy (the uncertain band left to the parent)")
    ax.set_xlim(0, 1.02)
    ax.legend(loc="lower left")
    return _save(fig, path)


def criteria_recall(rows: list[dict[str, Any]], path: Path) -> Path:
    """Per criterion: share of its positives delegated, and share where it was among the matched criteria."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["delegated"] or 0 for r in rows], 0.4, label="delegated")
    ax.bar(x + 0.2, [r["recall"] or 0 for r in rows], 0.4, label="criterion among matched")
    ax.set_xticks(x, [f"{r['id']}\n(n={r['n']})" for r in rows], fontsize=8)
    ax.set(ylabel="share of positives", ylim=(0, 1.22), title="Recall per criterion")
    ax.legend(loc="upper center", ncol=2)
    return _save(fig, path)
