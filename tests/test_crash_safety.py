"""Crash safety: SIGKILL at the critical moments of `feedback`, `label import`, `models promote` and
`train`, and a full disk (a small tmpfs), lose no committed label and leave the registry loadable.

Each killed run goes through `tests/crash_at.py`, which rigs router/fs.py's `os` so that the process
SIGKILLs itself inside the write: half-way through an append, after a temporary file is written but
before its rename, after the rename but before the directory's fsync, after a staged version is
written but before it is renamed into the registry. The marker it leaves proves the kill landed there.
Each file must then hold the old or the new state: a pointer is whole, a version is whole or not there,
and an append is the old bytes plus a prefix of the new ones, whose torn last line is never a label,
stays on its own line and loses no label before or after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
import warnings
from collections.abc import Collection
from pathlib import Path

import pytest

from router import load_router
from router.artifacts import registry
from router.artifacts.model_folder import check_model_folder
from router.dataset.examples import parse_file
from router.errors import DataError, RegistryError
from router.fs import atomic_path, temp_files, write_text_atomic
from router.loop.feedback import FEEDBACK_DIR, FEEDBACK_FILE, IMPORT_FILE, LabelIndex, import_labels, record_feedback
from tests.fakes import HASHING_ENCODER
from tests.jsonl import write_jsonl


def run_router(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "router", *args], capture_output=True, timeout=300, check=False)


def killed_at(point: str, tmp_path: Path, *args: str) -> dict:
    """Run `router ARGS` rigged to SIGKILL itself at `point`; the marker it wrote just before the kill."""
    marker = tmp_path / f"killed-{uuid.uuid4().hex}.json"
    command = [sys.executable, "-m", "tests.crash_at", point, str(marker), *args]
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    assert done.returncode == -signal.SIGKILL, f"not killed at {point}: {done.returncode} {done.stderr.decode()}"
    hit = json.loads(marker.read_text(encoding="utf-8"))
    name, _, nth = point.partition("@")
    assert (hit["point"], hit["nth"]) == (name, int(nth or "1")), hit
    return hit


def check_torn_append(path: Path, before: bytes, hit: dict) -> bytes:
    """After a kill mid-append: the file is its old bytes plus a strict prefix of the append. The torn line."""
    written, intended = bytes.fromhex(hit["written"]), bytes.fromhex(hit["intended"])
    assert Path(hit["path"]) == path.resolve() and hit["size_before"] == len(before)
    assert 0 < len(written) < len(intended) and intended.startswith(written)
    assert path.read_bytes() == before + written
    assert intended.startswith(b"\n") == (before != b"" and not before.endswith(b"\n"))  # a torn line ends first
    torn = written.rsplit(b"\n", 1)[-1]
    assert torn, "the kill fell between two lines: nothing torn"
    return torn


def whole_lines(hit: dict) -> dict[str, int]:
    """The labels in the whole lines an append killed mid-way did write."""
    rows = [json.loads(line) for line in bytes.fromhex(hit["written"]).split(b"\n")[:-1] if line]
    return {row["text"]: row["label"] for row in rows}


def labels_in(data_dir: Path, torn: Collection[bytes] = ()) -> dict[str, int]:
    """Every label under the feedback folder, each text once; the only bad lines are the `torn` ones."""
    labels: dict[str, int] = {}
    for path in sorted((data_dir / FEEDBACK_DIR).glob("*.jsonl")):
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"" or lines[-1] in torn, f"{path}: unterminated last line"
        found = {}
        for line in lines:
            if line and line not in torn:
                row = json.loads(line)
                assert row["text"] not in found and row["text"] not in labels, f"labeled twice: {row['text']!r}"
                found[row["text"]] = row["label"]
        parsed = parse_file(path)  # the router's own reader sees the same labels, and only the torn lines as bad
        assert {ex.text: ex.label for ex in parsed.examples} == found
        assert len(parsed.problems) == sum(line in torn for line in lines if line), parsed.problems
        labels.update(found)
    LabelIndex.load(data_dir)  # still readable
    return labels


def test_sigkill_mid_feedback_append_loses_no_label(data_copy, fresh_rows, tmp_path):
    path = data_copy / FEEDBACK_DIR / FEEDBACK_FILE
    first, killed, last = fresh_rows[0], fresh_rows[1:3], fresh_rows[3]
    record_feedback(first["text"], 0, data_dir=data_copy)
    torn: list[bytes] = []
    for row in killed:  # the second kill appends after the first one's torn line
        before = path.read_bytes()
        hit = killed_at("mid-append", tmp_path, "feedback", row["text"], "--label", "0", "--data-dir", str(data_copy))
        torn.append(check_torn_append(path, before, hit))
        assert labels_in(data_copy, torn) == {first["text"]: 0}  # the killed label is not half there
    done = run_router("feedback", last["text"], "--label", "0", "--data-dir", str(data_copy))
    assert done.returncode == 0, done.stderr.decode()
    assert labels_in(data_copy, torn) == {first["text"]: 0, last["text"]: 0}


def test_sigkill_mid_label_import_commits_whole_lines_only(data_copy, fresh_rows, tmp_path):
    path = data_copy / FEEDBACK_DIR / IMPORT_FILE
    assert not import_labels(write_jsonl(tmp_path / "first.jsonl", fresh_rows[:20]), data_copy).errors
    expected = {r["text"]: r["label"] for r in fresh_rows[:20]}
    torn: list[bytes] = []
    for i, rows in enumerate((fresh_rows[20:120], fresh_rows[120:220])):
        batch = write_jsonl(tmp_path / f"batch{i}.jsonl", rows)
        before = path.read_bytes()
        hit = killed_at("mid-append", tmp_path, "label", "import", str(batch), "--data-dir", str(data_copy))
        torn.append(check_torn_append(path, before, hit))
        whole = whole_lines(hit)
        assert 0 < len(whole) < len(rows)  # the kill fell inside the batch
        assert whole.items() <= {r["text"]: r["label"] for r in rows}.items()
        expected.update(whole)
        assert labels_in(data_copy, torn) == expected
    # Importing both batches again adds what the kills cut off; what they committed is a duplicate.
    done = run_router(
        "label", "import", str(write_jsonl(tmp_path / "again.jsonl", fresh_rows[20:220])), "--data-dir", str(data_copy)
    )
    assert done.returncode == 0, done.stderr.decode()
    assert labels_in(data_copy, torn) == {r["text"]: r["label"] for r in fresh_rows[:220]}


def versions_digest(root: Path) -> dict[str, str]:
    """Each published version's digest of its files (a staging folder beside them is not a version)."""
    digests = {}
    for version in registry.versions(root):
        digest = hashlib.sha256()
        folder = registry.version_folder(root, version)
        for path in sorted(folder.rglob("*")):
            digest.update(str(path.relative_to(folder)).encode() + (path.read_bytes() if path.is_file() else b"/"))
        digests[version] = digest.hexdigest()
    return digests


