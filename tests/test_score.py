"""`router score` on a local Ray: the same rows, decisions and error rows as `router route --input`."""

import json
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app as cli
from tests.conftest import DATA

ray = pytest.importorskip("ray", reason="router[ray] is not installed")

ACTORS = 2
BAD = {
    17: "{bad json",
    40: '{"id": "blank", "text": "   "}',
    41: "[1, 2]",
    900: '{"id": 7, "text": 12}',
}


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One small local Ray for the module (`router score` joins a Ray that is already up)."""
    from router.serving.bulk import ray_session

    with ray_session(None, ACTORS):
        yield


def shipped_rows(n):
    rows = []
    for split in ("train", "dev", "test"):
        rows += [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows[:n]


def write_lines(path, rows, bad=BAD):
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    for at, line in sorted(bad.items()):
        lines.insert(at, line)
    lines.insert(60, "")  # a blank line: skipped, but counted in line numbers
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scored_lines(folder):
    return [line for f in sorted(folder.iterdir()) for line in f.read_text(encoding="utf-8").splitlines()]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_score_writes_exactly_what_route_input_writes_on_thousands_of_rows(fake_model, tmp_path):
    rows = [{"id": r.get("id"), "text": r["text"], "kind": r.get("kind")} for r in shipped_rows(3000)]
    src = write_lines(tmp_path / "in.jsonl", rows)
    routed = run("route", "--input", src, "--output", tmp_path / "ref.jsonl", "--model", fake_model)
    assert routed.exit_code == 1
    result = run(
        "score", "--input", src, "--output", tmp_path / "out", "--model", fake_model,
        "--num-actors", ACTORS, "--batch-size", 128,
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr  # bad rows: exit 1, as `route --input`
    assert "4 input row(s) could not be routed" in result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["routed"], summary["errors"]) == (3004, 3000, 4)
    assert summary["actors"] == ACTORS and summary["format"] == "jsonl"
    got = scored_lines(tmp_path / "out")
    assert got == (tmp_path / "ref.jsonl").read_text(encoding="utf-8").splitlines()
    errors = [json.loads(line) for line in got if '"error"' in line]
    assert errors == [
        {"id": None, "error": "line 18: invalid JSON (Expecting property name enclosed in double quotes)"},
        {"id": "blank", "error": "line 41: 'text' must be a non-blank string of valid Unicode (text 0 is blank)"},
        {"id": None, "error": "line 42: not a JSON object"},
        {"id": 7, "error": NOT_A_STRING.format(line="line 902: ", kind="int")},
    ]


NOT_A_STRING = "{line}'text' must be a non-blank string of valid Unicode (text 0 is {kind}, not a string)"


def with_encoder(model, folder, name):
    """A copy of `model` that embeds with the registered encoder `name` (same dimension, same heads)."""
    folder = Path(shutil.copytree(model, folder))
    meta = json.loads((folder / "metadata.json").read_text())
    meta["encoder"].update(name=name, id=name)
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def test_chunks_match_route_input_when_the_encoder_depends_on_its_batch(fake_model, tmp_path):
    from tests.fakes import BATCH_SENSITIVE_ENCODER

    model = with_encoder(fake_model, tmp_path / "model", BATCH_SENSITIVE_ENCODER)
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [{"id": r.get("id"), "text": r["text"]} for r in shipped_rows(1000)]
    write_lines(folder / "a.jsonl", rows[:700])  # error rows and a blank line inside the chunks
    write_lines(folder / "b.jsonl", rows[700:], bad={})
    want = []
    for name in ("a", "b"):
        run("route", "--input", folder / f"{name}.jsonl", "--output", tmp_path / f"{name}.ref", "--model", model)
        want += (tmp_path / f"{name}.ref").read_text(encoding="utf-8").splitlines()
    out = tmp_path / "out"
    result = run(
        "score", "--input", folder, "--input-format", "jsonl", "--output", out, "--model", model,
        "--batch-size", 100,
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    got = scored_lines(out)
    assert [line for line in got if '"error"' not in line] == [line for line in want if '"error"' not in line]
    probabilities = {json.loads(line)["probability"] for line in got if '"error"' not in line}
    plain = {d.probability for d in load_router(model).route_batch([r["text"] for r in rows])}
    assert probabilities != plain  # the batch matters to this encoder: only the same chunks agree


def test_parquet_in_and_out_keeps_ids_and_their_type(fake_model, tmp_path):
    rows = shipped_rows(400)
    texts = [r["text"] for r in rows] + [None, "  "]
    table = pa.table({"id": pa.array(range(1000, 1000 + len(texts)), pa.int64()), "text": texts, "extra": texts})
    pq.write_table(table, tmp_path / "in.parquet")
    result = run("score", "--input", tmp_path / "in.parquet", "--output", tmp_path / "out", "--model", fake_model)
    assert result.exit_code == 1 and json.loads(result.stdout)["errors"] == 2
    out = pq.read_table(tmp_path / "out")
    assert out.schema.field("id").type == pa.int64() and "extra" not in out.column_names
    got = out.to_pylist()
    assert [g["id"] for g in got] == list(range(1000, 1000 + len(texts)))
    want = load_router(fake_model).route_batch(texts[:-2])
    for g, d in zip(got, want):
        assert {k: g[k] for k in d.to_dict()} == d.to_dict()
        assert g["error"] is None
    assert [(g["text"], g["delegate"], g["error"]) for g in got[-2:]] == [
        (None, None, NOT_A_STRING.format(line="", kind="NoneType")),
        (None, None, "'text' must be a non-blank string of valid Unicode (text 0 is blank)"),
    ]


def test_jsonl_to_parquet_writes_ids_as_text(fake_model, tmp_path):
    rows = [{"id": 5, "text": "add an index on orders"}, {"id": "x-1", "text": "center the logo"}, {"text": "hi"}]
    src = write_lines(tmp_path / "in.jsonl", rows, bad={})
    result = run("score", "--input", src, "--output", tmp_path / "out.parquet", "--model", fake_model)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "parquet"
    assert pq.read_table(tmp_path / "out.parquet").column("id").to_pylist() == ["5", "x-1", None]


def test_a_folder_of_files_reads_in_name_order_and_names_the_file_in_errors(fake_model, tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    rows = shipped_rows(120)
    write_lines(folder / "a.jsonl", rows[:60], bad={3: "{bad"})
    write_lines(folder / "b.jsonl", rows[60:], bad={})
    out = tmp_path / "out"
    result = run("score", "--input", folder, "--output", out, "--input-format", "jsonl", "--model", fake_model)
    assert result.exit_code == 1
    got = [json.loads(line) for line in scored_lines(out)]
    assert [g.get("text") for g in got if "error" not in g] == [r["text"] for r in rows]
    (error,) = [g for g in got if "error" in g]
    assert error["error"].endswith("a.jsonl: line 4: invalid JSON (Expecting property name enclosed in double quotes)")


def test_uris_through_pyarrow_and_fsspec(fake_model, tmp_path):
    rows = shipped_rows(50)
    src = write_lines(tmp_path / "in.jsonl", rows, bad={})
    # fsspec only (pyarrow cannot open a chained URL), written back through pyarrow's file://.
    result = run(
        "score", "--input", f"simplecache::file://{src}", "--output", f"file://{tmp_path}/out",
        "--input-format", "jsonl", "--model", fake_model,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    want = [d.delegate for d in load_router(fake_model).route_batch([r["text"] for r in rows])]
    assert [json.loads(line)["delegate"] for line in scored_lines(tmp_path / "out")] == want


def threshold_shifted(model, tmp_path, shift):
    """A copy of `model` whose threshold is `shift` higher: model B for --compare."""
    folder = Path(shutil.copytree(model, tmp_path / "model-b"))
    meta = json.loads((folder / "metadata.json").read_text())
    meta["threshold"] = round(meta["threshold"] + shift, 6)
    meta["model_version"] += "-b"
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def test_compare_scores_both_models_in_one_pass_and_counts_flips(fake_model, tmp_path):
    rows = [
        {"id": r.get("id"), "text": r["text"], "kind": r.get("kind"), "criteria": r.get("criteria", [])}
        for r in shipped_rows(600)
    ]
    model_b = threshold_shifted(fake_model, tmp_path, 0.1)
    src = write_lines(tmp_path / "in.jsonl", rows, bad={5: "{bad"})
    result = run("score", "--input", src, "--output", tmp_path / "out", "--model", fake_model, "--compare", model_b)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)["compare"]

    texts = [r["text"] for r in rows]
    a, b = load_router(fake_model).route_batch(texts), load_router(model_b).route_batch(texts)
    flipped = [(x.delegate, y.delegate) for x, y in zip(a, b)]
    to_not = [i for i, (x, y) in enumerate(flipped) if x and not y]
    assert to_not and not any(not x and y for x, y in flipped)  # a higher threshold only takes delegations away
    assert summary["overall"] == {
        "rows": 600, "flips": len(to_not), "to_delegate": 0, "to_not": len(to_not), "rate": round(len(to_not) / 600, 6)
    }  # fmt: skip
    assert summary["model_version"] != summary["compare_version"]
    kinds, criteria = {r["kind"] for r in rows if r["kind"]}, {c for r in rows for c in r["criteria"]}
    assert set(summary["by_kind"]) == kinds and set(summary["by_criterion"]) == criteria
    for kind in kinds:
        members = [i for i, r in enumerate(rows) if r["kind"] == kind]
        assert summary["by_kind"][kind]["rows"] == len(members)
        assert summary["by_kind"][kind]["to_not"] == len(set(members) & set(to_not))
    for criterion in criteria:
        members = [i for i, r in enumerate(rows) if criterion in r["criteria"]]
        assert summary["by_criterion"][criterion] == {
            "rows": len(members),
            "flips": len(set(members) & set(to_not)),
            "to_delegate": 0,
            "to_not": len(set(members) & set(to_not)),
            "rate": round(len(set(members) & set(to_not)) / len(members), 6),
        }
    got = [json.loads(line) for line in scored_lines(tmp_path / "out") if '"error"' not in line]
    assert [g["flipped"] for g in got] == [x != y for x, y in flipped]
    assert [g["compare"] for g in got] == [d.to_dict() for d in b]


def test_without_kind_or_criteria_the_summary_has_only_the_overall_flips(fake_model, tmp_path):
    rows = [{"text": r["text"]} for r in shipped_rows(50)]
    src = write_lines(tmp_path / "in.jsonl", rows, bad={})
    result = run("score", "--input", src, "--output", tmp_path / "out", "--model", fake_model, "--compare", fake_model)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["compare"]
    assert summary["overall"]["rows"] == 50 and summary["overall"]["flips"] == 0
    assert summary["by_kind"] == {} and summary["by_criterion"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{tmp}/missing.jsonl", "--output", "{tmp}/out"], "no such file or folder"),
        (["--input", "{tmp}/in.jsonl", "--output", "{tmp}"], "already exists"),
        (["--input", "{tmp}/in.txt", "--output", "{tmp}/out"], "cannot tell the format"),
        (["--input", "{tmp}/in.jsonl", "--output", "{tmp}/out", "--format", "csv"], "unknown format"),
        (["--input", "{tmp}/in.jsonl", "--output", "{tmp}/out", "--model", "{tmp}/nomodel"], "no model here"),
    ],
)
def test_bad_paths_fail_before_ray_with_exit_1(tmp_path, fake_model, args, message):
    (tmp_path / "in.jsonl").write_text('{"text": "hi"}\n')
    (tmp_path / "in.txt").write_text('{"text": "hi"}\n')
    result = run("score", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1 and message in result.stderr


def test_without_ray_score_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "router.serving.bulk", None)
    result = run("score", "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out")
    assert result.exit_code == 1 and "pip install 'router[ray]'" in result.stderr


def test_scoring_opens_no_decision_log_even_when_one_is_configured(fake_model, tmp_path, monkeypatch):
    from router.serving.scorer import load_scoring_router

    # Before: the log ROUTER_DECISION_LOG names was opened and prepared (an SQLite file created, a PostgreSQL
    # server connected to) by the driver and by every actor, then dropped.
    log = tmp_path / "decisions.sqlite"
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(log))
    assert load_scoring_router(str(fake_model)).log is None
    assert not log.exists()


def test_file_format_from_the_option_the_suffix_or_the_input():
    from router.errors import DataError
    from router.serving.ray_io import file_format

    assert file_format("scored.v2", "parquet") == "parquet"
    assert file_format("scored/", None, fallback="jsonl") == "jsonl"
    assert file_format("s3://b/scored.parquet/", None, fallback="jsonl") == "parquet"
    assert file_format("history.NDJSON", None) == "jsonl"
    with pytest.raises(DataError, match="cannot tell the format"):
        file_format("history.txt", None)


def test_score_and_route_input_read_odd_bytes_alike(fake_model, tmp_path):
    """CRLF, a lone CR, a non-UTF-8 line, whitespace-only lines and no final newline: the same rows, byte for byte."""
    good = [json.dumps({"id": i, "text": r["text"]}).encode() for i, r in enumerate(shipped_rows(6))]
    raw = b"\r\n".join(good[:2]) + b"\r\n\xff\xfe bad\n" + good[2] + b"\r" + good[3] + b"\n \t \n\xc2\xa0\n" + good[4]
    src = tmp_path / "odd.jsonl"
    src.write_bytes(raw + b"\n\n" + good[5])
    run("route", "--input", src, "--output", tmp_path / "ref.jsonl", "--model", fake_model)
    result = run("score", "--input", src, "--output", tmp_path / "out", "--model", fake_model, "--num-actors", 1)
    assert result.exit_code == 1, result.stderr
    got = b"".join(f.read_bytes() for f in sorted((tmp_path / "out").iterdir()))
    assert got == (tmp_path / "ref.jsonl").read_bytes()
    errors = [json.loads(line)["error"] for line in got.decode().splitlines() if '"error"' in line]
    assert [e.split(":")[0] for e in errors] == ["line 3", "line 4", "line 6"]  # bad bytes, CR-joined, NBSP
    assert "not valid UTF-8" in errors[0]
