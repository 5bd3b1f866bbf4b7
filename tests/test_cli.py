import json

import pytest
from typer.testing import CliRunner

from router.cli.app import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_route_text_prints_one_decision(fake_model):
    result = run("route", "Add rate limiting to the public REST API", "--model", fake_model)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert set(decision) == {"agent", "delegate", "probability", "threshold", "uncertain", "criteria", "model_version"}
    assert decision["delegate"] == (decision["probability"] >= decision["threshold"])


def test_route_input_keeps_order_ids_and_reports_bad_lines(fake_model, tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "Add an index on orders.customer_id"}),
        "{not json",
        json.dumps({"id": "c", "text": "  "}),
        json.dumps({"text": "Center the logo"}),
        json.dumps({"id": 5, "text": 12}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = run("route", "--input", src, "--output", out, "--model", fake_model)
    assert result.exit_code == 1
    assert "3 input line(s) could not be routed" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, "c", None, 5]
    assert rows[0]["text"] == "Add an index on orders.customer_id" and "probability" in rows[0]
    assert "line 2: invalid JSON" in rows[1]["error"]
    assert "line 3: 'text' must be a non-blank string" in rows[2]["error"]
    assert rows[3]["text"] == "Center the logo" and "error" not in rows[3]
    assert "error" in rows[4]


def test_route_stdin_to_stdout(fake_model):
    text = "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["fix the N+1 in /feed", "css grid help"]))
    result = run("route", "--input", "-", "--model", fake_model, input=text)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [0, 1]


@pytest.mark.parametrize("args", [["route"], ["route", "x", "--input", "-"], ["route", "x", "--bogus"], []])
def test_usage_errors_exit_2(args, fake_model):
    assert run(*args, "--model", fake_model).exit_code == 2 if args else run().exit_code == 2


def test_data_errors_exit_1(fake_model, tmp_path):
    result = run("route", "   ", "--model", fake_model)
    assert result.exit_code == 1 and "blank" in result.stderr
    result = run("route", "hello", "--model", tmp_path)
    assert result.exit_code == 1 and "no model here" in result.stderr
    result = run("route", "--input", tmp_path / "absent.jsonl", "--model", fake_model)
    assert result.exit_code == 1 and "cannot open" in result.stderr


def test_train_and_eval_commands(small_data, tmp_path):
    out = tmp_path / "m"
    result = run("train", "--data-dir", small_data, "--out", out, "--encoder", "router-hashing-256", "--no-cache")
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    assert trained["version"] == "v0001" and (out / "current").read_text() == "v0001\n"
    assert (out / "versions" / "v0001" / "model.skops").is_file() and (
        out / "versions" / "v0001" / "criteria.skops"
    ).is_file()
    result = run("eval", "--data", "test", "--data-dir", small_data, "--model", out)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["f1"] == pytest.approx(trained["metrics"]["test"]["f1"])
    for key in ["precision", "recall", "roc_auc", "pr_auc", "brier", "confusion_matrix", "accuracy_by_kind"]:
        assert key in report
    file_report = json.loads(run("eval", "--data", small_data / "dev.jsonl", "--model", out).stdout)
    assert file_report["n"] == 150


def test_train_and_eval_errors(small_data, tmp_path, fake_model):
    result = run("train", "--data-dir", tmp_path, "--out", tmp_path / "m", "--encoder", "router-hashing-256")
    assert result.exit_code == 1 and "agent" in result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": 1}\n')
    result = run("eval", "--data", bad, "--model", fake_model)
    assert result.exit_code == 1 and f"{bad}:1: label 1 needs" in result.stderr


def test_data_check_and_split(small_data, tmp_path):
    result = run("data", "check", small_data)
    assert result.exit_code == 0, result.output
    assert "700 examples" in result.stdout and "data OK" in result.stdout
    out = tmp_path / "split"
    result = run("data", "split", small_data / "train.jsonl", small_data / "dev.jsonl", "--out", out)
    assert result.exit_code == 0, result.output
    counts = {p.stem: len(p.read_text().splitlines()) for p in out.glob("*.jsonl")}
    assert sum(counts.values()) == 550 and set(counts) == {"train", "dev", "test"}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train.jsonl").write_text('{"text": "a", "label": 0}\n{"text": "a", "label": 0}\n')
    result = run("data", "check", bad)
    assert result.exit_code == 1 and "duplicate text" in result.stderr


@pytest.mark.parametrize("command", ["split", "export"])
def test_a_file_it_cannot_write_is_one_error_line_and_exit_1(
    small_data, fake_model, tmp_path, monkeypatch, capsys, command
):
    from router import load_router
    from router.cli.app import main

    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    if command == "split":
        argv = ["data", "split", str(small_data / "dev.jsonl"), "--out", str(blocker / "out")]
    else:
        log = tmp_path / "d.db"
        load_router(fake_model, log=log).route("Add an index to the orders table")
        argv = ["review", "--log", str(log), "--data-dir", str(small_data), "--export", str(blocker / "q.jsonl")]
    monkeypatch.setattr("sys.argv", ["router", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "a-file" in err
