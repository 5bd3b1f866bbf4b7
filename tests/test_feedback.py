import json
import multiprocessing
import re
from pathlib import Path

import pytest

from router import load_router
from router.dataset.check import check
from router.errors import DataError, LabelConflictError
from router.loop.feedback import append_jsonl, import_labels, label_id, record_feedback

NEW = [
    ("Our invoices service must refuse refunds larger than the captured amount", 1, ["business_logic"]),
    ("Paint the landing page hero in the new brand gradient", 0, []),
]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def first_train_row(data: Path) -> dict:
    return json.loads((data / "train.jsonl").read_text().splitlines()[0])


def test_feedback_on_a_logged_decision(fake_model, data_copy, tmp_path):
    log = tmp_path / "d.db"
    d = load_router(fake_model, log=log).route(NEW[0][0])
    label = 1 if not d.delegate else 0
    result = record_feedback(d.decision_id, label, ["api"] if label else [], log=log, data_dir=data_copy)
    (row,) = lines(data_copy / "feedback" / "feedback.jsonl")
    assert result.added and row["text"] == NEW[0][0] and row["label"] == label
    assert row["decision_id"] == d.decision_id and row["id"] == label_id(NEW[0][0])
    assert row["model_version"] == d.model_version and row["source"] == "feedback"


def test_label_1_defaults_to_the_models_criteria(fake_model, data_copy, tmp_path):
    log = tmp_path / "d.db"
    router = load_router(fake_model, log=log)
    d = next(d for d in router.route_batch([t for t, _, _ in NEW] + ["Add JWT auth to the orders API"]) if d.delegate)
    record_feedback(d.decision_id, 1, log=log, data_dir=data_copy)
    assert lines(data_copy / "feedback" / "feedback.jsonl")[0]["criteria"] == [c for c, _, _ in d.criteria]


def test_duplicates_are_skipped_and_conflicts_refused(data_copy):
    feedback = data_copy / "feedback" / "feedback.jsonl"
    text, label, criteria = NEW[0]
    record_feedback(text, label, criteria, data_dir=data_copy)
    before = feedback.read_bytes()
    again = record_feedback(text.upper() + " !!", label, criteria, data_dir=data_copy)  # same normalised text
    assert not again.added and "already labeled 1" in again.duplicates[0]
    with pytest.raises(LabelConflictError, match=r"labeled 1 at .*feedback\.jsonl:1, not 0"):
        record_feedback(text, 0, data_dir=data_copy)
    base = first_train_row(data_copy)
    flipped = 1 - base["label"]
    with pytest.raises(LabelConflictError, match=r"train\.jsonl:1"):
        record_feedback(base["text"], flipped, ["api"] if flipped else [], data_dir=data_copy)
    assert feedback.read_bytes() == before
    assert not (data_copy / "feedback" / "imported.jsonl").exists()


def test_bad_feedback_is_a_data_error(data_copy, tmp_path):
    with pytest.raises(DataError, match="label 1 needs at least one criterion"):
        record_feedback("Add SSO to the admin API", 1, data_dir=data_copy)
    with pytest.raises(DataError, match="unknown criterion"):
        record_feedback("Add SSO to the admin API", 1, ["frontend"], data_dir=data_copy)
    with pytest.raises(DataError, match="needs the decision log"):
        record_feedback("0" * 32, 0, data_dir=data_copy)
    assert not (data_copy / "feedback" / "feedback.jsonl").exists()


