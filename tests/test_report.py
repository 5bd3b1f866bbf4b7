import base64
import json
import re
import shutil
import sqlite3
import subprocess

import numpy as np
import pytest
from PIL import Image

from router import load_router
from router.dataset.examples import load_examples
from router.evaluation.report import FIGURES, ReportConfig, collect, write_report
from router.evaluation.scoring import evaluate
from tests.contract import CONTRACT_IDS
from tests.jsonl import write_jsonl

SECTIONS = [
    "Headline: the model against the baselines",
    "Where the model is not ahead",
    "Metrics with 95% intervals",
    "By labeling confidence",
    "Figures",
    "Criteria",
    "Slices",
    "By kind",
    "By source_kind",
    "Errors",
    "Worst false positives",
    "Worst false negatives",
]
BASELINES = ["Keyword matching", "TF-IDF + LR", "Zero-shot similarity", "Nearest-examples vote"]


@pytest.fixture(scope="module")
def labeled(small_data, tmp_path_factory):
    """The small test split with a `confidence` and a `source_kind` field, as real_dev.jsonl has."""
    rows = [json.loads(line) for line in (small_data / "test.jsonl").read_text().splitlines()]
    for i, row in enumerate(rows):
        row["confidence"] = "high" if i % 3 else "low"
        row["source_kind"] = ["agents", "issues", "prompts"][i % 3]
    path = tmp_path_factory.mktemp("labeled") / "labeled.jsonl"
    write_jsonl(path, rows)
    return path


@pytest.fixture(scope="module")
def report(fake_model, small_data, labeled, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    config = ReportConfig(data_name="labeled", data_dir=small_data, n_boot=200)
    metrics = write_report(collect(load_router(fake_model), load_examples(labeled), config), out)
    return out, metrics


def test_report_files_are_complete(report):
    out, metrics = report
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert json.loads((out / "metrics.json").read_text()) == json.loads(json.dumps(metrics))
    assert set(metrics["figures"]) == set(FIGURES)
    for name in metrics["figures"].values():
        assert (out / name).stat().st_size > 5000
        assert f"]({name})" in md
        assert f'data-file="{name}"' in html
    assert sorted(re.findall(r"\]\(([\w.-]+\.png)\)", md)) == sorted(metrics["figures"].values())
    for title in SECTIONS:
        assert f"# {title}" in md
        assert f">{title}</h" in html
    for name in BASELINES:
        assert name in md and name in html


def test_html_is_self_contained_and_images_decode(report):
    out, metrics = report
    html = (out / "report.html").read_text()
    assert 'src="http' not in html and "href=" not in html
    uris = re.findall(r'src="data:image/png;base64,([^"]+)" alt="[^"]*" data-file="([^"]+)"', html)
    assert len(uris) == len(metrics["figures"])
    for data, name in uris:
        assert base64.b64decode(data) == (out / name).read_bytes()


def test_metrics_extend_the_eval_output(report, fake_model, labeled):
    _, metrics = report
    plain = evaluate(load_router(fake_model), load_examples(labeled))
    for key, value in plain.items():
        assert metrics[key] == value
    for name in ["f1", "precision", "recall", "roc_auc"]:
        ci = metrics["intervals"][name]
        assert ci["low"] <= ci["value"] <= ci["high"]
        assert ci["value"] == pytest.approx(metrics[name])
    assert 0 <= metrics["ece"] <= 1


def test_slices_and_confidence_subsets(report):
    _, metrics = report
    assert set(metrics["slices"]) == {"kind", "source", "source_kind"}
    assert set(metrics["slices"]["source_kind"]) == {"agents", "issues", "prompts"}
    assert sum(s["n"] for s in metrics["slices"]["kind"].values()) == metrics["n"]
    subsets = metrics["subsets"]
    assert list(subsets) == ["all", "confidence=high", "confidence=low"]
    assert subsets["all"]["n"] == metrics["n"] == 150
    assert subsets["confidence=high"]["n"] == 100
    assert subsets["all"]["f1"] == pytest.approx(metrics["f1"])


def test_baselines_table_and_verdicts(report):
    _, metrics = report
    rows = metrics["baselines"]
    assert [r["name"] for r in rows] == ["Router (this model)", *BASELINES]
    model = rows[0]
    for row in rows:
        assert row["latency_ms"] > 0 and row["rule"]
    for row in rows[1:]:
        assert row["model_minus_baseline"]["f1"]["delta"] == pytest.approx(model["f1"] - row["f1"])
        assert 0 <= row["mcnemar"]["p_value"] <= 1
        for m, label in [("f1", "F1"), ("recall", "recall"), ("precision", "precision"), ("roc_auc", "ROC-AUC")]:
            said = f"{row['name']} has higher {label} than the model" in " ".join(metrics["verdicts"])
            assert said == (row[m] > model[m])


def test_errors_are_the_worst_and_grouped(report):
    _, metrics = report
    errors = metrics["errors"]
    fps = [i for items in errors["false_positives"].values() for i in items]
    fns = [i for items in errors["false_negatives"].values() for i in items]
    threshold = metrics["threshold"]
    assert fps and fns
    assert all(i["probability"] >= threshold and i["matched_criteria"] for i in fps)
    assert all(i["probability"] < threshold and i["labeled_criteria"] for i in fns)
    for kind, items in errors["false_positives"].items():
        assert all(i["kind"] == kind for i in items)
    total_fp = sum(c.get("false_positives", 0) for c in errors["counts_by_kind"].values())
    assert total_fp == metrics["confusion_matrix"]["fp"]


def test_criteria_recall_counts_matched_criteria(report):
    _, metrics = report
    rows = metrics["criteria_recall"]
    assert [r["id"] for r in rows] == list(CONTRACT_IDS)
    for r in rows:
        if r["n"]:
            assert 0 <= r["recall"] <= r["delegated"] <= 1


def test_no_baselines(fake_model, small_data, labeled, tmp_path):
    config = ReportConfig(data_name="labeled", data_dir=small_data, baselines=False, n_boot=50)
    metrics = write_report(collect(load_router(fake_model), load_examples(labeled), config), tmp_path)
    assert [r["name"] for r in metrics["baselines"]] == ["Router (this model)"]
    assert "Where the model is not ahead" not in (tmp_path / "report.md").read_text()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROBE = (
    '<script>window.addEventListener("load", () => { const all = [...document.images];'
    " const ok = all.filter(i => i.complete && i.naturalWidth > 0).length;"
    ' document.body.setAttribute("data-images", ok + "/" + all.length); });</script></body>'
)


def chromium(*args, tmp_path):
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_html_renders_in_headless_chromium(report, tmp_path):
    out, metrics = report
    page = (out / "report.html").resolve()
    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,4000", page.as_uri(), tmp_path=tmp_path)
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (4000, 1280)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # text, tables and figures, not one colour
    assert (image != 255).any(axis=2).mean() > 0.05
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE))
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri(), tmp_path=tmp_path).stdout
    n = len(metrics["figures"])
    assert f'data-images="{n}/{n}"' in dom


