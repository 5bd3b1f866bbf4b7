"""Crash safety: SIGKILL during `feedback`, `label import` and `models promote`, and a full disk (a small
tmpfs), lose no committed label and leave the registry loadable."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from router import load_router
from router.artifacts import registry
from router.dataset.examples import parse_file
from router.errors import DataError, RegistryError
from router.loop.feedback import FEEDBACK_DIR, LabelIndex, import_labels, record_feedback
from tests.jsonl import write_jsonl


def router_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "router", *args]


def kill_after(command: list[str], delay: float) -> int:
    """Start the command, SIGKILL it after `delay` seconds (if still running); its return code."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    return proc.wait()


def labels_in(data_dir: Path) -> dict[str, int]:
    """Every parsable label under the feedback folder (a torn last line from a kill is not a label)."""
    labels: dict[str, int] = {}
    for path in sorted((data_dir / FEEDBACK_DIR).glob("*.jsonl")):
        parsed = parse_file(path)
        torn = [p for p in parsed.problems if not p.startswith(f"{path}:{_line_count(path)}:")]
        assert not torn, torn  # only the very last line may be torn
        labels.update({ex.text: ex.label for ex in parsed.examples})
    return labels


def _line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") + (0 if path.read_bytes().endswith(b"\n") else 1)


#: When to kill, as shares of an uninterrupted run's duration: spread over the run, most near its end (the write).
SHARES = (0.3, 0.6, 0.85, 0.93, 0.97, 0.99)


def delays(command: list[str]) -> list[float]:
    """Kill times for a command: shares of how long one uninterrupted run of it takes here, now."""
    start = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=300)
    took = time.monotonic() - start
    return [share * took for share in SHARES]


def test_sigkill_during_label_import_loses_no_committed_label(data_copy, fresh_rows, tmp_path):
    committed = fresh_rows[:20]
    source = tmp_path / "first.jsonl"
    write_jsonl(source, committed)
    assert not import_labels(source, data_copy).errors
    expected = {r["text"]: r["label"] for r in committed}
    codes = []
    probe = tmp_path / "probe.jsonl"
    write_jsonl(probe, fresh_rows[20:120])
    schedule = delays(router_command("label", "import", str(probe), "--data-dir", str(data_copy)))
    expected = labels_in(data_copy)
    for i, delay in enumerate(schedule, 1):
        batch = tmp_path / f"batch{i}.jsonl"  # new labels each run, so each run has a write to interrupt
        write_jsonl(batch, fresh_rows[20 + 100 * i : 120 + 100 * i])
        codes.append(kill_after(router_command("label", "import", str(batch), "--data-dir", str(data_copy)), delay))
        labels = labels_in(data_copy)
        assert all(labels.get(text) == label for text, label in expected.items())
        LabelIndex.load(data_copy)  # still readable
        expected = labels  # whatever was committed must survive the next kill
    assert -signal.SIGKILL in codes  # at least one run really was killed mid-way
    batch = tmp_path / "last.jsonl"
    write_jsonl(batch, fresh_rows[20:800])
    done = subprocess.run(router_command("label", "import", str(batch), "--data-dir", str(data_copy)), timeout=300)
    assert done.returncode in (0, 1)  # 1: some rows conflict with labels already in the data
    assert set(labels_in(data_copy)) >= set(expected)


def test_sigkill_during_feedback_loses_no_committed_label(data_copy, fresh_rows):
    schedule = delays(router_command("feedback", fresh_rows[899]["text"], "--label", "0", "--data-dir", str(data_copy)))
    expected = labels_in(data_copy)
    killed = 0
    for i, delay in enumerate(schedule):
        row = fresh_rows[900 + i]
        code = kill_after(router_command("feedback", row["text"], "--label", "0", "--data-dir", str(data_copy)), delay)
        killed += code == -signal.SIGKILL
        labels = labels_in(data_copy)
        assert all(labels.get(text) == label for text, label in expected.items())
        expected = labels
    assert killed


def test_sigkill_during_promote_leaves_the_registry_loadable(fake_registry):
    second = fake_registry / "versions" / "v0002"
    shutil.copytree(fake_registry / "versions" / "v0001", second)
    killed = 0
    for delay in delays(router_command("models", "promote", "v0001", "--model", str(fake_registry))):
        target = "v0002" if registry.current(fake_registry) == "v0001" else "v0001"
        code = kill_after(router_command("models", "promote", target, "--model", str(fake_registry)), delay)
        killed += code == -signal.SIGKILL
        assert registry.current(fake_registry) in ("v0001", "v0002")
        assert load_router(fake_registry).route("Add an index to the orders table").probability >= 0.0
        registry.history(fake_registry)
        assert not [p for p in (fake_registry).iterdir() if p.name.startswith(".current.")]  # no stray temp file
    assert killed


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
