import json
import sqlite3

import pytest
from typer.testing import CliRunner

from router.cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTER_CACHE_DIR", str(tmp_path / "cache"))


def test_eval_without_report_dir_prints_the_plain_metrics(fake_model, small_data):
    result = run("eval", "--data", "dev", "--data-dir", small_data, "--model", fake_model)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "intervals" not in report and "baselines" not in report
    assert report["n"] == 150


def test_eval_report_dir_writes_the_report(fake_model, small_data, tmp_path):
    out = tmp_path / "r"
    result = run("eval", "--data", "test", "--data-dir", small_data, "--model", fake_model, "--report-dir", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics == json.loads((out / "metrics.json").read_text())
    assert len(metrics["baselines"]) == 5 and "report written to" in result.stderr
    assert {"report.md", "report.html", "curves.png", "sweep.png"} <= {p.name for p in out.iterdir()}
    assert any(p.name.endswith(".npz") for p in (tmp_path / "cache").rglob("*"))


def test_eval_no_baselines_needs_no_train_split(fake_model, small_data, tmp_path):
    data = small_data / "test.jsonl"
    args = ["eval", "--data", data, "--data-dir", tmp_path, "--model", fake_model, "--report-dir", tmp_path / "r"]
    result = run(*args)
    assert result.exit_code == 1 and "error:" in result.stderr
    result = run(*args, "--no-baselines")
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.stdout)["baselines"]] == ["Router (this model)"]


def test_eval_compare(fake_model, small_data, tmp_path):
    out = tmp_path / "cmp"
    result = run(
        "eval", "--data", "test", "--data-dir", small_data, "--compare", fake_model, fake_model, "--report-dir", out
    )
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    assert compared["deltas"]["f1"]["delta"] == 0 and compared["mcnemar"]["p_value"] == 1.0
    assert compared["a"]["f1"] == compared["b"]["f1"]
    assert json.loads((out / "compare.json").read_text()) == compared
    assert "McNemar" in (out / "compare.md").read_text()


@pytest.mark.parametrize(
    "extra",
    [
        ["--compare", "A"],
        ["--compare", "A", "B", "--model", "M"],
        ["--baselines", "yes"],
        ["--report-dir"],
    ],
)
def test_eval_usage_errors_exit_2(extra, small_data):
    assert run("eval", "--data-dir", small_data, *extra).exit_code == 2


def test_eval_data_and_model_errors_exit_1(fake_model, small_data, tmp_path):
    result = run("eval", "--data-dir", small_data, "--model", tmp_path, "--report-dir", tmp_path / "r")
    assert result.exit_code == 1 and "error:" in result.stderr
    result = run("eval", "--data", tmp_path / "absent.jsonl", "--model", fake_model, "--report-dir", tmp_path / "r")
    assert result.exit_code == 1 and "no such data file" in result.stderr
    result = run("eval", "--data-dir", small_data, "--compare", fake_model, tmp_path)
    assert result.exit_code == 1 and "error:" in result.stderr


def test_eval_never_writes_the_decision_log(fake_model, small_data, tmp_path, monkeypatch):
    """Evaluation scores thousands of labeled texts: none of them is a production decision."""
    log = tmp_path / "decisions.db"
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(log))
    base = ["eval", "--data", "test", "--data-dir", small_data]
    for extra in (
        ["--model", fake_model],
        ["--model", fake_model, "--report-dir", tmp_path / "r"],
        ["--compare", fake_model, fake_model],
    ):
        result = run(*base, *extra)
        assert result.exit_code == 0, result.output
        if log.exists():
            with sqlite3.connect(log) as conn:
                assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0, extra