def test_verdicts_say_where_the_model_is_not_ahead():
    from router.evaluation.report import verdicts

    model = {"name": "Router", "f1": 0.8, "precision": 0.8, "recall": 0.8, "roc_auc": 0.9, "latency_ms": 10.0}
    lead = {"delta": 0.1, "low": -0.01, "high": 0.2}
    fast = {**model, "name": "Fast", "f1": 0.7, "precision": 0.9, "recall": 0.8, "latency_ms": 1.0}
    fast["model_minus_baseline"] = {"f1": lead}
    slow = {**model, "name": "Slow", "f1": 0.5, "roc_auc": 0.95, "latency_ms": 10.5}
    slow["model_minus_baseline"] = {"f1": {"delta": 0.3, "low": 0.2, "high": 0.4}}
    assert verdicts([model, fast, slow]) == [
        "Fast has higher precision than the model (0.900 vs 0.800).",
        "Fast has the same recall as the model (0.800).",
        "Fast has the same ROC-AUC as the model (0.900).",
        "Fast answers faster than the model (1.00 ms vs 10.00 ms per request).",
        "The model's F1 lead over Fast (+0.100) is not significant: the 95% interval of the difference "
        "[-0.010, +0.200] includes 0.",
        "Slow has the same precision as the model (0.800).",
        "Slow has the same recall as the model (0.800).",
        "Slow has higher ROC-AUC than the model (0.950 vs 0.900).",
        "Slow answers about as fast as the model (10.50 ms vs 10.00 ms per request).",
    ]


def test_scoring_is_routing_without_the_log(fake_model, labeled, tmp_path):
    from router.evaluation.scoring import probabilities, score

    log = tmp_path / "decisions.db"
    router = load_router(fake_model, log=log)
    examples = load_examples(labeled)
    texts = [ex.text for ex in examples]
    scored = score(router, examples, batch=64)
    routed = load_router(fake_model, log=None).route_batch(texts)
    assert [d.to_dict() for d in scored.decisions] == [d.to_dict() for d in routed]
    assert np.array_equal(scored.p, probabilities(router, examples, batch=64))
    assert np.array_equal(scored.p, router.probabilities(texts))
    assert scored.X.shape[0] == len(examples)
    collect(router, examples, ReportConfig(data_name="labeled", baselines=False, n_boot=20))
    assert not log.exists() or not sqlite3.connect(log).execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


def test_compare_embeds_each_text_once_when_both_models_share_the_encoder(
    fake_model, small_data, tmp_path, monkeypatch
):
    from router.core.router import LoadedModel
    from router.evaluation.compare import compare
    from router.evaluation.metrics import binary_metrics
    from router.evaluation.scoring import probabilities
    from router.training.config import TrainConfig
    from router.training.publish import train_and_publish
    from tests.fakes import HASHING_ENCODER

    # B: another classifier on the same encoder, so the two delegate heads differ
    train_and_publish(TrainConfig(data_dir=small_data, encoder=HASHING_ENCODER, classifier="logreg"), tmp_path / "b")
    a, b = load_router(fake_model, log=None), load_router(tmp_path / "b", log=None)
    assert a.model.encoder is b.model.encoder
    examples = load_examples(small_data / "test.jsonl")
    y = [ex.label for ex in examples]
    pa, pb = probabilities(a, examples), probabilities(b, examples)
    assert not np.array_equal(pa, pb)
    embedded = []
    embed = LoadedModel.embed
    monkeypatch.setattr(LoadedModel, "embed", lambda self, texts: embedded.append(len(texts)) or embed(self, texts))
    result = compare(a, b, examples, "test", n_boot=50)
    assert sum(embedded) == len(examples)  # each text once for both models (twice before)
    assert {k: v for k, v in result["a"].items() if k not in ("path", "model_version")} == binary_metrics(
        y, pa, a.threshold
    )
    assert {k: v for k, v in result["b"].items() if k not in ("path", "model_version")} == binary_metrics(
        y, pb, b.threshold
    )
