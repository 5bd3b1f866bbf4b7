"""The report's metrics as a document: one list of blocks, rendered to Markdown and to self-contained HTML.

Both renderings show the same sections and tables; the HTML inlines every figure as a base64 data URI.
"""

from __future__ import annotations

import base64
import html as htmllib
from pathlib import Path
from typing import Any

from router.evaluation.figures import FIGURES

Block = tuple[Any, ...]
TEXT_LIMIT = 300
METRIC_LABELS = {"f1": "F1", "precision": "Precision", "recall": "Recall", "roc_auc": "ROC-AUC"}


def fmt(value: Any, digits: int = 3) -> str:
    """A number rounded for a table; '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def interval(ci: dict[str, Any]) -> str:
    """'0.842 [0.80, 0.88]'."""
    if ci["low"] is None:
        return fmt(ci["value"])
    return f"{fmt(ci['value'])} [{ci['low']:.3f}, {ci['high']:.3f}]"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_LIMIT else flat[: TEXT_LIMIT - 1] + "…"


def headline(m: dict[str, Any]) -> list[Block]:
    """The model against each baseline, and the plain sentences saying where it is not ahead."""
    rows = []
    for r in m["baselines"]:
        paired = r.get("model_minus_baseline")
        delta = (
            "-"
            if paired is None
            else f"{paired['f1']['delta']:+.3f} [{paired['f1']['low']:+.3f}, {paired['f1']['high']:+.3f}]"
        )
        p_value = "-" if r.get("mcnemar") is None else f"{r['mcnemar']['p_value']:.3g}"
        rows.append(
            [r["name"], *(interval(r["intervals"][k]) for k in METRIC_LABELS), f"{r['latency_ms']:.2f}", delta, p_value]
        )
    headers = ["system", "F1 [95% CI]", "precision", "recall", "ROC-AUC", "median ms/request"]
    blocks: list[Block] = [("h2", "Headline: the model against the baselines")]
    blocks.append(("table", [*headers, "model - baseline F1", "McNemar p"], rows))
    rules = [f"{r['name']}: {r['rule']}" for r in m["baselines"]]
    blocks.append(("p", "How each system decides:"))
    blocks.append(("ul", rules))
    if len(m["baselines"]) > 1:
        blocks.append(("h3", "Where the model is not ahead"))
        blocks.append(
            ("ul", m["verdicts"])
            if m["verdicts"]
            else ("p", "The model is ahead of every baseline on F1, precision, recall, ROC-AUC and latency.")
        )
    return blocks


def metric_blocks(m: dict[str, Any]) -> list[Block]:
    """Point metrics with intervals, calibration and abstention, and the confidence subsets."""
    ci = m["intervals"]
    rows = [[METRIC_LABELS[k], fmt(ci[k]["value"]), fmt(ci[k]["low"]), fmt(ci[k]["high"])] for k in METRIC_LABELS]
    rows += [
        [name, fmt(m[key]), "-", "-"]
        for name, key in [("Accuracy", "accuracy"), ("PR-AUC", "pr_auc"), ("Brier", "brier"), ("ECE (10 bins)", "ece")]
    ]
    a = m["abstention"]
    blocks: list[Block] = [
        ("h2", "Metrics with 95% intervals"),
        ("table", ["metric", "value", "low", "high"], rows),
        (
            "p",
            f"Uncertain share {a['uncertain_share']:.1%}: accuracy {fmt(a['accuracy_decided'])} on the "
            f"{a['coverage']:.1%} the router decides, {fmt(a['accuracy_all'])} on all rows.",
        ),
    ]
    if m["subsets"]:
        rows = [
            [name, s["n"], s["positives"], *(interval(s["intervals"][k]) for k in METRIC_LABELS)]
            for name, s in m["subsets"].items()
        ]
        blocks += [
            ("h3", "By labeling confidence"),
            ("table", ["rows", "n", "positives", *METRIC_LABELS.values()], rows),
        ]
    return blocks


def figure_blocks(m: dict[str, Any]) -> list[Block]:
    """Every figure, each under its own heading."""
    blocks: list[Block] = [("h2", "Figures")]
    for key, file in m["figures"].items():
        blocks += [("h3", FIGURES[key]), ("img", file, FIGURES[key])]
    return blocks


def criteria_blocks(m: dict[str, Any]) -> list[Block]:
    """Recall per criterion: delegated, and named among the matched criteria."""
    rows = [[r["id"], r["n"], fmt(r["delegated"]), fmt(r["recall"])] for r in m["criteria_recall"]]
    return [("h2", "Criteria"), ("table", ["criterion", "positives", "delegated", "criterion among matched"], rows)]


def slice_blocks(m: dict[str, Any]) -> list[Block]:
    """One table per slicing field."""
    blocks: list[Block] = [("h2", "Slices")]
    if not m["slices"]:
        blocks.append(("p", "The data has no kind, source or source_kind field."))
    for name, groups in m["slices"].items():
        rows = [
            [v, g["n"], g["positives"], fmt(g["accuracy"]), fmt(g["precision"]), fmt(g["recall"]), fmt(g["f1"])]
            for v, g in groups.items()
        ]
        blocks += [
            ("h3", f"By {name}"),
            ("table", [name, "n", "positives", "accuracy", "precision", "recall", "F1"], rows),
        ]
    return blocks


def error_blocks(m: dict[str, Any]) -> list[Block]:
    """Error counts by kind, then the worst false positives and false negatives grouped by kind."""
    e = m["errors"]
    counts = [[k, c.get("false_positives", 0), c.get("false_negatives", 0)] for k, c in e["counts_by_kind"].items()]
    by = e["grouped_by"]
    blocks: list[Block] = [
        ("h2", "Errors"),
        ("p", f"Grouped by {by}; the worst {e['shown']} of each direction are listed."),
        ("table", [by, "false positives", "false negatives"], counts),
    ]
    for key, title in [("false_positives", "Worst false positives"), ("false_negatives", "Worst false negatives")]:
        blocks.append(("h3", title))
        if not e[key]:
            blocks.append(("p", "None."))
        for kind, items in e[key].items():
            rows = [
                [
                    _short(i["text"]),
                    f"{i['probability']:.3f}",
                    ", ".join(i["matched_criteria"]) or "-",
                    ", ".join(i["labeled_criteria"]) or "-",
                ]
                for i in items
            ]
            blocks += [("h4", kind), ("table", ["text", "probability", "matched criteria", "labeled criteria"], rows)]
    return blocks


def document(m: dict[str, Any]) -> list[Block]:
    """Every section of the report, in order."""
    d, model = m["data"], m["model"]
    intro = (
        f"Model {m['model_version']} ({model['path']}) on {d['name']}: {d['n']} requests, {d['positives']} positives. "
        f"Threshold {model['threshold']:.2f}, abstain band [{model['band'][0]:.2f}, {model['band'][1]:.2f}). "
        f"Intervals: {m['bootstrap']['n']} seeded bootstrap resamples (seed {m['bootstrap']['seed']}), percentile."
    )
    blocks: list[Block] = [("h1", "Evaluation report"), ("p", intro)]
    blocks += headline(m) + metric_blocks(m) + figure_blocks(m) + criteria_blocks(m) + slice_blocks(m) + error_blocks(m)
    if m["notes"]:
        blocks += [("h2", "Notes"), ("ul", m["notes"])]
    return blocks


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(m: dict[str, Any]) -> str:
    """The report as Markdown; figures referenced by file name."""
    return to_markdown(document(m))


def to_markdown(blocks: list[Block]) -> str:
    """Blocks (a whole document or one section) as Markdown."""
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3", "h4"):
            out.append("#" * int(kind[1]) + " " + block[1])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
        elif kind == "table":
            lines = ["| " + " | ".join(_md_cell(h) for h in block[1]) + " |", "|" + " --- |" * len(block[1])]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block[2]]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f7; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
h2 { border-bottom: 2px solid #dde; padding-bottom: 0.2em; margin-top: 1.6em; }
"""


def html(m: dict[str, Any], folder: Path) -> str:
    """The report as one self-contained HTML page: figures from `folder` inlined as data URIs."""
    esc = htmllib.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>Evaluation report</title>"]
    out.append(f"<style>{STYLE}</style></head><body>")
    for block in document(m):
        kind = block[0]
        if kind in ("h1", "h2", "h3", "h4", "p"):
            out.append(f"<{kind}>{esc(block[1])}</{kind}>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "img":
            data = base64.b64encode((folder / block[1]).read_bytes()).decode("ascii")
            out.append(f'<img src="data:image/png;base64,{data}" alt="{esc(block[2])}" data-file="{esc(block[1])}">')
        elif kind == "table":
            head = "".join(f"<th>{esc(str(h))}</th>" for h in block[1])
            body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in block[2])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
