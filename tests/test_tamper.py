"""A tamper corpus: model folders an attacker or a broken disk could leave. Each is refused, nothing runs.

Each skops case says what a fully trusting skops load (`trusted=get_untrusted_types(...)`, no allow-list)
does with its payload, and `test_payload_under_a_trusting_skops_load` checks that it does: it runs
(creates the sentinel file), or it builds an untrusted object, or skops cannot build it at all. So the
refusals are the allow-list's doing, not a payload that could never have loaded: every skops case that
is not a malformed file must be refused with `UntrustedModelError` naming exactly the nodes it holds, and
the sentinel must never appear. Cases go through `load_router`, `models promote` and `POST /v1/reload`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import skops
import skops.io as sio
from fastapi.testclient import TestClient
from sklearn.utils._testing import check_output
from typer.testing import CliRunner

from router import fs, load_router
from router.artifacts import registry
from router.artifacts.model_folder import check_model_folder
from router.cli.app import app
from router.errors import DataError, RegistryError, UntrustedModelError
from router.serving.http import create_app

PROTOCOL = {"protocol": 2, "_skops_version": skops.__version__}


# --- building payloads -------------------------------------------------------------------------------------


def node_of(value: object) -> dict:
    """The skops schema node of a plain value (lists, tuples, strings), without its `__id__`s.

    skops shares a node between every place its `__id__` appears, and ids from separate dumps (object
    addresses) can collide: left in, a payload's arguments could load as another node's value.
    """
    with zipfile.ZipFile(io.BytesIO(sio.dumps(value))) as archive:
        schema = json.loads(
            archive.read("schema.json"), object_hook=lambda d: {k: v for k, v in d.items() if k != "__id__"}
        )
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


def kind_node(kind: str, *args: object) -> dict:
    """A node of loader `kind` whose constructor is `check_output(*args)` (its reduce arguments)."""
    return {
        "__class__": "check_output",
        "__module__": "sklearn.utils._testing",
        "__loader__": kind,
        "__reduce__": {"args": node_of(args)},
        "content": node_of({}),
    }


def skops_bytes(schema: dict, files: dict[str, bytes] | None = None) -> bytes:
    """A skops archive: `schema.json` and any other members (the `.npy` arrays a real model's schema names)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps({**schema, **PROTOCOL}))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def nested(real: Path, replacement: dict) -> bytes:
    """The real model's archive, every array file kept, with its first FunctionNode (the scorer) replaced."""
    with zipfile.ZipFile(real) as archive:
        schema = json.loads(archive.read("schema.json"))
        files = {name: archive.read(name) for name in archive.namelist() if name != "schema.json"}
    assert files, f"{real}: expected array files next to the schema"
    return skops_bytes(replace_first(schema, "FunctionNode", replacement), files)


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


def _is(target: object) -> Callable[[object], bool]:
    return lambda obj: obj is target


@dataclass(frozen=True)
class SkopsCase:
    """A payload for model.skops and what becomes of it.

    `build(real model.skops, sentinel)` gives the bytes. `refused` is the `UntrustedModelError` message
    after its file name; None for a malformed file, which is a `DataError`. Under a fully trusting skops load
    the payload either `runs` (creates the sentinel while loading), or `holds` (loads, and the result
    holds an object this predicate picks out, without running anything), or neither (skops cannot build
    it: a malformed file, or a node kind skops builds differently from what the payload names).
    """

    build: Callable[[Path, Path], bytes]
    refused: str | None
    runs: bool = False
    holds: Callable[[object], bool] | None = None


def nodes(*refused: str) -> str:
    """The loader's message for these refused nodes ("kind module.type"): exactly these, nothing else."""
    return "refusing nodes outside the allow-list: " + ", ".join(sorted(refused))


_CHECK_OUTPUT = "sklearn.utils._testing.check_output"

SKOPS_CASES: dict[str, SkopsCase] = {
    "reduce sklearn.utils._testing.check_output (subprocess)": SkopsCase(
        lambda real, s: skops_bytes(reduce_node("sklearn.utils._testing", "check_output", shell(s))),
        refused=nodes(f"ConstructorFromReduceNode {_CHECK_OUTPUT}"),
        runs=True,
    ),
    "reduce router.fs.write_text_atomic": SkopsCase(
        lambda real, s: skops_bytes(reduce_node("router.fs", "write_text_atomic", str(s), "pwned")),
        refused=nodes("ConstructorFromReduceNode router.fs.write_text_atomic"),
        runs=True,
    ),
    "reduce router.artifacts.registry.append_jsonl": SkopsCase(
        lambda real, s: skops_bytes(reduce_node("router.artifacts.registry", "append_jsonl", str(s), [])),
        refused=nodes("ConstructorFromReduceNode router.artifacts.registry.append_jsonl"),
        runs=True,
    ),
    "reduce subprocess.check_output": SkopsCase(
        lambda real, s: skops_bytes(reduce_node("subprocess", "check_output", shell(s))),
        refused=nodes("ConstructorFromReduceNode subprocess.check_output"),
        runs=True,
    ),
    "reduce nested in the real model, in place of the scorer function": SkopsCase(
        lambda real, s: nested(real, reduce_node("sklearn.utils._testing", "check_output", shell(s))),
        refused=nodes(f"ConstructorFromReduceNode {_CHECK_OUTPUT}"),
        runs=True,
    ),
    "method node whose owner is a reduce payload": SkopsCase(
        lambda real, s: skops_bytes(
            {
                "__class__": "check_output",
                "__module__": "sklearn.utils._testing",
                "__loader__": "MethodNode",
                "content": {"func": "__call__", "obj": reduce_node("sklearn.utils._testing", "check_output", shell(s))},
            }
        ),
        refused=nodes(f"ConstructorFromReduceNode {_CHECK_OUTPUT}", f"MethodNode {_CHECK_OUTPUT}"),
        runs=True,
    ),
    "reduce node kind LossNode with a subprocess constructor": SkopsCase(
        lambda real, s: skops_bytes(kind_node("LossNode", shell(s))),
        refused=nodes(f"LossNode {_CHECK_OUTPUT}"),
        runs=True,
    ),
    "function node sklearn.utils._testing.check_output as the scorer": SkopsCase(
        lambda real, s: nested(
            real, {"__class__": "check_output", "__module__": "sklearn.utils._testing", "__loader__": "FunctionNode"}
        ),
        refused=nodes(f"FunctionNode {_CHECK_OUTPUT}"),
        holds=_is(check_output),
    ),
    "function node router.fs.write_text_atomic as the scorer": SkopsCase(
        lambda real, s: nested(
            real, {"__class__": "write_text_atomic", "__module__": "router.fs", "__loader__": "FunctionNode"}
        ),
        refused=nodes("FunctionNode router.fs.write_text_atomic"),
        holds=_is(fs.write_text_atomic),
    ),
    "partial node over check_output": SkopsCase(
        lambda real, s: skops_bytes(
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
        refused=nodes(f"FunctionNode {_CHECK_OUTPUT}", "PartialNode functools.partial"),
        holds=lambda obj: isinstance(obj, functools.partial) and obj.func is check_output,
    ),
    "type node naming subprocess.Popen": SkopsCase(
        lambda real, s: skops_bytes({"__class__": "Popen", "__module__": "subprocess", "__loader__": "TypeNode"}),
        refused=nodes("TypeNode subprocess.Popen"),
        holds=_is(subprocess.Popen),
    ),
    "foreign object type": SkopsCase(
        lambda real, s: sio.dumps({"payload": Foreign()}),
        refused=nodes(f"ObjectNode {__name__}.Foreign"),
        holds=lambda obj: isinstance(obj, Foreign),
    ),
    "object array": SkopsCase(
        lambda real, s: sio.dumps(np.array([{"a": 1}, "b"], dtype=object)),
        refused="refusing an object array (only numeric arrays are allowed)",
        holds=lambda obj: isinstance(obj, np.ndarray) and obj.dtype == object,
    ),
    # skops 0.16 builds sklearn's Tree for any TreeNode, whatever constructor it names: refused by its kind.
    "TreeNode naming a subprocess constructor": SkopsCase(
        lambda real, s: skops_bytes(kind_node("TreeNode", shell(s))),
        refused=nodes(f"TreeNode {_CHECK_OUTPUT}"),
    ),
    "unknown node kind": SkopsCase(
        lambda real, s: skops_bytes({"__class__": "x", "__module__": "os", "__loader__": "EvilNode"}),
        refused=nodes("EvilNode os.x"),
    ),
    "a pickle in place of the skops file": SkopsCase(lambda real, s: pickle.dumps(Pickled(s)), refused=None),
    "not a zip": SkopsCase(lambda real, s: b"PK\x03\x04 not really a zip", refused=None),
    "zip without a schema": SkopsCase(lambda real, s: _zip({"other.json": "{}"}), refused=None),
    "schema that is not JSON": SkopsCase(lambda real, s: _zip({"schema.json": "{nope"}), refused=None),
}
MALFORMED_SKOPS = "not a readable skops file"


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def trusting_load(payload: bytes) -> object:
    """What skops builds when told to trust every type the payload names (no allow-list at all)."""
    return sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))


