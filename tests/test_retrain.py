import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from router import load_router
from router.artifacts import registry
from router.dataset.examples import Example
from router.errors import DataError
from router.loop.feedback import import_labels
from router.loop.retrain import RetrainConfig, gate_rows, is_held_back, retrain, sort_new_labels

TEXTS = [
    "Add cursor pagination to GET /orders and an index on created_at",
    "Make the pricing table responsive on phones",
    "customers get charged twice when they double-click Pay",
    "write a haiku about autumn",
]


def write_labels(path: Path, rows: list[dict], flip: bool = False) -> Path:
    out = []
    for row in rows:
        label = 1 - row["label"] if flip else row["label"]
        criteria = (row["criteria"] or ["api"]) if label == 1 and flip else ([] if label == 0 else row["criteria"])
        out.append(json.dumps({"text": row["text"], "label": label, "criteria": criteria}))
    path.write_text("\n".join(out) + "\n")
    return path


def config(root: Path, data: Path, tmp_path: Path, **kw) -> RetrainConfig:
    return RetrainConfig(model=root, data_dir=data, cache_dir=str(tmp_path / "cache"), **kw)


def test_held_back_slice_is_deterministic_and_about_the_share():
    texts = [f"request number {i}" for i in range(2000)]
    held = [t for t in texts if is_held_back(t, 0.2)]
    assert 0.17 < len(held) / 2000 < 0.23
    assert held == [t for t in texts if is_held_back(t.upper() + "!", 0.2)]  # by normalised text
    assert not any(is_held_back(t, 0.0) for t in texts)


def test_new_labels_are_sorted():
    base = {
        "train": [Example("add an index to orders", 1, ("database",))],
        "dev": [Example("center the logo in the navbar of the marketing site", 0)],
        "test": [],
    }
    feedback = [
        Example("Add an index to orders!", 1, ("database",)),  # already in base
        Example("center the logo in the navbar of the marketing site please", 0),  # near a dev text
        *[Example(f"new request {i} about the billing service", 1, ("business_logic",)) for i in range(50)],
    ]
    new = sort_new_labels(feedback, base, 0.2)
    assert new.already_in_base == 1
    assert new.total == 52 and len(new.train) + len(new.held_back) + new.near_frozen == 51
    assert new.near_frozen + any("center the logo" in ex.text for ex in new.held_back) == 1
    assert 0 < len(new.held_back) < 25


def test_gate_rows_know_which_way_is_better():
    cur = {"f1": 0.80, "roc_auc": 0.90, "brier": 0.10, "pr_auc": None}
    cand = {"f1": 0.79, "roc_auc": 0.95, "brier": 0.12, "pr_auc": 0.5}
    rows = {r["metric"]: r for r in gate_rows(cur, cand, ("f1", "roc_auc", "brier", "pr_auc"), 0.0)}
    assert rows["f1"]["worse"] and not rows["roc_auc"]["worse"] and rows["brier"]["worse"]
    assert rows["pr_auc"]["change"] is None and not rows["pr_auc"]["worse"]
    assert not any(r["worse"] for r in gate_rows(cur, cand, ("f1", "brier"), 0.05))


def test_retrain_uses_feedback_and_promotion_is_reversible(fake_registry, data_copy, fresh_rows, tmp_path):
    before = [d.to_dict() for d in load_router(fake_registry).route_batch(TEXTS)]
    import_labels(write_labels(tmp_path / "new.jsonl", fresh_rows[:80]), data_copy)
    summary = retrain(config(fake_registry, data_copy, tmp_path, tolerance=1.0))
    new = summary["new_labels"]
    assert new["total"] == 80 and new["train"] + new["held_back"] + new["near_duplicate_of_dev_or_test"] == 80
    assert summary["promoted"] and summary["current"] == "v0002" and summary["previous"] == "v0001"
    folder = fake_registry / "versions" / "v0002"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["version"] == "v0002" and meta["training_data"]["extra"]["n"] == new["train"]
    assert meta["training_data"]["counts"]["train"]["n"] == 400 + new["train"]
    report = json.loads((folder / "retrain-report.json").read_text())
    assert report["slices"]["test"]["n"] == 150 and report["slices"]["held_back"]["n"] == new["held_back"]
    assert {r["metric"] for r in report["slices"]["test"]["gate"]} == {"f1", "roc_auc"}
    assert "# Retrain report: candidate v0002" in (folder / "retrain-report.md").read_text()
    after = [d.to_dict() for d in load_router(fake_registry).route_batch(TEXTS)]
    assert after != before
    registry.rollback(fake_registry)
    assert [d.to_dict() for d in load_router(fake_registry).route_batch(TEXTS)] == before


def test_retrain_on_flipped_labels_is_refused(fake_registry, data_copy, fresh_rows, tmp_path):
    pointer = (fake_registry / "current").read_bytes()
    before = [d.to_dict() for d in load_router(fake_registry).route_batch(TEXTS)]
    import_labels(write_labels(tmp_path / "flipped.jsonl", fresh_rows[:300], flip=True), data_copy)
    summary = retrain(config(fake_registry, data_copy, tmp_path))
    assert not summary["promoted"] and summary["current"] == "v0001"
    assert any(" on test got worse" in reason for reason in summary["reasons"]), summary["reasons"]
    assert (fake_registry / "current").read_bytes() == pointer
    assert registry.versions(fake_registry) == ["v0001", "v0002"]  # the candidate is kept
    assert "**not promoted**" in (fake_registry / "versions" / "v0002" / "retrain-report.md").read_text()
    assert [d.to_dict() for d in load_router(fake_registry).route_batch(TEXTS)] == before


