"""The learning loop from the command line: route with a log, feedback, review, retrain, promote, roll back."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from router.cli.app import app
from tests.jsonl import write_jsonl

runner = CliRunner()
TEXTS = [
    "Our ledger service must reject transfers that would overdraw an account",
    "Animate the sidebar when it opens on tablets",
    "Add a webhook receiver for Stripe payment events",
    "Write a limerick about databases",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("ROUTER_DECISION_LOG", raising=False)
    monkeypatch.setenv("ROUTER_CACHE_DIR", str(tmp_path / "cache"))


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def route_logged(root, log):
    ids = []
    for text in TEXTS:
        result = run("route", text, "--model", root, "--log", log)
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout)["decision_id"])
    return ids


def test_the_loop_end_to_end(fake_registry, data_copy, fresh_rows, tmp_path):
    log = tmp_path / "decisions.db"
    ids = route_logged(fake_registry, log)
    before = [json.loads(run("route", t, "--model", fake_registry).stdout) for t in TEXTS]

    result = run(
        "feedback", ids[0], "--label", 1, "--criteria", "business_logic", "--log", log, "--data-dir", data_copy
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "added"
    result = run("feedback", ids[0], "--label", 1, "--criteria", "api", "--log", log, "--data-dir", data_copy)
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "duplicate" and "note:" in result.stderr
    result = run("feedback", ids[0], "--label", 0, "--log", log, "--data-dir", data_copy)
    assert result.exit_code == 1 and "conflicting label" in result.stderr

    queue = tmp_path / "queue.jsonl"
    result = run("review", "--log", log, "--data-dir", data_copy, "--export", queue)
    assert result.exit_code == 0 and json.loads(result.stdout) == {"exported": 3, "file": str(queue)}
    rows = [json.loads(line) for line in queue.read_text().splitlines()]
    assert {r["decision_id"] for r in rows} == set(ids[1:])
    assert set(rows[0]) == {"decision_id", "text", "probability", "delegate", "uncertain", "criteria"}
    keys = [(not r["uncertain"], abs(r["probability"] - before[0]["threshold"])) for r in rows]
    assert keys == sorted(keys)

    result = run("review", "--log", log, "--data-dir", data_copy, input="y\napi,auth\ns\nn\n")
    assert result.exit_code == 0, result.output
    last = result.stdout.splitlines()[-1]  # the test runner echoes the answers on stdout
    assert json.loads(last) == {"queued": 3, "labeled": 2, "skipped": 1, "conflicts": 0}
    feedback = [json.loads(line) for line in (data_copy / "feedback" / "feedback.jsonl").read_text().splitlines()]
    assert [r["label"] for r in feedback] == [1, 1, 0] and feedback[1]["criteria"] == ["api", "auth"]
    assert feedback[1]["decision_id"] == rows[0]["decision_id"]

    labels = tmp_path / "labels.jsonl"
    write_jsonl(labels, fresh_rows[:80])
    result = run("label", "import", labels, "--data-dir", data_copy)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 80

    result = run("retrain", "--model", fake_registry, "--data-dir", data_copy, "--tolerance", 1, "--no-onnx")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["promoted"] and summary["current"] == "v0002" and summary["new_labels"]["total"] == 83
    assert "v0002: promoted" in result.stderr

    listing = json.loads(run("models", "list", "--model", fake_registry).stdout)
    assert listing["current"] == "v0002" and [v["version"] for v in listing["versions"]] == ["v0001", "v0002"]
    shown = json.loads(run("models", "show", "v0002", "--model", fake_registry).stdout)
    assert shown["current"] and shown["retrain_report"]["promoted"]

    result = run("models", "rollback", "--model", fake_registry)
    assert result.exit_code == 0 and json.loads(result.stdout) == {"previous": "v0002", "current": "v0001"}
    assert [json.loads(run("route", t, "--model", fake_registry).stdout) for t in TEXTS] == before
    result = run("models", "promote", "v0002", "--model", fake_registry)
    assert result.exit_code == 0 and json.loads(result.stdout) == {"previous": "v0001", "current": "v0002"}


def test_retrain_refused_by_the_gate_exits_0_and_keeps_current(fake_registry, data_copy, fresh_rows, tmp_path):
    flipped = [
        {"text": r["text"], "label": 1 - r["label"], "criteria": [] if r["label"] else ["api"]}
        for r in fresh_rows[:300]
    ]
    labels = tmp_path / "flipped.jsonl"
    write_jsonl(labels, flipped)
    assert run("label", "import", labels, "--data-dir", data_copy).exit_code == 0
    result = run("retrain", "--model", fake_registry, "--data-dir", data_copy, "--no-onnx")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert not summary["promoted"] and summary["current"] == "v0001" and "got worse" in result.stderr
    assert (fake_registry / "current").read_text() == "v0001\n"


def test_exit_codes(fake_registry, fake_model, data_copy, tmp_path):
    log = tmp_path / "d.db"
    (decision_id, *_) = route_logged(fake_registry, log)
    feedback = ["feedback", decision_id, "--log", log, "--data-dir", data_copy]
    assert run(*feedback, "--label", 2).exit_code == 2
    assert run(*feedback).exit_code == 2  # --label is required
    assert run(*feedback, "--label", 1, "--criteria", "frontend").exit_code == 1
    result = run("feedback", "f" * 32, "--label", 0, "--log", log, "--data-dir", data_copy)
    assert result.exit_code == 1 and "no decision" in result.stderr
    result = run("feedback", decision_id, "--label", 0, "--data-dir", data_copy)
    assert result.exit_code == 1 and "needs the decision log" in result.stderr

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Add OAuth to the API", "label": 1}\n{"text": "Tidy the CSS", "label": 0}\n')
    result = run("label", "import", bad, "--data-dir", data_copy)
    assert result.exit_code == 1 and f"{bad}:1: label 1 needs at least one criterion" in result.stderr
    assert json.loads(result.stdout) == {"file": str(data_copy / "feedback" / "imported.jsonl"), "added": 1} | {
        "duplicates": 0,
        "errors": 1,
    }
    assert run("label", "import", tmp_path / "absent.jsonl").exit_code == 2

    assert run("review", "--data-dir", data_copy).exit_code == 2  # no log
    assert run("review", "--log", "", "--data-dir", data_copy).exit_code == 2  # an empty address is no log
    result = run("review", "--log", tmp_path / "absent.db", "--data-dir", data_copy)
    assert result.exit_code == 1 and "no decision log" in result.stderr
    assert run("review", "--log", log, "--data-dir", data_copy, "--limit", 0).exit_code == 2

    assert run("retrain", "--model", fake_registry, "--gate", "speed").exit_code == 2
    assert run("retrain", "--model", fake_registry, "--holdout", 2).exit_code == 2
    result = run("retrain", "--model", fake_model, "--data-dir", data_copy)
    assert result.exit_code == 1 and "plain model folder" in result.stderr

    assert run("models", "list", "--model", fake_model).exit_code == 1
    assert run("models", "show", "v0042", "--model", fake_registry).exit_code == 1
    assert run("models", "promote", "latest", "--model", fake_registry).exit_code == 1
    result = run("models", "rollback", "--model", fake_registry)
    assert result.exit_code == 1 and "nothing to roll back" in result.stderr
    assert run("models").exit_code == 2 and run("label").exit_code == 2


def test_train_writes_the_next_version_and_promotes_it(small_data, fake_registry, tmp_path):
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
    result = run("train", "--data-dir", small_data, "--out", fake_registry, "--encoder", "router-hashing-256")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == "v0002"
    assert (fake_registry / "current").read_text() == "v0002\n"


def test_the_loop_commands_keep_the_cli_import_light():
    from tests.test_fast_path import loaded_heavy_modules

    modules = ["router.cli.app", "router.artifacts.registry", "router.decision_log.sqlite", "router.loop.feedback"]
    code = "import " + ", ".join([*modules, "router.loop.review"])
    assert loaded_heavy_modules(code) == []


def test_review_opens_the_log_and_parses_the_data_once(fake_registry, data_copy, tmp_path, monkeypatch):
    import router.dataset.agent as agent_module
    from router.decision_log.sqlite import DecisionLog
    from router.loop.feedback import LabelIndex

    log = tmp_path / "d.db"
    route_logged(fake_registry, log)
    calls = {"log_opened": 0, "labels_parsed": 0, "agent_parsed": 0}
    open_log, load, parse_agent = DecisionLog._open, LabelIndex.load.__func__, agent_module.parse_agent

    def counting_open(self, *args, **kwargs):
        calls["log_opened"] += 1
        return open_log(self, *args, **kwargs)

    def counting_load(cls, *args, **kwargs):
        calls["labels_parsed"] += 1
        return load(cls, *args, **kwargs)

    def counting_parse(*args, **kwargs):
        calls["agent_parsed"] += 1
        return parse_agent(*args, **kwargs)

    monkeypatch.setattr(DecisionLog, "_open", counting_open)
    monkeypatch.setattr(LabelIndex, "load", classmethod(counting_load))
    monkeypatch.setattr(agent_module, "parse_agent", counting_parse)
    result = run("review", "--log", log, "--data-dir", data_copy, input="n\nn\nn\nn\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1]) == {"queued": 4, "labeled": 4, "skipped": 0, "conflicts": 0}
    assert calls == {"log_opened": 1, "labels_parsed": 1, "agent_parsed": 1}  # once per session, not per answer
    feedback = (data_copy / "feedback" / "feedback.jsonl").read_text().splitlines()
    assert len(feedback) == 4 and all(json.loads(line)["decision_id"] for line in feedback)


def test_review_export_does_not_need_the_agent_file(fake_registry, data_copy, tmp_path):
    log = tmp_path / "d.db"
    route_logged(fake_registry, log)
    for agent in (data_copy / "agents").iterdir():
        agent.write_text("not an agent definition")
    result = run("review", "--log", log, "--data-dir", data_copy, "--export", tmp_path / "queue.jsonl")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exported"] == 4


@pytest.mark.parametrize("content", ['{"promoted": NaN}', '{"note": "\\ud800"}'], ids=["NaN", "lone surrogate"])
def test_models_show_reads_the_retrain_report_as_strictly_as_metadata(fake_registry, content):
    # Before: read with the stdlib's lenient json.loads, so `NaN` came back out on stdout (no JSON) and a
    # lone surrogate passed; now the report is refused as metadata.json would be, with exit 1.
    (fake_registry / "versions" / "v0001" / "retrain-report.json").write_text(content, encoding="utf-8")
    result = run("models", "show", "v0001", "--model", fake_registry)
    assert result.exit_code == 1, result.output
    assert "unreadable retrain report (invalid JSON" in result.stderr and result.stdout == ""