def reachable(root: object) -> Iterator[object]:
    """Every object reachable from `root` through containers, partials and instance attributes."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple):
            stack.extend(obj)
        elif isinstance(obj, functools.partial):
            stack.extend([obj.func, *obj.args, *obj.keywords.values()])
        elif not isinstance(obj, type) and hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())


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
        payload = SKOPS_CASES[case].build(folder / "model.skops", sentinel)
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
    "a lone surrogate escape in a name": lambda m: m.update(agent="backend-\ud800"),
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


#: Non-skops cases refused as untrusted (a file that is not what metadata.json recorded); the rest are DataErrors.
UNTRUSTED_FILES = {"file: heads.npz changed after hashing", "file: no hashes recorded"}


def expected_refusal(case: str, folder: Path) -> tuple[type[Exception], str]:
    """The error a tampered folder must raise, and its message (exact for skops payloads, else a prefix)."""
    if case.startswith("skops: "):
        refused = SKOPS_CASES[case.removeprefix("skops: ")].refused
        if refused is None:
            return DataError, f"{folder / 'model.skops'}: {MALFORMED_SKOPS} ("
        return UntrustedModelError, f"{folder / 'model.skops'}: {refused}"
    return (UntrustedModelError if case in UNTRUSTED_FILES else DataError), str(folder)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_tampered_folder_is_refused_and_runs_nothing(case, fake_model, tmp_path, sentinel):
    folder = tampered_copy(fake_model, tmp_path, case, sentinel)
    kind, message = expected_refusal(case, folder)
    exact = case.startswith("skops: ") and kind is UntrustedModelError
    for load in (load_router, check_model_folder):
        with pytest.raises((UntrustedModelError, DataError)) as caught:  # the exact type is checked below
            load(folder)
        assert type(caught.value) is kind, f"{load.__name__}: {caught.value!r}"
        text = str(caught.value)
        assert text == message if exact else text.startswith(message), text
    assert not sentinel.exists()


@pytest.mark.parametrize("name", sorted(SKOPS_CASES))
def test_payload_under_a_trusting_skops_load(name, fake_model, sentinel):
    """The positive control: with no allow-list, each payload does what its case says (so its refusal counts)."""
    case = SKOPS_CASES[name]
    payload = case.build(fake_model / "model.skops", sentinel)
    if case.runs:
        with contextlib.suppress(Exception):  # some fail after running (a method of bytes)
            trusting_load(payload)
        assert sentinel.exists(), "the payload did not run under a trusting load"
    elif case.holds is not None:
        loaded = trusting_load(payload)
        assert any(case.holds(obj) for obj in reachable(loaded)), "a trusting load did not build the payload"
        assert not sentinel.exists()
    else:
        with pytest.raises(Exception):  # noqa: B017 - skops cannot build it, whatever it raises
            trusting_load(payload)
        assert not sentinel.exists()


def test_the_armed_partial_runs_when_called(fake_model, sentinel):
    """The partial a trusting load returns is check_output with the payload's command: calling it runs it."""
    loaded = trusting_load(SKOPS_CASES["partial node over check_output"].build(fake_model / "model.skops", sentinel))
    assert isinstance(loaded, functools.partial)
    loaded()
    assert sentinel.exists()


def test_the_pickle_payload_runs_under_pickle(fake_model, sentinel):
    """The pickle case is live for a pickle loader; ours reads it as a malformed skops file."""
    pickle.loads(SKOPS_CASES["a pickle in place of the skops file"].build(fake_model / "model.skops", sentinel))
    assert sentinel.exists()


def tampered_version(fake_registry: Path, case: str, sentinel: Path) -> str:
    version = registry.versions(fake_registry)[-1]
    new = f"v{int(version[1:]) + 1:04d}"
    folder = Path(shutil.copytree(fake_registry / "versions" / version, fake_registry / "versions" / new))
    all_cases(sentinel)[case](folder)
    return new


PROMOTE_CASES = [
    "skops: reduce sklearn.utils._testing.check_output (subprocess)",
    "skops: reduce router.fs.write_text_atomic",
    "skops: reduce nested in the real model, in place of the scorer function",
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
    assert expected_refusal(case, fake_registry / "versions" / bad)[1] in result.stderr
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
        detail = response.json()["detail"]
        assert detail.startswith("reload failed, still serving the old model")
        assert expected_refusal(case, fake_registry / "versions" / bad)[1] in detail
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