def test_retrain_refuses_bad_settings(fake_registry, data_copy, tmp_path):
    with pytest.raises(DataError, match="unknown gate metric"):
        retrain(config(fake_registry, data_copy, tmp_path, gates=("speed",)))
    with pytest.raises(DataError, match="holdout"):
        retrain(config(fake_registry, data_copy, tmp_path, holdout=1.0))


def test_retrain_killed_at_random_points_leaves_current_loadable(fake_registry, data_copy, fresh_rows, tmp_path):
    import_labels(write_labels(tmp_path / "new.jsonl", fresh_rows[:60]), data_copy)
    env = {**os.environ, "ROUTER_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "router", "retrain", "--model", str(fake_registry), "--data-dir", str(data_copy)]
    command += ["--no-onnx", "--tolerance", "1"]  # a finished run always promotes
    start = time.perf_counter()
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    duration = time.perf_counter() - start  # of a whole run; kills land anywhere inside one
    rng = random.Random(5)
    killed = 0
    for _ in range(5):
        pointer = (fake_registry / "current").read_bytes()
        known = set(registry.versions(fake_registry))
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.8) * duration)
        proc.kill()
        code = proc.wait()
        killed += code == -9
        added = set(registry.versions(fake_registry)) - known
        for version in registry.versions(fake_registry):  # every numbered version is whole
            folder = fake_registry / "versions" / version
            assert {"metadata.json", "heads.npz", "model.skops", "criteria.skops"} <= {p.name for p in folder.iterdir()}
        if not added:
            assert (fake_registry / "current").read_bytes() == pointer  # unchanged
        else:
            assert registry.current(fake_registry) in {pointer.decode().strip(), *added}
        router = load_router(fake_registry)  # loadable
        assert len(router.route_batch(TEXTS)) == len(TEXTS)
    assert killed >= 3
    summary = retrain(config(fake_registry, data_copy, tmp_path, tolerance=1.0))  # after the kills, a retrain works
    assert summary["promoted"] and registry.current(fake_registry) == summary["candidate"]["version"]
    assert not [p for p in (fake_registry / "versions").iterdir() if p.name.startswith(".")]  # stale staging removed


def test_retrain_reads_the_agent_and_splits_once(fake_registry, data_copy, fresh_rows, tmp_path, monkeypatch):
    import router.training.fit as fit_module

    calls = {"agent": 0, "examples": 0}
    parse_agent, load_examples = fit_module.parse_agent, fit_module.load_examples

    def count_agent(*args, **kwargs):
        calls["agent"] += 1
        return parse_agent(*args, **kwargs)

    def count_examples(*args, **kwargs):
        calls["examples"] += 1
        return load_examples(*args, **kwargs)

    monkeypatch.setattr(fit_module, "parse_agent", count_agent)
    monkeypatch.setattr(fit_module, "load_examples", count_examples)
    import_labels(write_labels(tmp_path / "new.jsonl", fresh_rows[:40]), data_copy)
    summary = retrain(config(fake_registry, data_copy, tmp_path, tolerance=1.0))
    assert calls == {"agent": 1, "examples": 3}  # the agent file once, train/dev/test once each
    assert summary["new_labels"]["train"] > 0


def test_retrain_embeds_each_judged_slice_once_and_reads_each_head_once(
    fake_registry, data_copy, fresh_rows, tmp_path, monkeypatch
):
    import router.loop.retrain as retrain_module

    embedded: list[int] = []
    heads_read: list[str] = []
    load_model_heads = retrain_module.load_model_heads

    class CountingEmbedder(retrain_module.SentenceEmbedder):
        def transform(self, X):
            embedded.append(len(X))
            return super().transform(X)

    def count_heads(folder, meta):
        heads_read.append(folder.name)
        return load_model_heads(folder, meta)

    monkeypatch.setattr(retrain_module, "SentenceEmbedder", CountingEmbedder)
    monkeypatch.setattr(retrain_module, "load_model_heads", count_heads)
    import_labels(write_labels(tmp_path / "new.jsonl", fresh_rows[:80]), data_copy)
    summary = retrain(config(fake_registry, data_copy, tmp_path, tolerance=1.0))
    judged = [s for s in summary["slices"].values() if s["used"]]
    assert len(judged) == 2 and all("current" in s and "candidate" in s for s in judged)
    # candidate and current share the encoder: each judged slice is embedded once for both (twice before)
    assert sorted(embedded) == sorted(s["n"] for s in judged)
    assert len(heads_read) == 2  # one delegate head per model (one per model and slice before)


def test_retrain_keeps_the_current_versions_classifier(data_copy, fresh_rows, tmp_path):
    from router.artifacts.model_folder import read_metadata
    from router.training.config import TrainConfig
    from router.training.publish import train_and_publish
    from tests.fakes import HASHING_ENCODER

    root = tmp_path / "models" / "backend-engineer"
    current = train_and_publish(TrainConfig(data_dir=data_copy, encoder=HASHING_ENCODER, classifier="logreg"), root)
    import_labels(write_labels(tmp_path / "new.jsonl", fresh_rows[:40]), data_copy)
    summary = retrain(config(root, data_copy, tmp_path, tolerance=1.0))
    candidate = read_metadata(registry.version_folder(root, summary["candidate"]["version"]))
    assert current.classifier["classifier"] == "LogisticRegression"
    assert candidate.classifier["classifier"] == current.classifier["classifier"]
