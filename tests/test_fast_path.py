"""The import-light inference path: numpy heads from heads.npz, no scikit-learn or torch at route time."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from router import load_router
from router.errors import DataError

HEAVY = ("sklearn", "torch", "sentence_transformers", "scipy", "skops")
TEXTS = ["Add cursor pagination to GET /orders", "Center the logo in the navbar", "customers get charged twice"]


def loaded_heavy_modules(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().replace("'", '"'))


def test_routing_imports_no_heavy_library(fake_model):
    code = f"from router import load_router\nload_router({str(fake_model)!r}).route('add an index to orders')"
    assert loaded_heavy_modules(code) == []


def test_cli_start_up_imports_no_numpy():
    """`router --help`, `router log ...` and friends parse their arguments before any model library loads."""
    probe = "import sys, router.cli.app; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert {"numpy", "threadpoolctl"}.isdisjoint(json.loads(out.stdout.replace("'", '"')))


def test_skops_fallback_gives_the_same_decisions(fake_model, tmp_path):
    copy = tmp_path / "no-heads"
    shutil.copytree(fake_model, copy)
    (copy / "heads.npz").unlink()  # a model saved before heads.npz existed: its metadata records no such file
    meta = json.loads((copy / "metadata.json").read_text())
    del meta["artifacts"]["heads.npz"]
    (copy / "metadata.json").write_text(json.dumps(meta))
    fast, slow = load_router(fake_model), load_router(copy)
    a, b = fast.route_batch(TEXTS), slow.route_batch(TEXTS)
    assert [d.delegate for d in a] == [d.delegate for d in b]
    np.testing.assert_allclose([d.probability for d in a], [d.probability for d in b], atol=1e-6)


def test_heads_file_holds_no_pickles(fake_model):
    with np.load(fake_model / "heads.npz", allow_pickle=False) as arrays:
        assert {"kind", "weights", "dual", "scalars", "criteria_coef", "criteria_intercept"} <= set(arrays.files)


def test_unknown_backend_is_refused(fake_model, monkeypatch):
    with pytest.raises(DataError, match="unknown backend 'gpu'"):
        load_router(fake_model, backend="gpu")
    monkeypatch.setenv("ROUTER_BACKEND", "tpu")
    with pytest.raises(DataError, match="unknown backend 'tpu'"):
        load_router(fake_model)


@pytest.mark.real
def test_onnx_and_torch_give_the_same_decisions():
    from router.dataset.examples import load_examples

    texts = [
        *[ex.text for ex in load_examples(Path(__file__).resolve().parent.parent / "data" / "test.jsonl")][:120],
        "slow query " * 400,
    ]
    onnx, torch = load_router(backend="onnx"), load_router(backend="torch")
    assert type(onnx.model.encoder).__name__ == "OnnxEncoder"
    np.testing.assert_allclose(onnx.embed(texts), torch.embed(texts), atol=1e-5)
    a, b = onnx.route_batch(texts), torch.route_batch(texts)
    assert [(d.delegate, d.uncertain) for d in a] == [(d.delegate, d.uncertain) for d in b]
    assert [[c for c, _, _ in d.criteria] for d in a] == [[c for c, _, _ in d.criteria] for d in b]


@pytest.mark.real
def test_cold_cli_uses_onnx_without_torch():
    code = "from router import load_router\nr = load_router(backend='auto')\nr.route('add an index')"
    assert loaded_heavy_modules(code) == []
    out = subprocess.run(
        [str(Path(sys.executable).with_name("router")), "route", "Add JWT auth to the orders API"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["delegate"] is True
