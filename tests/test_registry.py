import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from router import load_router
from router.artifacts import registry
from router.errors import ModelNotFoundError, RegistryError
from router.training.config import TrainConfig
from router.training.publish import train_and_publish

TEXTS = [
    "Add cursor pagination to GET /orders and an index on created_at",
    "Make the pricing table responsive on phones",
    "customers get charged twice when they double-click Pay",
    "write a haiku about autumn",
    "Set up a GitHub Actions pipeline that runs the API integration tests",
]


def add_version(root: Path, source: Path, threshold: float | None = None) -> str:
    """Publish a copy of a model folder (optionally with another threshold) without promoting it."""
    stage = registry.staging_folder(root)
    shutil.copytree(source, stage)
    if threshold is not None:
        meta = json.loads((stage / "metadata.json").read_text())
        meta["threshold"] = threshold
        meta["abstain_band"] = {**meta["abstain_band"], "low": threshold, "high": threshold}
        meta["model_version"] += "-t"
        (stage / "metadata.json").write_text(json.dumps(meta))
    version, promoted = registry.publish(root, stage, promote=False, reason="test")
    assert not promoted
    return version


def decisions(path: Path) -> list[dict]:
    return [d.to_dict() for d in load_router(path).route_batch(TEXTS)]


def test_train_writes_a_registry(fake_root, fake_model):
    assert (fake_root / "current").read_text() == "v0001\n"
    assert registry.versions(fake_root) == ["v0001"]
    assert registry.resolve(fake_root) == fake_model
    assert json.loads((fake_model / "metadata.json").read_text())["version"] == "v0001"
    assert registry.history(fake_root)[0] | {"time": None} == {
        "time": None,
        "from": None,
        "to": "v0001",
        "reason": "train",
    }
    # a root and its version folder load the same model
    assert decisions(fake_root) == decisions(fake_model)


def test_publish_promote_and_rollback(fake_registry, fake_model):
    before = decisions(fake_registry)
    v2 = add_version(fake_registry, fake_model, threshold=0.05)
    assert v2 == "v0002" and registry.current(fake_registry) == "v0001"
    assert json.loads((fake_registry / "versions" / v2 / "metadata.json").read_text())["version"] == "v0002"
    assert registry.promote(fake_registry, v2) == ("v0001", "v0002")
    after = decisions(fake_registry)
    assert after != before and all(d["delegate"] for d in after)
    assert registry.rollback(fake_registry) == ("v0002", "v0001")
    assert decisions(fake_registry) == before  # the previous version's exact decisions
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback(fake_registry)
    assert [(e["from"], e["to"], e["reason"]) for e in registry.history(fake_registry)] == [
        (None, "v0001", "train"),
        ("v0001", "v0002", "promote"),
        ("v0002", "v0001", "rollback"),
    ]


def test_rollback_walks_back_through_several_switches(fake_registry, fake_model):
    for threshold in (0.2, 0.3):
        registry.promote(fake_registry, add_version(fake_registry, fake_model, threshold))
    assert registry.current(fake_registry) == "v0003"
    assert registry.rollback(fake_registry)[1] == "v0002"
    assert registry.rollback(fake_registry)[1] == "v0001"
    registry.promote(fake_registry, "v0003")
    assert registry.rollback(fake_registry)[1] == "v0001"


def test_bad_versions_and_roots(fake_registry, fake_model, tmp_path):
    with pytest.raises(RegistryError, match="not a version name"):
        registry.promote(fake_registry, "latest")
    with pytest.raises(ModelNotFoundError, match="no version v0042"):
        registry.promote(fake_registry, "v0042")
    (fake_registry / "current").write_text("../../etc\n")
    with pytest.raises(RegistryError, match="not a version name"):
        load_router(fake_registry)
    (fake_registry / "current").unlink()
    with pytest.raises(ModelNotFoundError, match="without a current version"):
        load_router(fake_registry)
    plain = Path(shutil.copytree(fake_model, tmp_path / "plain"))
    with pytest.raises(RegistryError, match="plain model folder"):
        train_and_publish(TrainConfig(data_dir=tmp_path, encoder="router-hashing-256"), plain)


def test_stale_staging_of_dead_writers_is_removed(fake_registry):
    stale = fake_registry / "versions" / ".staging-999999999-abcd"
    (stale / "sub").mkdir(parents=True)
    live = fake_registry / "versions" / f".staging-{os.getpid()}-beef"
    live.mkdir()
    registry.staging_folder(fake_registry)
    assert not stale.exists() and live.exists()
    assert registry.versions(fake_registry) == ["v0001"]


