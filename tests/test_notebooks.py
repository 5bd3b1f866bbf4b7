"""CI executes the notebooks on small inputs (hashing-encoder model, subsampled data)."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.jsonl import write_jsonl

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture
def small_env(monkeypatch, fake_model, small_data, tmp_path):
    rows = [json.loads(line) for line in (small_data / "dev.jsonl").read_text().splitlines()][:40]
    for i, row in enumerate(rows):
        row["source_kind"] = "agents" if i % 2 else "issues"
    real = tmp_path / "real.jsonl"
    write_jsonl(real, rows)
    for name, value in {
        "ROUTER_NB_SMALL": "1",
        "ROUTER_NB_MODEL": str(fake_model),
        "ROUTER_NB_DATA_DIR": str(small_data),
        "ROUTER_NB_OUT": str(tmp_path / "report"),
        "ROUTER_NB_REAL": str(real),
        "ROUTER_CACHE_DIR": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.mark.parametrize("name", ["evaluation.ipynb", "data.ipynb"])
def test_notebook_runs_and_is_committed_without_outputs(name, small_env):
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(
        not cell.get("outputs") and not cell.get("execution_count") for cell in book.cells if cell.cell_type == "code"
    )
    NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3
    if name == "evaluation.ipynb":
        assert (small_env / "report" / "report.html").is_file()
