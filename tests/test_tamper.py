"""A tamper corpus: model folders an attacker or a broken disk could leave. Each is refused, nothing runs.

Every executable payload would create `SENTINEL` if it ran; each case asserts the typed error and that
the sentinel never appears. Cases go through `load_router`, `models promote` and `POST /v1/reload`.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import skops
import skops.io as sio
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from router import load_router
from router.artifacts import registry
from router.cli.app import app
from router.errors import DataError, RegistryError, UntrustedModelError
from router.serving.http import create_app

PROTOCOL = {"protocol": 2, "_skops_version": skops.__version__}


# --- building payloads -------------------------------------------------------------------------------------


def node_of(value: object) -> dict:
    """The skops schema node of a plain value (lists, tuples, strings)."""
    with zipfile.ZipFile(io.BytesIO(sio.dumps(value))) as archive:
        schema = json.loads(archive.read("schema.json"))
    for key in PROTOCOL:
        schema.pop(key, None)
    return schema


def reduce_node(module: str, name: str, *args: object) -> dict:
    """A node that, when built, calls `module.name(*args)`."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": node_of(args),
    }


def skops_bytes(schema: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps({**schema, **PROTOCOL}))
    return out.getvalue()


def schema_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("schema.json"))


def replace_first(schema: dict, loader: str, replacement: dict) -> dict:
    """The schema with its first node of kind `loader` replaced (a payload nested inside a real model)."""
    stack: list = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, dict) and value.get("__loader__") == loader:
                    item[key] = replacement
                    return schema
            stack.extend(item.values())
        elif isinstance(item, list):
            for i, value in enumerate(item):
                if isinstance(value, dict) and value.get("__loader__") == loader:
                    item[i] = replacement
                    return schema
            stack.extend(item)
    raise AssertionError(f"no {loader} in the schema")


def shell(sentinel: Path) -> list[str]:
    return ["sh", "-c", f"touch {sentinel}"]


class Pickled:
    """An object whose unpickling runs a command: only a pickle loader would build it."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (subprocess.check_output, (shell(self.sentinel),))


class Foreign:
    """A type neither skops nor our allow-list trusts."""


# Each skops case: a function (real model.skops, sentinel) -> the bytes to put in model.skops.
SKOPS_CASES: dict[str, Callable[[Path, Path], bytes]] = {
    "reduce sklearn.utils._testing.check_output (subprocess)": lambda real, s: skops_bytes(
        reduce_node("sklearn.utils._testing", "check_output", shell(s))
    ),
    "reduce router.fs.write_text_atomic": lambda real, s: skops_bytes(
        reduce_node("router.fs", "write_text_atomic", str(s), "pwned")
    ),
    "reduce router.artifacts.registry.append_jsonl": lambda real, s: skops_bytes(
        reduce_node("router.artifacts.registry", "append_jsonl", str(s), [])
    ),
    "reduce subprocess.check_output": lambda real, s: skops_bytes(reduce_node("subprocess", "check_output", shell(s))),
    "reduce nested in the real model, in place of the scorer function": lambda real, s: skops_bytes(
        replace_first(schema_of(real), "FunctionNode", reduce_node("sklearn.utils._testing", "check_output", shell(s)))
    ),
    "function node sklearn.utils._testing.check_output as the scorer": lambda real, s: skops_bytes(
        replace_first(
            schema_of(real),
            "FunctionNode",
            {"__class__": "check_output", "__module__": "sklearn.utils._testing", "__loader__": "FunctionNode"},
        )
    ),
    "function node router.fs.write_text_atomic as the scorer": lambda real, s: skops_bytes(
        replace_first(
            schema_of(real),
            "FunctionNode",
            {"__class__": "write_text_atomic", "__module__": "router.fs", "__loader__": "FunctionNode"},
        )
    ),
    "method node whose owner is a reduce payload": lambda real, s: skops_bytes(
        {
            "__class__": "check_output",
            "__module__": "sklearn.utils._testing",
            "__loader__": "MethodNode",
            "content": {"func": "__call__", "obj": reduce_node("sklearn.utils._testing", "check_output", shell(s))},
        }
    ),
    "skops reduce node (TreeNode) with a subprocess constructor": lambda real, s: skops_bytes(
        {
            "__class__": "check_output",
            "__module__": "sklearn.utils._testing",
            "__loader__": "TreeNode",
            "__reduce__": {"args": node_of((shell(s),))},
            "content": node_of({}),
        }
    ),
    "partial node over check_output": lambda real, s: skops_bytes(
        {
            "__class__": "partial",
            "__module__": "functools",
            "__loader__": "PartialNode",
            "content": {
                "func": {
                    "__class__": "check_output",
                    "__module__": "sklearn.utils._testing",
                    "__loader__": "FunctionNode",
                },
                "args": node_of((shell(s),)),
                "kwds": node_of({}),
                "namespace": node_of({}),
            },
        }
    ),
    "type node naming subprocess.Popen": lambda real, s: skops_bytes(
        {"__class__": "Popen", "__module__": "subprocess", "__loader__": "TypeNode"}
    ),
    "foreign object type": lambda real, s: sio.dumps({"payload": Foreign()}),
    "object array": lambda real, s: sio.dumps(np.array([{"a": 1}, "b"], dtype=object)),
    "unknown node kind": lambda real, s: skops_bytes({"__class__": "x", "__module__": "os", "__loader__": "EvilNode"}),
    "not a zip": lambda real, s: b"PK\x03\x04 not really a zip",
    "zip without a schema": lambda real, s: _zip({"other.json": "{}"}),
    "schema that is not JSON": lambda real, s: _zip({"schema.json": "{nope"}),
}


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


# --- model folders -----------------------------------------------------------------------------------------


def read_meta(folder: Path) -> dict:
    return json.loads((folder / "metadata.json").read_text())


def write_meta(folder: Path, meta: dict) -> None:
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2))


def rehash(folder: Path) -> None:
    """Record the current files' SHA-256, as an attacker who can write the folder would."""
    meta = read_meta(folder)
    meta["artifacts"] = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and p.name != "metadata.json"
    }
    write_meta(folder, meta)


