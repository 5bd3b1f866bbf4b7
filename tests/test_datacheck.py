import re
import shutil
from pathlib import Path

import pytest

from router.dataset.check import check, is_hard, length_bucket
from router.dataset.examples import load_examples, parse_record
from router.dataset.similarity import near_duplicate_groups
from router.dataset.splits import make_splits
from router.dataset.targets import DataTargets, load_targets
from router.errors import DataError
from tests.jsonl import write_jsonl

ROOT = Path(__file__).resolve().parent.parent
UNIQUE = [
    "Add cursor pagination to the orders endpoint",
    "Center the logo inside the navigation bar",
    "Why does the nightly invoice job send every email three times",
    "Explain what a monad is in plain words",
    "Write the changelog entry for the new release",
    "Plot weekly signups by country in a notebook",
]


def write(folder: Path, name: str, rows: list[dict]) -> Path:
    (folder / "agents").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "agents" / "backend-engineer.md", folder / "agents")
    return write_jsonl(folder / name, rows)


def rows_for(texts, label=0):
    return [
        {"id": f"x{i}-{label}-{t[:5]}", "text": t, "label": label, "criteria": ["api"] if label else []}
        for i, t in enumerate(texts)
    ]


def test_clean_data_passes(tmp_path):
    write(tmp_path, "train.jsonl", rows_for(UNIQUE[:3]))
    write(tmp_path, "dev.jsonl", rows_for(UNIQUE[3:], label=1))
    result = check(tmp_path)
    assert result.ok, result.problems
    assert result.summary["by_split"] == {"train": 3, "dev": 3}
    assert result.summary["by_criterion"] == {"api": 3}


def test_schema_errors_name_file_and_line(tmp_path):
    path = write(tmp_path, "train.jsonl", [*rows_for(UNIQUE[:2]), {"text": "x", "label": 1, "criteria": ["nope"]}])
    result = check(tmp_path)
    assert result.problems == [f"{path}:3: unknown criterion id(s) ['nope']"]


def test_duplicate_texts_and_ids(tmp_path):
    rows = rows_for(UNIQUE[:3])
    rows.append({**rows[0], "text": UNIQUE[0].upper() + "!!"})
    path = write(tmp_path, "train.jsonl", rows)
    problems = check(tmp_path).problems
    assert f"{path}:4: duplicate text (first at {path}:1)" in problems
    assert any(p.startswith(f"{path}:4: duplicate id") for p in problems)


def test_near_duplicates_across_splits(tmp_path):
    write(tmp_path, "train.jsonl", rows_for(UNIQUE))
    dev = write(
        tmp_path, "dev.jsonl", rows_for(["Why does the nightly invoice job send every customer email three times"], 1)
    )
    problems = check(tmp_path).problems
    assert any(f"{dev}:1" in p and "train.jsonl:3" in p and "across splits (TF-IDF" in p for p in problems)


def test_near_duplicate_share_over_five_percent(tmp_path):
    texts = [*UNIQUE, "Add cursor pagination to the orders endpoint now"]  # 2 of 7 have a twin
    write(tmp_path, "train.jsonl", rows_for(texts))
    result = check(tmp_path)
    assert result.summary["near_duplicate_share"] == pytest.approx(2 / 7)
    assert any("have a near-duplicate" in p for p in result.problems)


def test_hardness_and_length_rules():
    keywords = load_targets(ROOT / "data").surface_keywords
    hard = {"text": "customers get charged twice", "label": 1, "criteria": ["business_logic"]}
    assert is_hard(parse_record(hard), keywords)
    assert not is_hard(parse_record({"text": "add an API endpoint", "label": 1, "criteria": ["api"]}), keywords)
    assert is_hard(parse_record({"text": "React page calls the API twice", "label": 0}), keywords)
    assert length_bucket("one two three") == "<=6" and length_bucket("w " * 60) == ">=60"


def test_splits_keep_near_duplicates_together_and_are_seeded():
    examples = load_examples(ROOT / "data" / "train.jsonl")[:600]
    twins = [
        parse_record(
            {"text": examples[0].text + " asap", "label": examples[0].label, "criteria": list(examples[0].criteria)}
        )
    ]
    pool = examples + twins
    splits = make_splits(pool, seed=3)
    assert sum(map(len, splits.values())) == len(pool)
    where = {ex.text: name for name, part in splits.items() for ex in part}
    assert where[examples[0].text] == where[twins[0].text]
    assert make_splits(pool, seed=3) == splits
    share = {name: sum(ex.label for ex in part) / len(part) for name, part in splits.items()}
    assert max(share.values()) - min(share.values()) < 0.1
    assert 0.1 < len(splits["test"]) / len(pool) < 0.2
    groups = near_duplicate_groups([examples[0].text, twins[0].text, UNIQUE[1]])
    assert groups[0] == groups[1] != groups[2]


def test_shipped_data_is_clean_and_meets_targets():
    result = check(ROOT / "data")
    assert result.ok, result.problems[:10]
    unmet = [name for name, met in result.summary["targets"].items() if not met]
    assert unmet == []
    assert set(result.summary["by_split"]) == {"train", "dev", "test"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("targets: {positive_share: 0.4}", "targets 'positive_share' must be [low, high]"),
        ("targets: {positive_share: [0.3]}", "targets 'positive_share' must be [low, high]"),
        ("targets: {positive_share: [0.5, 0.4]}", "targets 'positive_share' must be [low, high]"),
        ("targets: {positive_share: [low, high]}", "targets 'positive_share' must be [low, high]"),
        ("targets: {examples: many}", "targets 'examples' must be a whole number >= 0"),
        ("targets: {negative_kinds: -1}", "targets 'negative_kinds' must be a whole number >= 0"),
        ("targets: {stacks: 2.5}", "targets 'stacks' must be a whole number >= 0"),
        ("targets: {voice_share: 1.5}", "targets 'voice_share' must be a share from 0 to 1"),
        ("targets: {near_duplicate_share: '5%'}", "targets 'near_duplicate_share' must be a share from 0 to 1"),
        ("targets: {hard_negative_share: true}", "targets 'hard_negative_share' must be a share from 0 to 1"),
        ("targets: [examples]", "'targets' must be a mapping"),
        ("surface_keywords: [api, database]", "'surface_keywords' must be one regular expression"),
        ("surface_keywords: '(api'", "bad pattern in 'surface_keywords'"),
        ("stacks: [Go, Rust]", "'stacks' must be a mapping of stack name to regular expression"),
        ("stacks: {Go: [golang, gin]}", "'stacks' must be a mapping of stack name to regular expression"),
        ("stacks: {Go: '(go'}", "bad pattern in 'stacks'"),
        ("agent: [agents/a.md]", "'agent' must be the agent file's path"),
        ("[1, 2]", "expected a mapping"),
    ],
)
def test_bad_targets_file_names_file_and_key(tmp_path, content, message):
    (tmp_path / "targets.yaml").write_text(content + "\n")
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'targets.yaml'}: {message}")):
        load_targets(tmp_path)


def test_targets_file_with_every_key_valid(tmp_path):
    shipped = load_targets(ROOT / "data")
    assert shipped is not None and shipped.targets["positive_share"] == [0.35, 0.45] and len(shipped.stacks) > 10
    (tmp_path / "targets.yaml").write_text("agent: agents/a.md\nstacks:\ntargets:\n")
    loaded = load_targets(tmp_path)
    assert loaded == DataTargets("agents/a.md", None, {}, {})
