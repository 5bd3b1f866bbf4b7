import json

import pytest

from router.dataset.examples import data_hash, load_examples, parse_file, parse_record, resolve_data, to_record
from router.errors import DataError
from tests.contract import CONTRACT_IDS


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "not a JSON object"),
        ({"label": 0}, "'text' is missing"),
        ({"text": 5, "label": 0}, "not a string"),
        ({"text": "   ", "label": 0}, "blank"),
        ({"text": "a", "label": 2}, "'label' must be 0 or 1"),
        ({"text": "a", "label": True}, "'label' must be 0 or 1"),
        ({"text": "a", "label": 1, "criteria": ["apis"]}, "unknown criterion"),
        ({"text": "a", "label": 1, "criteria": "api"}, "list of criterion ids"),
        ({"text": "a", "label": 1, "criteria": ["api", "api"]}, "repeats"),
        ({"text": "a", "label": 0, "criteria": ["api"]}, "label 0 must have no criteria"),
        ({"text": "a", "label": 1, "criteria": []}, "label 1 needs"),
    ],
)
def test_bad_records(obj, message):
    with pytest.raises(DataError, match=message):
        parse_record(obj, CONTRACT_IDS)


def test_without_an_agent_any_criterion_id_is_accepted():
    assert parse_record({"text": "a", "label": 1, "criteria": ["apis"]}).criteria == ("apis",)
    with pytest.raises(DataError, match="unknown criterion"):
        parse_record({"text": "a", "label": 1, "criteria": [" "]})


def test_unknown_fields_are_kept():
    ex = parse_record({"text": "Add an index", "label": 1, "criteria": ["database"], "confidence": "high"})
    assert ex.extra == {"confidence": "high"}
    assert to_record(ex)["confidence"] == "high"


def test_errors_name_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    good = json.dumps({"text": "Add an index to orders", "label": 1, "criteria": ["database"]})
    path.write_text(f"{good}\n{{broken\n\n{json.dumps({'text': 'x', 'label': 3})}\n")
    parsed = parse_file(path)
    assert len(parsed.examples) == 1 and parsed.lines == [1]
    assert parsed.problems == [
        f"{path}:2: invalid JSON (Expecting property name enclosed in double quotes)",
        f"{path}:3: blank line",
        f"{path}:4: 'label' must be 0 or 1, got 3",
    ]
    with pytest.raises(DataError, match=f"{path}:2"):
        load_examples(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DataError, match="no such data file"):
        load_examples(tmp_path / "none.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DataError, match="no examples"):
        load_examples(tmp_path / "empty.jsonl")


def test_resolve_split_names_and_paths(tmp_path):
    assert resolve_data("dev", tmp_path) == tmp_path / "dev.jsonl"
    assert resolve_data("other/file.jsonl", tmp_path).as_posix() == "other/file.jsonl"


def test_data_hash_changes_with_labels():
    a = parse_record({"text": "Add an index", "label": 1, "criteria": ["database"]})
    b = parse_record({"text": "Add an index", "label": 0})
    assert data_hash([a]) != data_hash([b])
    assert data_hash([a]) == data_hash([a])
