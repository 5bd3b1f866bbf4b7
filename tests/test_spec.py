from pathlib import Path

import pytest

from router.dataset.agent import parse_agent
from router.errors import DataError
from tests.contract import CONTRACT_IDS

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_agent_has_contract_criteria_in_order():
    spec = parse_agent(ROOT / "data" / "agents" / "backend-engineer.md")
    assert spec.name == "backend-engineer"
    assert "Backend development expert" in spec.description
    assert spec.ids == CONTRACT_IDS
    assert spec.title("auth") == "Implementing authentication and authorization systems"


def test_unknown_bullets_get_slug_ids(tmp_path):
    path = tmp_path / "agent.md"
    path.write_text(
        "---\nname: docs-writer\ndescription: d\n---\nUse PROACTIVELY when:\n- Writing API reference pages\n"
        "- Editing release notes\n\nOther text\n- not a criterion\n"
    )
    spec = parse_agent(path)
    assert [c.id for c in spec.criteria] == ["writing_api_reference", "editing_release_notes"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("no front matter\n- a bullet\n", "no YAML front matter"),
        ("---\nname: x\n---\nNo list here.\n", "no 'use PROACTIVELY when' criteria"),
        ("---\nname: [unclosed\n---\nUse PROACTIVELY when:\n- a\n", "not valid YAML"),
        ("---\ndescription: nameless\n---\nUse PROACTIVELY when:\n- a\n", "no 'name'"),
    ],
)
def test_bad_agent_files_name_the_file(tmp_path, body, message):
    path = tmp_path / "bad-agent.md"
    path.write_text(body)
    with pytest.raises(DataError, match=message) as info:
        parse_agent(path)
    assert "bad-agent.md" in str(info.value)


def test_missing_agent_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        parse_agent(tmp_path / "absent.md")


def test_declared_ids_must_match_the_bullets(tmp_path):
    path = tmp_path / "agent.md"
    path.write_text("---\nname: x\ncriteria_ids: [one]\n---\nUse PROACTIVELY when:\n- A\n- B\n")
    with pytest.raises(DataError, match="1 ids for 2 criteria"):
        parse_agent(path)
    path.write_text("---\nname: x\ncriteria_ids: [one, one]\n---\nUse PROACTIVELY when:\n- A\n- B\n")
    with pytest.raises(DataError, match="repeat"):
        parse_agent(path)


def test_agent_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin.md"
    path.write_bytes(b"---\nname: caf\xe9\n---\n")
    with pytest.raises(DataError, match=r"latin\.md: agent file is not UTF-8"):
        parse_agent(path)
