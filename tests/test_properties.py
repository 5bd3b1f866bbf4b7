"""Hypothesis properties: whatever the input, a `Decision` or a typed error, never another exception,
and never a lost good line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.core.texts import check_texts, sort_texts
from router.dataset.examples import parse_file
from router.dataset.jsonl import loads
from router.errors import DataError, RouterError
from router.serving.batch_files import route_file
from router.serving.hook import HookInputError, read_prompt

# Any code point, surrogates included: what JSON escapes, argv bytes and Python strings can carry.
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=40)
GOOD_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40).filter(str.strip)
ITEM = st.one_of(ANY_TEXT, GOOD_TEXT, st.integers(), st.none(), st.floats(), st.lists(st.text(max_size=3), max_size=2))
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def routable(text: object) -> bool:
    if not isinstance(text, str) or not text.strip():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@SETTINGS
@given(st.lists(ITEM, max_size=8))
def test_check_texts_and_sort_texts_agree(items):
    batch = sort_texts(items)
    assert batch.texts == [t for t in items if routable(t)]
    assert sorted(batch.errors) == [i for i, t in enumerate(items) if not routable(t)]
    try:
        assert check_texts(items) == batch.texts
        assert not batch.errors
    except DataError:
        assert batch.errors


@SETTINGS
@given(st.lists(ITEM, max_size=6))
def test_route_batch_gives_decisions_or_a_data_error(router, items):
    try:
        decisions = router.route_batch(items)
    except DataError:
        assert not all(routable(t) for t in items)
        return
    assert len(decisions) == len(items)
    assert all(0.0 <= d.probability <= 1.0 for d in decisions)


@SETTINGS
@given(st.lists(ITEM, max_size=6))
def test_a_sorted_batch_keeps_every_good_item(router, items):
    batch = sort_texts(items)
    merged = batch.merge(router.route_batch(batch.texts) if batch.texts else [])
    assert len(merged) == len(items)
    for item, result in zip(items, merged):
        assert isinstance(result, str) != routable(item)  # an error message exactly where the item is bad
        if routable(item):
            assert result == router.route(item)


EVENT_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ANY_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
EVENT = st.fixed_dictionaries(
    {},
    optional={"prompt": EVENT_VALUE, "hook_event_name": st.sampled_from(["UserPromptSubmit", "Stop", 3])},
)


@SETTINGS
@given(st.one_of(EVENT.map(json.dumps), ANY_TEXT, st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_hook_reader_gives_a_prompt_or_a_hook_input_error(raw):
    try:
        prompt = read_prompt(raw)
    except HookInputError:
        return
    assert isinstance(prompt, str) and prompt.strip()


JSON_LINE = st.one_of(
    st.fixed_dictionaries(
        {"text": st.one_of(GOOD_TEXT, ANY_TEXT, st.integers())},
        optional={
            "label": st.sampled_from([0, 1, 2, "1", True, None]),
            "criteria": st.lists(st.sampled_from(["api", "auth", "nope", ""]), max_size=3),
            "id": st.one_of(st.text(max_size=5), st.integers()),
        },
    ).map(lambda obj: json.dumps(obj).encode()),
    st.binary(max_size=30),
    st.sampled_from([b"NaN", b'{"text": "x", "label": Infinity}', b"[1, 2]", b"", b"   ", b'"\\ud800"']),
)


@SETTINGS
@given(st.lists(JSON_LINE, max_size=8))
def test_jsonl_parser_reports_every_bad_line_and_keeps_every_good_one(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "data.jsonl"
    path.write_bytes(b"".join(line.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n" for line in lines))
    parsed = parse_file(path)
    assert len(parsed.examples) + len(parsed.problems) == len(lines)
    assert all(p.startswith(f"{path}:") for p in parsed.problems)
    for raw, number in zip([lines[n - 1] for n in parsed.lines], parsed.lines):
        assert json.loads(raw)["text"] == parsed.examples[parsed.lines.index(number)].text


@SETTINGS
@given(st.binary(max_size=60))
def test_strict_json_loads_gives_standard_json_or_a_data_error(raw):
    try:
        value = loads(raw.decode("utf-8", "surrogateescape"))
    except DataError:
        return
    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")  # standard JSON, valid Unicode


@SETTINGS
@given(st.lists(JSON_LINE, min_size=1, max_size=6))
def test_route_input_writes_one_row_per_line(router, tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("route")
    source, out = folder / "in.jsonl", folder / "out.jsonl"
    lines = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines]
    source.write_bytes(b"\n".join(lines) + b"\n")
    failed = route_file(router, source, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    nonblank = [line for line in lines if line.strip()]
    assert len(rows) == len(nonblank)
    assert failed == sum("error" in row for row in rows)
    for raw, row in zip(nonblank, rows):
        if "error" not in row:
            assert row["text"] == json.loads(raw)["text"] and 0.0 <= row["probability"] <= 1.0


@pytest.fixture(scope="module")
def label_data(small_data, tmp_path_factory):
    return Path(shutil.copytree(small_data, tmp_path_factory.mktemp("labels") / "data"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(JSON_LINE, min_size=1, max_size=5))
def test_label_import_writes_every_good_new_line(label_data, tmp_path_factory, lines):
    from router.loop.feedback import IMPORT_FILE, LabelIndex, import_labels

    source = tmp_path_factory.mktemp("import") / "labels.jsonl"
    lines = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines]
    source.write_bytes(b"\n".join(lines) + b"\n")
    target = label_data / "feedback" / IMPORT_FILE
    before = target.read_bytes().count(b"\n") if target.exists() else 0
    try:
        result = import_labels(source, label_data)
    except RouterError:
        pytest.fail("import_labels reports bad lines, it does not raise for them")
    after = target.read_bytes().count(b"\n") if target.exists() else 0
    assert after - before == len(result.added)
    handled = len(result.added) + len(result.duplicates) + len(result.errors)
    assert handled == len([line for line in lines if line.strip()])
    index = LabelIndex.load(label_data)
    assert all(example.text in index for example in result.added)
