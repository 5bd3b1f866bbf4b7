"""The agent is data, not code: a second, small agent is trained, routed and evaluated end to end."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app
from router.dataset.agent import parse_agent
from router.dataset.examples import load_examples
from router.evaluation.scoring import evaluate
from router.training.config import TrainConfig
from router.training.publish import train_and_publish
from tests.fakes import HASHING_ENCODER
from tests.jsonl import write_jsonl

AGENT = """---
name: docs-writer
description: Writes and edits product documentation. Use PROACTIVELY for docs.
---

You should be used PROACTIVELY when:
- Writing API reference pages
- Editing release notes
- Writing step-by-step tutorials

## Other notes
- not a criterion
"""
TOPICS = ["billing", "search", "webhooks", "exports", "teams", "audit log", "sso", "notifications"]
POSITIVE = {
    "writing_api_reference": "Write the API reference page for the {t} endpoints with request and response examples",
    "editing_release_notes": "Edit the release notes for the {t} changes so customers understand what moved",
    "writing_step_by": "Write a step-by-step tutorial that walks a new user through setting up {t}",
}
NEGATIVE = [
    "Fix the flaky unit test in the {t} module that fails on Mondays",
    "Speed up the SQL query behind the {t} dashboard",
    "Center the {t} icon in the sidebar and fix its hover colour",
    "Add a retry with backoff to the {t} background job",
]


def rows(seed: int) -> list[dict]:
    out = []
    for i, t in enumerate(TOPICS):
        for cid, template in POSITIVE.items():
            out.append({"id": f"p-{cid}-{i}", "text": template.format(t=t), "label": 1, "criteria": [cid]})
        for j, template in enumerate(NEGATIVE):
            out.append({"id": f"n-{j}-{i}", "text": template.format(t=t), "label": 0, "criteria": []})
    random.Random(seed).shuffle(out)
    return out


@pytest.fixture(scope="module")
def docs_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs-data")
    (folder / "agents").mkdir()
    (folder / "agents" / "docs-writer.md").write_text(AGENT, encoding="utf-8")
    every = rows(0)
    parts = {"train": every[:36], "dev": every[36:46], "test": every[46:]}
    for name, part in parts.items():
        write_jsonl(folder / f"{name}.jsonl", part)
    return folder


def test_ids_come_from_the_agent_file(docs_data):
    spec = parse_agent(docs_data / "agents" / "docs-writer.md")
    assert spec.name == "docs-writer"
    assert spec.ids == tuple(POSITIVE)


def test_second_agent_trains_routes_and_evaluates(docs_data, tmp_path):
    agent = docs_data / "agents" / "docs-writer.md"
    config = TrainConfig(data_dir=docs_data, agent=agent, encoder=HASHING_ENCODER)
    meta = train_and_publish(config, tmp_path / "docs-writer")
    assert meta.agent == "docs-writer" and meta.criterion_ids == tuple(POSITIVE)
    router = load_router(tmp_path / "docs-writer")
    decision = router.route("Write the API reference page for the invoices endpoints with examples")
    assert decision.agent == "docs-writer"
    assert {c for c, _, _ in decision.criteria} <= set(POSITIVE)
    test = load_examples(docs_data / "test.jsonl", meta.criterion_ids)
    report = evaluate(router, test)
    assert report["n"] == len(test) and report["roc_auc"] > 0.8


def test_second_agent_through_the_cli(docs_data, tmp_path):
    runner = CliRunner()
    agent = docs_data / "agents" / "docs-writer.md"
    out = tmp_path / "registry"
    args = [
        "train",
        "--data-dir",
        str(docs_data),
        "--agent",
        str(agent),
        "--out",
        str(out),
        "--encoder",
        HASHING_ENCODER,
    ]
    trained = runner.invoke(app, [*args, "--no-onnx", "--json"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["version"] == "v0001"
    routed = runner.invoke(app, ["route", "--model", str(out), "Edit the release notes for the search changes"])
    assert routed.exit_code == 0 and json.loads(routed.stdout)["agent"] == "docs-writer"


def test_data_check_validates_against_the_agent_of_the_data(docs_data):
    from router.dataset.check import check

    problems = check(docs_data).problems
    assert problems and all("near-duplicate" in p for p in problems)  # templated texts, but every id is known
    bad = docs_data / "extra.jsonl"
    bad.write_text(json.dumps({"text": "Add an index to orders", "label": 1, "criteria": ["database"]}) + "\n")
    try:
        assert f"{bad}:1: unknown criterion id(s) ['database']" in check(docs_data).problems
    finally:
        bad.unlink()


def test_without_an_agent_file_training_uses_the_data_folders_own_agent(docs_data, tmp_path):
    meta = train_and_publish(TrainConfig(data_dir=docs_data, encoder=HASHING_ENCODER), tmp_path / "reg")
    assert meta.agent == "docs-writer" and meta.criterion_ids == tuple(POSITIVE)


def test_one_resolver_names_the_agent_file_in_a_fixed_order(docs_data, tmp_path):
    from router.dataset.agent import agent_file
    from router.errors import DataError

    docs_data = Path(shutil.copytree(docs_data, tmp_path / "data"))  # the fixture is shared: change a copy
    own = docs_data / "agents" / "docs-writer.md"
    assert agent_file(docs_data) == own == agent_file(docs_data / "train.jsonl")
    assert agent_file(docs_data, "other") == docs_data / "agents" / "other.md"  # a model's agent, by name
    (docs_data / "agents" / "second.md").write_text(AGENT.replace("docs-writer", "second"))
    (docs_data / "targets.yaml").write_text("agent: agents/second.md\n")
    assert agent_file(docs_data) == docs_data / "agents" / "second.md"
    (docs_data / "targets.yaml").write_text("agent: agents/missing.md\n")
    with pytest.raises(DataError, match=r"missing\.md"):
        agent_file(docs_data)