def test_reload_swaps_in_the_promoted_version(fake_registry, fake_model):
    router = load_router(fake_registry)
    encoder = router.model.encoder
    assert router.reload() is False
    v2 = add_version(fake_registry, fake_model, threshold=0.05)
    assert router.reload() is False  # published, not promoted
    registry.promote(fake_registry, v2)
    assert router.reload() is True
    assert router.path.name == "v0002" and router.threshold == 0.05
    assert router.model.encoder is encoder  # same encoder: kept
    assert [d.to_dict() for d in router.route_batch(TEXTS)] == decisions(fake_registry)


def test_reload_while_routing_gives_whole_decisions(fake_registry, fake_model):
    v2 = add_version(fake_registry, fake_model, threshold=0.05)
    router = load_router(fake_registry)
    versions = {load_router(fake_registry).metadata.model_version, f"{router.metadata.model_version}-t"}
    stop = threading.Event()
    seen = []

    def route() -> None:
        while not stop.is_set():
            for d in router.route_batch(TEXTS):
                seen.append(d)

    workers = [threading.Thread(target=route) for _ in range(4)]
    for w in workers:
        w.start()
    for i in range(20):
        registry.promote(fake_registry, v2 if i % 2 == 0 else "v0001")
        router.reload()
    stop.set()
    for w in workers:
        w.join()
    assert seen and {d.model_version for d in seen} <= versions
    assert all(d.delegate == (d.probability >= d.threshold) for d in seen)
    assert all((d.threshold == 0.05) == d.model_version.endswith("-t") for d in seen)


def test_server_reload_endpoint_serves_the_promoted_version(fake_registry, fake_model):
    from fastapi.testclient import TestClient

    from router.serving.http import create_app

    with TestClient(create_app(fake_registry)) as client:
        first = client.post("/v1/reload").json()
        v2 = add_version(fake_registry, fake_model, threshold=0.05)
        registry.promote(fake_registry, v2)
        assert client.post("/v1/route", json={"text": TEXTS[0]}).json()["threshold"] == first["threshold"]
        now = client.post("/v1/reload").json()
        assert now["model_version"] == first["model_version"] + "-t" and now["threshold"] == 0.05
        assert client.post("/v1/route", json={"text": TEXTS[0]}).json()["threshold"] == 0.05


def test_publishing_stages_once_and_writes_metadata_once(small_data, tmp_path, monkeypatch):
    """The model is written straight into the registry's staging folder and `metadata.json` once, with its version."""
    folder_renames: list[str] = []
    metadata_writes: list[Path] = []
    real_rename, real_replace, real_write_text = os.rename, os.replace, Path.write_text

    def rename(src, dst, *args, **kwargs):
        if Path(src).is_dir():
            folder_renames.append(Path(dst).name)
        return real_rename(src, dst, *args, **kwargs)

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "metadata.json":
            metadata_writes.append(Path(dst))
        return real_replace(src, dst, *args, **kwargs)

    def write_text(self, *args, **kwargs):
        if self.name == "metadata.json":
            metadata_writes.append(self)
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "write_text", write_text)
    root = tmp_path / "reg"
    meta = train_and_publish(TrainConfig(data_dir=small_data, encoder="router-hashing-256"), root)
    assert folder_renames == ["v0001"]  # staged once, renamed into place once
    assert len(metadata_writes) == 1
    assert meta.version == "v0001" and registry.current(root) == "v0001"
    assert json.loads((root / "versions" / "v0001" / "metadata.json").read_text())["version"] == "v0001"
    assert [p.name for p in (root / "versions").iterdir()] == ["v0001"]  # no staging left behind
    assert load_router(root).route(TEXTS[0]).probability >= 0.0


def test_a_reload_reads_changed_metadata_once(monkeypatch, tmp_path, fake_model):
    from router.artifacts import loader

    folder = tmp_path / "model"
    shutil.copytree(fake_model, folder)
    router = load_router(folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["threshold"] = 0.05
    (folder / "metadata.json").write_text(json.dumps(meta))
    reads: list[Path] = []
    real = loader.read_metadata
    monkeypatch.setattr(loader, "read_metadata", lambda path: reads.append(Path(path)) or real(path))
    assert router.reload() is True
    assert router.threshold == 0.05
    assert reads == [folder]