def test_temp_files_finds_what_atomic_path_writes(tmp_path):
    target = tmp_path / "current"
    (tmp_path / ".currently.abc.tmp").write_text("")  # another file's temporary file
    with atomic_path(target) as tmp:
        assert temp_files(target) == [tmp]
    with atomic_path(target, suffix=".npy") as tmp:
        assert temp_files(target, ".npy") == [tmp] and temp_files(target) == []
    assert temp_files(target) == [] and target.exists()
    write_text_atomic(target, "v0001\n")
    assert temp_files(target) == []


def stray_files(root: Path) -> list[str]:
    """Hidden files a killed writer may leave in a registry: staging folders, temporary pointers."""
    found = [*root.iterdir(), *(root / registry.VERSIONS).iterdir()]
    return sorted(p.name for p in found if p.name.startswith(".") and p.name != registry.LOCK)


def check_registry(root: Path, current: str, history: list[dict], versions: dict[str, str]) -> None:
    """`current` names a whole version, the history is still readable, no version changed, and it routes."""
    assert (root / registry.CURRENT).read_text(encoding="utf-8") == current + "\n"
    assert registry.history(root) == history
    assert versions_digest(root) == versions
    for version in registry.versions(root):
        check_model_folder(registry.version_folder(root, version))
    assert 0.0 <= load_router(root).route("Add an index to the orders table").probability <= 1.0


def test_sigkill_inside_promote_leaves_the_old_or_the_new_current(fake_registry, tmp_path):
    root = fake_registry
    shutil.copytree(root / "versions" / "v0001", root / "versions" / "v0002")
    versions, history = versions_digest(root), registry.history(root)
    promote = ("models", "promote")

    # The new pointer written to its temporary file, not renamed: still the old version.
    hit = killed_at("before-rename", tmp_path, *promote, "v0002", "--model", str(root))
    assert Path(hit["path"]) == root / registry.CURRENT
    assert Path(hit["temp"]).parent == root and Path(hit["temp"]).read_text(encoding="utf-8") == "v0002\n"
    check_registry(root, "v0001", history, versions)

    # Renamed, its directory not yet fsync'd: the new version, whole; the history entry comes after.
    hit = killed_at("before-dir-fsync", tmp_path, *promote, "v0002", "--model", str(root))
    assert Path(hit["path"]) == root.resolve()
    check_registry(root, "v0002", history, versions)
    assert stray_files(root) == [], "a killed writer's temporary file is still there"

    # Half the history entry written: the switch is done, the torn entry is not an entry.
    before = (root / registry.HISTORY).read_bytes()
    hit = killed_at("mid-append", tmp_path, *promote, "v0001", "--model", str(root))
    check_torn_append(root / registry.HISTORY, before, hit)
    check_registry(root, "v0001", history, versions)

    done = run_router(*promote, "v0002", "--model", str(root))
    assert done.returncode == 0, done.stderr.decode()
    entries = registry.history(root)
    assert entries[:-1] == history and (entries[-1]["from"], entries[-1]["to"]) == ("v0001", "v0002")
    check_registry(root, "v0002", entries, versions)


