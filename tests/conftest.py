"""Shared fixtures: a small data set sampled from the shipped data and a model on the hashing encoder."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from router.training.config import TrainConfig
from router.training.publish import train_and_publish
from tests.fakes import HASHING_ENCODER
from tests.jsonl import write_jsonl

ROOT = Path(__file__).resolve().parent.parent
# Subprocesses (CLI, server, notebooks) register the test encoder too, and import `tests` from the root.
os.environ["ROUTER_PLUGINS"] = "tests.fakes"
# Hooks under test route in-process unless a test points them at a server.
os.environ["ROUTER_HOOK_SERVER"] = "off"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
DATA = ROOT / "data"
SIZES = {"train": 400, "dev": 150, "test": 150}


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
def fake_root(small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model registry whose only version (v0001, current) is trained on `small_data` with the hashing encoder."""
    out = tmp_path_factory.mktemp("models") / "backend-engineer"
    train_and_publish(TrainConfig(data_dir=small_data, encoder=HASHING_ENCODER), out)
    return out


@pytest.fixture(scope="session")
def fake_model(fake_root: Path) -> Path:
    """The model folder of `fake_root`'s current version (a plain model folder)."""
    return fake_root / "versions" / "v0001"


@pytest.fixture
def fake_registry(fake_root: Path, tmp_path: Path) -> Path:
    """A private copy of `fake_root`, free to retrain, promote and roll back."""
    return Path(shutil.copytree(fake_root, tmp_path / "registry"))


@pytest.fixture
def data_copy(small_data: Path, tmp_path: Path) -> Path:
    """A private copy of `small_data`, free to receive new labels."""
    return Path(shutil.copytree(small_data, tmp_path / "data"))


@pytest.fixture(scope="session")
def fresh_rows() -> list[dict]:
    """Shipped training rows that are not in `small_data` (new texts to label), in a fixed shuffled order."""
    used = {row["text"] for split, n in SIZES.items() for row in sample_rows(split, n)}
    rows = [json.loads(line) for line in (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    fresh = [row for row in rows if row["text"] not in used]
    random.Random(1).shuffle(fresh)
    return fresh


@pytest.fixture(scope="session")
def router(fake_model):
    """The fake model, loaded once (test modules may define their own `router`)."""
    from router import load_router

    return load_router(fake_model)


@pytest.fixture(scope="session")
def texts(router):
    """One shipped test text the fake model delegates, one it does not."""
    lines = (DATA / "test.jsonl").read_text(encoding="utf-8").splitlines()[:80]
    candidates = [json.loads(line)["text"] for line in lines]
    decisions = router.route_batch(candidates)
    yes = next(t for t, d in zip(candidates, decisions) if d.delegate)
    no = next(t for t, d in zip(candidates, decisions) if not d.delegate)
    return {"yes": yes, "no": no}


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a real PostgreSQL server (CI's, else one started for this session); skips loudly if none."""
    from tests.postgres import NoServerError, server, skip_loudly

    try:
        with server() as url:
            yield url
    except NoServerError as err:
        skip_loudly(str(err))


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on that server, dropped after the test."""
    from tests.postgres import fresh_database

    with fresh_database(postgres_server) as url:
        yield url