def test_import_reports_each_bad_line_and_keeps_the_good_ones(data_copy, tmp_path):
    base = first_train_row(data_copy)
    flipped = 1 - base["label"]
    src = tmp_path / "labels.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "ext-1", "text": NEW[0][0], "label": 1, "criteria": ["business_logic"]}),
                "{oops",
                json.dumps({"text": "Refactor the CSS grid", "label": 2}),
                json.dumps({"text": base["text"], "label": flipped, "criteria": ["api"] if flipped else []}),
                json.dumps({"text": NEW[1][0], "label": 0, "kind": "frontend", "note": "kept"}),
                json.dumps({"text": NEW[1][0].lower(), "label": 0}),
                json.dumps({"text": base["text"], "label": base["label"], "criteria": base["criteria"]}),
            ]
        )
        + "\n"
    )
    result = import_labels(src, data_copy)
    assert [where for where, _ in result.errors] == [f"{src}:2", f"{src}:3", f"{src}:4"]
    assert isinstance(result.errors[2][1], LabelConflictError)
    assert len(result.duplicates) == 2 and result.duplicates[0].startswith(f"{src}:6")
    rows = lines(data_copy / "feedback" / "imported.jsonl")
    assert [r["text"] for r in rows] == [NEW[0][0], NEW[1][0]]
    assert rows[0]["source_id"] == "ext-1" and rows[0]["source"] == "import"
    assert rows[1]["kind"] == "frontend" and rows[1]["note"] == "kept"
    assert check(data_copy).ok, check(data_copy).problems


def test_data_check_passes_with_feedback(data_copy):
    for text, label, criteria in NEW:
        record_feedback(text, label, criteria, data_dir=data_copy)
    result = check(data_copy)
    assert result.ok, result.problems
    assert result.summary["by_split"]["other"] == 2


def _writer(args: tuple[str, int]) -> None:
    data, worker = args
    for i in range(50):
        text = f"Add endpoint number {i} to the ledger service of worker {worker}"
        record_feedback(text, 1, ["api"], data_dir=Path(data))


def test_concurrent_writers_lose_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_writer, [(str(data), w) for w in range(4)])
    rows = lines(data / "feedback" / "feedback.jsonl")  # every line is valid JSON
    assert len(rows) == 200 and len({r["text"] for r in rows}) == 200
    assert len({r["id"] for r in rows}) == 200


def test_append_after_a_torn_line_keeps_lines_apart(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"text": "half')
    append_jsonl(path, [{"text": "whole", "label": 0}])
    assert path.read_text().splitlines()[1] == '{"text": "whole", "label": 0}'


def test_one_function_owns_the_decision_log_address(monkeypatch, tmp_path):
    import router
    from router.settings import decision_log_address

    monkeypatch.delenv("ROUTER_DECISION_LOG", raising=False)
    assert decision_log_address() is None and decision_log_address("") is None
    monkeypatch.setenv("ROUTER_DECISION_LOG", "")
    assert decision_log_address() is None
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(tmp_path / "env.db"))
    assert decision_log_address() == str(tmp_path / "env.db")
    assert decision_log_address("given.db") == "given.db"
    assert decision_log_address("") is None  # an empty value is no log, even with the variable set
    # nobody else reads the variable
    reads = re.compile(r"environ\.get\(ENV_LOG\)|envvar=ENV_LOG\b")
    sources = Path(router.__file__).parent.rglob("*.py")
    readers = [str(p) for p in sources if p.name != "settings.py" and reads.search(p.read_text())]
    assert readers == []


def test_feedback_with_an_empty_log_has_no_log(data_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTER_DECISION_LOG", str(tmp_path / "env.db"))
    with pytest.raises(DataError, match="needs the decision log"):
        record_feedback("a" * 32, 0, log="", data_dir=data_copy)


def test_a_label_store_reads_again_when_another_writer_added_labels(data_copy):
    from router.loop.feedback import LabelIndex, LabelStore

    store = LabelStore(data_copy)
    assert store.add("feedback.jsonl", [("a", {"text": NEW[1][0], "label": 0, "criteria": []})]).added
    loads = []
    real = LabelIndex.load.__func__

    def counting(cls, data_dir):
        loads.append(data_dir)
        return real(cls, data_dir)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LabelIndex, "load", classmethod(counting))
        text, _, criteria = NEW[0]
        assert store.add("feedback.jsonl", [("b", {"text": text + " now", "label": 1, "criteria": criteria})]).added
        assert loads == []  # only its own append since it read: nothing read again
        record_feedback(text, 1, criteria, data_dir=data_copy)  # another writer
        result = store.add("feedback.jsonl", [("c", {"text": text, "label": 0, "criteria": []})])
    assert len(loads) == 2  # the other writer's own read, then this store's read again
    assert not result.added and isinstance(result.errors[0][1], LabelConflictError)