def test_sigkill_inside_train_publishes_a_whole_version_or_none(fake_registry, small_data, tmp_path):
    root = fake_registry
    train = ("train", "--data-dir", str(small_data), "--out", str(root), "--encoder", HASHING_ENCODER)
    train += ("--no-cache", "--no-onnx")
    versions, history = versions_digest(root), registry.history(root)
    assert stray_files(root) == []

    # Staged whole, every file fsync'd, the staging folder's own fsync and its rename not yet done: no new
    # version, and the staging folder (its writer dead) is not one.
    hit = killed_at("before-dir-fsync@1", tmp_path, *train)
    staged = Path(hit["path"])
    assert staged.parent == (root / registry.VERSIONS).resolve() and staged.name.startswith(".staging-")
    check_model_folder(staged)  # whole, and still only staged
    check_registry(root, "v0001", history, versions)

    # Renamed into versions/ (v0002, whole), `versions/` not yet fsync'd, not yet current: still v0001.
    hit = killed_at("before-dir-fsync@2", tmp_path, *train)
    assert Path(hit["path"]) == (root / registry.VERSIONS).resolve()
    assert not staged.exists(), "the dead writer's staging folder was not removed"
    assert stray_files(root) == []
    versions = versions_digest(root)
    assert list(versions) == ["v0001", "v0002"]
    check_registry(root, "v0001", history, versions)

    # The next train numbers its version after the killed one's, leaves it as it is, and is made current.
    done = run_router(*train)
    assert done.returncode == 0, done.stderr.decode()
    entries = registry.history(root)
    assert entries[:-1] == history and (entries[-1]["from"], entries[-1]["to"]) == ("v0001", "v0003")
    after = versions_digest(root)
    assert list(after) == ["v0001", "v0002", "v0003"] and {**after, "v0003": None} == {**versions, "v0003": None}
    check_registry(root, "v0003", entries, after)
    assert stray_files(root) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs, unmounted afterwards; skipped (loudly) where tmpfs cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        warnings.warn(f"full-disk tests skipped: cannot mount a tmpfs ({done.stderr.decode().strip()})", stacklevel=1)
        pytest.skip(f"SKIPPED LOUDLY: cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Fill the disk to the last byte."""
    with (disk / "filler").open("wb") as out:
        try:
            while True:
                out.write(os.urandom(64 * 1024))
                out.flush()
        except OSError:
            pass
    try:
        with (disk / "filler").open("ab") as out:
            while True:
                out.write(b"x")
                out.flush()
    except OSError:
        pass


def test_full_disk_keeps_labels_and_registry(small_disk, small_data, fake_root, fresh_rows, tmp_path):
    data = Path(shutil.copytree(small_data, small_disk / "data"))
    root = Path(shutil.copytree(fake_root, small_disk / "registry"))
    shutil.copytree(root / "versions" / "v0001", root / "versions" / "v0002")
    record_feedback(fresh_rows[0]["text"], fresh_rows[0]["label"], fresh_rows[0]["criteria"], data_dir=data)
    before = (data / FEEDBACK_DIR / "feedback.jsonl").read_bytes()
    fill(small_disk)

    source = tmp_path / "labels.jsonl"
    write_jsonl(source, fresh_rows[1:200])
    with pytest.raises(DataError, match="cannot write labels"):
        import_labels(source, data)
    with pytest.raises(DataError, match="cannot write labels"):
        long = fresh_rows[300]["text"] + " " + " ".join(uuid.uuid4().hex for _ in range(300))  # past a page
        record_feedback(long, 0, data_dir=data)
    assert (data / FEEDBACK_DIR / "feedback.jsonl").read_bytes() == before  # no half line appended
    assert labels_in(data) == {fresh_rows[0]["text"]: fresh_rows[0]["label"]}

    with pytest.raises(RegistryError, match="cannot write the registry"):
        registry.promote(root, "v0002")
    assert registry.current(root) == "v0001"
    router = load_router(root, log=small_disk / "decisions.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        decision = router.route("Add an index to the orders table")
    assert 0.0 <= decision.probability <= 1.0  # routed, though the log could not be written

    (small_disk / "filler").unlink()
    assert registry.promote(root, "v0002") == ("v0001", "v0002")
    assert not import_labels(source, data).errors
