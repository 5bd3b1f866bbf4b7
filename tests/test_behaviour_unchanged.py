"""The layout redesign changed no decision: v0002 routes the original test split as it did before.

`golden/v0002-test-decisions.jsonl` was written by the code before the redesign (commit ca9f826), routing
the 570 original `data/test.jsonl` requests with `models/backend-engineer/versions/v0002` on torch;
`golden/regenerate.py` writes it again from that commit.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from router import load_router
from router.dataset.examples import load_examples

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "v0002-test-decisions.jsonl"


def test_decisions_on_the_test_split_are_unchanged():
    golden = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    texts = {ex.id: ex.text for ex in load_examples(ROOT / "data" / "test.jsonl")}
    router = load_router(ROOT / "models" / "backend-engineer" / "versions" / "v0002", backend="torch")
    decisions = router.route_batch([texts[g["id"]] for g in golden])
    assert len(decisions) == len(golden) == 570
    np.testing.assert_allclose([d.probability for d in decisions], [g["probability"] for g in golden], atol=1e-6)
    for d, g in zip(decisions, golden):
        assert (d.delegate, d.uncertain, d.threshold, d.model_version) == (
            g["delegate"],
            g["uncertain"],
            g["threshold"],
            g["model_version"],
        )
        assert [c for c, _, _ in d.criteria] == [c["id"] for c in g["criteria"]]
        np.testing.assert_allclose([s for _, _, s in d.criteria], [c["score"] for c in g["criteria"]], atol=1e-4)