def without_heads(folder: Path) -> None:
    """Make the folder load its heads from the skops files (as a model saved before heads.npz existed)."""
    (folder / "heads.npz").unlink()
    rehash(folder)


def with_skops_payload(case: str, sentinel: Path) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        payload = SKOPS_CASES[case](folder / "model.skops", sentinel)
        (folder / "model.skops").write_bytes(payload)
        without_heads(folder)

    return tamper


def heads_case(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        with np.load(folder / "heads.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        change(arrays)
        with (folder / "heads.npz").open("wb") as out:
            np.savez(out, **arrays)
        rehash(folder)

    return tamper


def _set(key: str, value: object) -> Callable[[dict], None]:
    def change(arrays: dict) -> None:
        arrays[key] = value

    return change


def _scale(key: str, factor: float) -> Callable[[dict], None]:
    def change(arrays: dict) -> None:
        arrays[key] = arrays[key] * factor

    return change


HEADS_CASES: dict[str, Callable[[dict], None]] = {
    "weights as an object array": lambda a: a.update(weights=np.array([None, 1.0], dtype=object)),
    "weights as strings": lambda a: a.update(weights=a["weights"].astype(str)),
    "weights of the wrong dimension": lambda a: a.update(weights=a["weights"][..., :-1]),
    "weights holding NaN": _scale("weights", float("nan")),
    "criteria coefficients holding infinity": _scale("criteria_coef", float("inf")),
    "criteria rows not matching the criteria": lambda a: a.update(criteria_coef=a["criteria_coef"][:-1]),
    "missing scalars": lambda a: a.pop("scalars"),
    "unknown kernel": _set("kind", np.array("poly")),
    "NaN gamma": lambda a: a.update(scalars=np.array([0.0, float("nan"), 1.0, 0.0])),
    "three scalars": lambda a: a.update(scalars=np.array([0.0, 1.0, 1.0])),
    "half a lexicon": lambda a: a.pop("criteria_idf", None) if "criteria_idf" in a else a.pop("criteria_coef"),
}


def metadata_case(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        meta = read_meta(folder)
        change(meta)
        write_meta(folder, meta)

    return tamper


METADATA_CASES: dict[str, Callable[[dict], None]] = {
    "threshold as a string": lambda m: m.update(threshold="high"),
    "threshold as a numeric string": lambda m: m.update(threshold="0.5"),
    "threshold NaN": lambda m: m.update(threshold=float("nan")),
    "threshold infinite": lambda m: m.update(threshold=float("inf")),
    "threshold above 1": lambda m: m.update(threshold=1.5),
    "no encoder": lambda m: m.pop("encoder"),
    "encoder dimension as a string": lambda m: m["encoder"].update(dimension="256"),
    "unknown encoder runtime": lambda m: m["encoder"].update(runtime="pickle"),
    "empty criteria": lambda m: m.update(criteria=[]),
    "abstain band reversed": lambda m: m.update(abstain_band={"low": 0.9, "high": 0.1}),
    "criteria cut negative": lambda m: m.update(criteria_cut=-0.1),
    "artifact hash not hex": lambda m: m["artifacts"].update({"heads.npz": "not-a-hash"}),
    "artifact outside the folder": lambda m: m["artifacts"].update({"../../etc/passwd": "0" * 64}),
    "metadata without its fields": lambda m: (m.clear(), m.update({"not": "metadata"})),
}


def _replace_bytes(folder: Path) -> None:
    data = bytearray((folder / "heads.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "heads.npz").write_bytes(bytes(data))


def _no_hashes(folder: Path) -> None:
    meta = read_meta(folder)
    meta.pop("artifacts")
    write_meta(folder, meta)


def _heads_symlink(folder: Path) -> None:
    target = folder.parent / "elsewhere.npz"
    shutil.copy(folder / "heads.npz", target)
    (folder / "heads.npz").unlink()
    (folder / "heads.npz").symlink_to(target)


def _metadata_to_dev_zero(folder: Path) -> None:
    (folder / "metadata.json").unlink()
    (folder / "metadata.json").symlink_to("/dev/zero")


def _heads_fifo(folder: Path) -> None:
    import os

    (folder / "heads.npz").unlink()
    os.mkfifo(folder / "heads.npz")


FILE_CASES: dict[str, Callable[[Path], None]] = {
    "heads.npz changed after hashing": _replace_bytes,
    "no hashes recorded": _no_hashes,
    "heads.npz a symlink": _heads_symlink,
    "metadata.json a symlink to /dev/zero": _metadata_to_dev_zero,
    "heads.npz a FIFO": _heads_fifo,
    "heads.npz recorded but missing": lambda folder: (folder / "heads.npz").unlink(),
}


def all_cases(sentinel: Path) -> dict[str, Callable[[Path], None]]:
    cases: dict[str, Callable[[Path], None]] = {}
    cases.update({f"skops: {name}": with_skops_payload(name, sentinel) for name in SKOPS_CASES})
    cases.update({f"heads: {name}": heads_case(change) for name, change in HEADS_CASES.items()})
    cases.update({f"metadata: {name}": metadata_case(change) for name, change in METADATA_CASES.items()})
    cases.update({f"file: {name}": tamper for name, tamper in FILE_CASES.items()})
    return cases


CASE_NAMES = sorted(all_cases(Path("/nonexistent")))


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    path = tmp_path / "sentinel" / "pwned"
    path.parent.mkdir()
    return path


def tampered_copy(fake_model: Path, where: Path, case: str, sentinel: Path) -> Path:
    folder = Path(shutil.copytree(fake_model, where / "model"))
    all_cases(sentinel)[case](folder)
    return folder


@pytest.mark.parametrize("case", CASE_NAMES)
def test_tampered_folder_is_refused_and_runs_nothing(case, fake_model, tmp_path, sentinel):
    folder = tampered_copy(fake_model, tmp_path, case, sentinel)
    with pytest.raises((UntrustedModelError, DataError)) as caught:
        load_router(folder)
    assert str(caught.value)
    from router.artifacts.model_folder import check_model_folder

    with pytest.raises((UntrustedModelError, DataError)):
        check_model_folder(folder)
    assert not sentinel.exists()


def tampered_version(fake_registry: Path, case: str, sentinel: Path) -> str:
    version = registry.versions(fake_registry)[-1]
    new = f"v{int(version[1:]) + 1:04d}"
    folder = Path(shutil.copytree(fake_registry / "versions" / version, fake_registry / "versions" / new))
    all_cases(sentinel)[case](folder)
    return new


PROMOTE_CASES = [
    "skops: reduce sklearn.utils._testing.check_output (subprocess)",
    "skops: reduce router.fs.write_text_atomic",
    "heads: unknown kernel",
    "metadata: threshold NaN",
    "file: heads.npz changed after hashing",
]


@pytest.mark.parametrize("case", PROMOTE_CASES)
def test_promote_refuses_a_tampered_version_and_keeps_current(case, fake_registry, sentinel):
    before = registry.current(fake_registry)
    bad = tampered_version(fake_registry, case, sentinel)
    result = CliRunner().invoke(app, ["models", "promote", bad, "--model", str(fake_registry)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert registry.current(fake_registry) == before
    assert not sentinel.exists()


@pytest.mark.parametrize("case", PROMOTE_CASES)
def test_reload_into_a_tampered_version_is_503_and_keeps_serving(case, fake_registry, sentinel, texts):
    with TestClient(create_app(fake_registry)) as client:
        before = client.get("/v1/model").json()
        bad = tampered_version(fake_registry, case, sentinel)
        (fake_registry / "current").write_text(bad + "\n")  # switched behind the server's back
        response = client.post("/v1/reload")
        assert response.status_code == 503
        assert response.json()["detail"].startswith("reload failed, still serving the old model")
        assert client.get("/v1/model").json() == before
        assert client.post("/v1/route", json={"text": texts["yes"]}).status_code == 200
    assert not sentinel.exists()


def test_route_with_a_tampered_model_exits_1_without_running_it(fake_model, tmp_path, sentinel):
    folder = tampered_copy(
        fake_model, tmp_path, "skops: reduce sklearn.utils._testing.check_output (subprocess)", sentinel
    )
    result = CliRunner().invoke(app, ["route", "Add an index", "--model", str(folder)])
    assert result.exit_code == 1
    assert "allow-list" in result.stderr and result.stderr.count("\n") == 1
    assert not sentinel.exists()


def test_symlinked_version_folder_and_history_are_refused(fake_registry, tmp_path):
    outside = Path(shutil.copytree(fake_registry / "versions" / "v0001", tmp_path / "outside"))
    (fake_registry / "versions" / "v0002").symlink_to(outside, target_is_directory=True)
    assert registry.versions(fake_registry) == ["v0001"]
    with pytest.raises(RegistryError, match="symlink"):
        registry.promote(fake_registry, "v0002")
    history = fake_registry / "history"
    target = tmp_path / "elsewhere-history"
    shutil.move(history, target)
    history.symlink_to(target)
    with pytest.raises(RegistryError, match="symlink"):
        registry.history(fake_registry)
    assert registry.current(fake_registry) == "v0001"
