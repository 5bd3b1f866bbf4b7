"""Hypothesis properties: whatever the input, a `Decision` or a typed error, never another exception,
and never a lost good line.

Each property judges its input with an oracle of its own (`routable`, the stdlib's `json`, the contract's
labeled-data rules), so code that refused every input, or accepted a bad one, would fail it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.core.texts import check_texts, sort_texts
from router.dataset.examples import parse_file
from router.errors import DataError, LabelConflictError, RouterError
from router.jsonl import loads
from router.serving.batch_files import route_file
from router.serving.hook import EVENT as USER_PROMPT_SUBMIT
from router.serving.hook import PROMPT_CHARS, HookInputError, read_prompt
from tests.contract import CONTRACT_IDS

# Any code point, surrogates included: what JSON escapes, argv bytes and Python strings can carry.
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=40)
GOOD_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40).filter(str.strip)
# The edges a text gate must see, generated on purpose (uniform code points almost never give them): blank
# under str.strip (ASCII and Unicode whitespace), and a lone surrogate anywhere in an otherwise good text.
BLANK_TEXT = st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000", min_size=1, max_size=4)
LONE_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
SURROGATE_TEXT = st.builds(
    lambda head, bad, tail: head + bad + tail, st.text(max_size=5), LONE_SURROGATE, st.text(max_size=5)
)
TEXT = st.one_of(ANY_TEXT, GOOD_TEXT, BLANK_TEXT, SURROGATE_TEXT)
ITEM = st.one_of(TEXT, st.integers(), st.none(), st.floats(), st.lists(st.text(max_size=3), max_size=2))
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def routable(text: object) -> bool:
    if not isinstance(text, str) or not text.strip():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


BAD = object()


def standard_json(raw: bytes | str) -> object:
    """What the stdlib reads from `raw` if it is standard JSON (UTF-8, no NaN or Infinity, valid Unicode), else BAD."""
    try:
        value = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeError are ValueErrors
        return BAD
    return value


def labeled(value: object, ids: tuple[str, ...] | None = None) -> bool:
    """A labeled example by the contract: a routable `text`, `label` 0 or 1 (not a boolean), and `criteria`
    (distinct non-blank ids, from `ids` when given) exactly when the label is 1."""
    if not isinstance(value, dict) or not routable(value.get("text")):
        return False
    label, criteria = value.get("label"), value.get("criteria", [])
    if isinstance(label, bool) or label not in (0, 1):
        return False
    if not isinstance(criteria, list) or not all(isinstance(c, str) and c.strip() for c in criteria):
        return False
    if ids is not None and not set(criteria) <= set(ids):
        return False
    return len(set(criteria)) == len(criteria) and bool(criteria) == (label == 1)


@SETTINGS
@given(st.lists(ITEM, max_size=8))
def test_check_texts_accepts_exactly_the_routable_texts_and_sort_texts_keeps_their_order(items):
    bad = [i for i, t in enumerate(items) if not routable(t)]
    # check_texts: the whole batch when every text is routable, else a DataError naming the first bad position.
    try:
        checked = check_texts(items)
    except DataError as err:
        assert bad, "a batch of routable texts was refused"
        assert str(err).startswith(f"text {bad[0]} "), err
    else:
        assert not bad, f"texts {bad} accepted"
        assert checked == items
    # sort_texts: the routable texts in input order, an error for each other position, naming it.
    batch = sort_texts(items)
    assert batch.texts == [t for t in items if routable(t)]
    assert sorted(batch.errors) == bad
    assert all(batch.errors[i].startswith(f"text {i} ") for i in bad)
    # merge puts each good text's result back where the text was (results here: the texts themselves).
    merged = batch.merge(batch.texts)
    assert len(merged) == len(items)
    for i, (item, result) in enumerate(zip(items, merged)):
        assert result is batch.errors.get(i, item)


@SETTINGS
@given(st.lists(ITEM, max_size=6))
def test_route_batch_gives_decisions_or_a_data_error(router, items):
    try:
        decisions = router.route_batch(items)
    except DataError:
        assert not all(routable(t) for t in items)
        return
    assert all(routable(t) for t in items)
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
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
# A good text repeated to just under, at or past PROMPT_CHARS, so the cut is exercised.
LONG_TEXT = st.builds(lambda text, more: text * (PROMPT_CHARS // len(text) + more), GOOD_TEXT, st.integers(0, 2))
EVENT = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.one_of(GOOD_TEXT, LONG_TEXT, BLANK_TEXT, SURROGATE_TEXT, EVENT_VALUE),
        "hook_event_name": st.sampled_from(["UserPromptSubmit", "Stop", 3]),
    },
)


def event_prompt(raw: str) -> str | None:
    """The prompt of a UserPromptSubmit event, else None: Python's JSON (the hook is lenient: NaN and lone
    surrogates pass, routing refuses the latter), an object, `hook_event_name` that or absent, a non-blank string."""
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("hook_event_name", USER_PROMPT_SUBMIT) != USER_PROMPT_SUBMIT:
        return None
    prompt = event.get("prompt")
    return prompt if isinstance(prompt, str) and prompt.strip() else None


@SETTINGS
@given(st.one_of(EVENT.map(json.dumps), ANY_TEXT, st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_hook_reader_gives_the_prompt_of_a_good_event_and_a_hook_input_error_otherwise(raw):
    expected = event_prompt(raw)
    try:
        prompt = read_prompt(raw)
    except HookInputError:
        assert expected is None, "a good event was refused"
        return
    assert expected is not None, "a bad event was read"
    assert prompt == expected[:PROMPT_CHARS]  # the event's own prompt, cut


ID = st.one_of(st.text(max_size=5), st.integers())
# A line the contract calls a labeled example: a good text, label 0 without criteria or 1 with known ones.
LABELED_LINE = st.one_of(
    st.fixed_dictionaries({"text": GOOD_TEXT, "label": st.just(0)}, optional={"criteria": st.just([]), "id": ID}),
    st.fixed_dictionaries(
        {
            "text": GOOD_TEXT,
            "label": st.just(1),
            "criteria": st.lists(st.sampled_from(CONTRACT_IDS), min_size=1, unique=True),
        },
        optional={"id": ID},
    ),
)
# A labeled line with one field replaced: near misses a parser must refuse (a boolean label, a repeated, unknown
# or blank criterion, a blank text...), and swaps the oracle judges (criteria with label 0, none with label 1).
BREAKS = {
    "text": st.one_of(BLANK_TEXT, SURROGATE_TEXT, st.integers(), st.none()),
    "label": st.sampled_from([True, False, 2, -1, "1", None, [1]]),
    "criteria": st.sampled_from([["api"], [], ["api", "api"], ["nope"], [""], [" "], "api", [1], None]),
}
NEAR_MISS = st.tuples(LABELED_LINE, st.sampled_from(sorted(BREAKS))).flatmap(
    lambda pair: BREAKS[pair[1]].map(lambda value: {**pair[0], pair[1]: value})
)
JSON_LINE = st.one_of(
    LABELED_LINE.map(lambda obj: json.dumps(obj).encode()),
    NEAR_MISS.map(lambda obj: json.dumps(obj).encode()),
    st.fixed_dictionaries(
        {"text": st.one_of(TEXT, st.integers())},
        optional={
            "label": st.sampled_from([0, 1, 2, "1", True, None]),
            "criteria": st.lists(st.sampled_from(["api", "auth", "nope", ""]), max_size=3),
            "id": ID,
        },
    ).map(lambda obj: json.dumps(obj).encode()),
    st.binary(max_size=30),
    st.sampled_from(
        [
            b"NaN",
            b'{"text": "x", "label": Infinity}',
            b'{"id": 1e400, "text": "Add an index", "label": 0}',  # a number past a double's range is not standard JSON
            b"[1, 2]",
            b"",
            b"   ",
            b'"\\ud800"',
        ]
    ),
)


def one_line(line: bytes) -> bytes:
    return line.replace(b"\n", b" ").replace(b"\r", b" ")


@SETTINGS
@given(st.lists(JSON_LINE, max_size=8))
def test_jsonl_parser_reports_every_bad_line_and_keeps_every_good_one(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "data.jsonl"
    lines = [one_line(line) for line in lines]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    parsed = parse_file(path)
    good = [n for n, line in enumerate(lines, 1) if labeled(standard_json(line))]
    assert parsed.lines == good
    for example, number in zip(parsed.examples, good, strict=True):
        obj = json.loads(lines[number - 1])
        assert (example.text, example.label, example.criteria) == (
            obj["text"],
            obj["label"],
            tuple(obj.get("criteria", [])),
        )
        assert example.id == (None if obj.get("id") is None else str(obj["id"]))
    # One problem per bad line, in order, each "file:number: why".
    bad = [n for n in range(1, len(lines) + 1) if n not in good]
    assert [p.removeprefix(f"{path}:").split(":", 1)[0] for p in parsed.problems] == [str(n) for n in bad]


# Standard JSON of every shape (dumped with NaN allowed and lone surrogates escaped or raw: those must be refused),
# and numbers the stdlib reads but a double cannot hold, or Python will not convert.
JSON_VALUE = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from([math.nan, math.inf, -math.inf]), TEXT
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
JSON_BYTES = st.builds(
    lambda value, ascii: json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass"),
    JSON_VALUE,
    st.booleans(),
)
NUMBER_EDGES = st.sampled_from([b"1e400", b"[-1E400]", b"1e-400", b"1" * 5000, b'{"n": -' + b"9" * 4400 + b"}"])


@SETTINGS
@given(st.one_of(st.binary(max_size=60), JSON_BYTES, NUMBER_EDGES))
def test_strict_json_loads_reads_standard_json_and_refuses_the_rest(raw):
    text = raw.decode("utf-8", "surrogateescape")
    expected = standard_json(text)
    try:
        value = loads(text)
    except DataError:
        assert expected is BAD, "standard JSON was refused"
        return
    assert expected is not BAD, "not standard JSON, yet read"
    assert value == expected


@SETTINGS
@given(st.lists(JSON_LINE, min_size=1, max_size=6))
def test_route_input_routes_every_good_line_and_reports_every_bad_one(router, tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("route")
    source, out = folder / "in.jsonl", folder / "out.jsonl"
    lines = [one_line(line) for line in lines]
    source.write_bytes(b"\n".join(lines) + b"\n")
    failed = route_file(router, source, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    nonblank = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    assert len(rows) == len(nonblank)
    assert failed == sum("error" in row for row in rows)
    good = []
    for (number, raw), row in zip(nonblank, rows):
        obj = standard_json(raw)
        if isinstance(obj, dict) and routable(obj.get("text")):  # a label is not needed to route
            assert "error" not in row, row
            assert row["id"] == obj.get("id") and row["text"] == obj["text"]
            good.append(row)
        else:  # reported by its number, with the record's id when it has one
            assert set(row) == {"id", "error"} and row["error"].startswith(f"line {number}: "), row
            assert row["id"] == (obj.get("id") if isinstance(obj, dict) else None), row
    # Each good line routed as the router routes its text (one batch: the file is under CHUNK lines).
    decisions = router.route_batch([row["text"] for row in good]) if good else []
    assert [{k: v for k, v in row.items() if k not in ("id", "text")} for row in good] == [
        json.loads(json.dumps(d.to_dict())) for d in decisions
    ]


@pytest.fixture(scope="module")
def label_data(small_data, tmp_path_factory):
    return Path(shutil.copytree(small_data, tmp_path_factory.mktemp("labels") / "data"))


# Some lines again at the end: a text labeled twice in one file is a duplicate (or a conflict) of its first line.
WITH_REPEATS = st.lists(JSON_LINE, min_size=1, max_size=4).flatmap(
    lambda lines: st.lists(st.sampled_from(lines), max_size=2).map(lambda again: lines + again)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(WITH_REPEATS)
def test_label_import_writes_every_good_new_line(label_data, tmp_path_factory, lines):
    from router.core.texts import normalise
    from router.loop.feedback import IMPORT_FILE, LabelIndex, import_labels

    source = tmp_path_factory.mktemp("import") / "labels.jsonl"
    lines = [one_line(line) for line in lines]
    source.write_bytes(b"\n".join(lines) + b"\n")
    target = label_data / "feedback" / IMPORT_FILE
    before = target.read_bytes().count(b"\n") if target.exists() else 0
    # The model: every label in the data now, by normalised text; each line is checked against it in turn.
    state = {text: label.label for text, label in LabelIndex.load(label_data).labels.items()}
    try:
        result = import_labels(source, label_data)
    except RouterError:
        pytest.fail("import_labels reports bad lines, it does not raise for them")
    after = target.read_bytes().count(b"\n") if target.exists() else 0
    assert after - before == len(result.added)
    errors = {where: err for where, err in result.errors}
    duplicates = [note.split(": ", 1)[0] for note in result.duplicates]
    new, conflicts, repeats, bad = [], [], [], []
    for number, line in enumerate(lines, 1):
        where, obj = f"{source}:{number}", standard_json(line)
        if not line.strip():
            continue
        if not labeled(obj, CONTRACT_IDS):
            bad.append(where)
            continue
        assert isinstance(obj, dict)
        key = normalise(obj["text"])
        if key not in state:
            state[key] = obj["label"]
            new.append(obj["text"])
        elif state[key] == obj["label"]:
            repeats.append(where)
        else:
            conflicts.append(where)
    assert [example.text for example in result.added] == new
    assert duplicates == repeats
    # One error per bad or conflicting line, in line order.
    assert [where for where, _ in result.errors] == sorted(bad + conflicts, key=lambda w: int(w.rsplit(":", 1)[1]))
    assert all(isinstance(errors[where], LabelConflictError) for where in conflicts)
    assert all(not isinstance(errors[where], LabelConflictError) for where in bad)
    index = LabelIndex.load(label_data)
    assert all(example.text in index for example in result.added)
