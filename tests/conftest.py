"""Shared fixtures: a small data set sampled from the shipped data and a model on the hashing encoder."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from router.encoders import HASHING_ENCODER
from router.train import TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SIZES = {"train": 400, "dev": 150, "test": 150}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def sample_rows(split: str, n: int, seed: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    return random.Random(seed).sample(rows, n)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a few hundred shipped examples per split and the agent file."""
    folder = tmp_path_factory.mktemp("data")
    for split, n in SIZES.items():
        write_jsonl(folder / f"{split}.jsonl", sample_rows(split, n))
    (folder / "agents").mkdir()
    shutil.copy(DATA / "agents" / "backend-engineer.md", folder / "agents")
    return folder


@pytest.fixture(scope="session")
def fake_model(small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on `small_data` with the deterministic hashing encoder."""
    out = tmp_path_factory.mktemp("models") / "backend-engineer"
    train(TrainConfig(data_dir=small_data, out=out, encoder=HASHING_ENCODER))
    return out
