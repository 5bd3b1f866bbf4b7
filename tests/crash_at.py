"""Run one `router` command with router/fs.py's `os` rigged to SIGKILL the process at one point of a write.

    python -m tests.crash_at POINT[@N] MARKER ROUTER-ARGS...

The process kills itself the Nth time (default: the first) router.fs reaches POINT:

- `before-rename`: atomic_path's temporary file is written (write_text_atomic: and fsync'd), its
  `os.replace` not yet done;
- `mid-append`: append_jsonl has written the first half of its bytes (at least one byte, never all);
- `before-dir-fsync`: a directory is about to be fsync'd (fsync_dir: right after a rename, or the last
  step of fsync_tree, right before a staged version is renamed into the registry).

Just before the kill it writes MARKER, a JSON object naming the point and the file (and, mid-append, the
file's size before, the bytes written and the bytes meant), so a test can tell that the kill landed there.
Only the `os` that router.fs sees is replaced; production code has no hook for this.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from pathlib import Path
from typing import Any

import router.fs

POINTS = ("before-rename", "mid-append", "before-dir-fsync")


def _path_of(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


class RiggedOS:
    """The real `os` module, except for the one call that kills the process at `point`."""

    def __init__(self, point: str, nth: int, marker: Path) -> None:
        self.point = point
        self.nth = nth
        self.marker = marker
        self.reached = 0

    def _at(self, point: str) -> bool:
        """Whether this call is the Nth time `point` is reached: the one to die at."""
        if point != self.point:
            return False
        self.reached += 1
        return self.reached == self.nth

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def replace(self, src: Any, dst: Any) -> None:
        if self._at("before-rename"):
            self._die(path=os.fspath(dst), temp=os.fspath(src))
        os.replace(src, dst)

    def write(self, fd: int, data: Any) -> int:
        data = bytes(data)
        if len(data) > 1 and self._at("mid-append"):
            before = os.fstat(fd).st_size
            half = data[: len(data) // 2]
            done = 0
            while done < len(half):
                done += os.write(fd, half[done:])
            self._die(path=_path_of(fd), size_before=before, written=half.hex(), intended=data.hex())
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode) and self._at("before-dir-fsync"):
            self._die(path=_path_of(fd))
        os.fsync(fd)

    def _die(self, **where: Any) -> None:
        self.marker.write_text(json.dumps({"point": self.point, "nth": self.nth, **where}), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    where, marker, *args = sys.argv[1:]
    point, _, nth = where.partition("@")
    if point not in POINTS or not (nth or "1").isdigit() or int(nth or "1") < 1:
        raise SystemExit(f"not POINT[@N]: {where!r}; POINT is one of {', '.join(POINTS)}, N from 1")
    router.fs.os = RiggedOS(point, int(nth or "1"), Path(marker))  # type: ignore[assignment]
    sys.argv = ["router", *args]
    from router.cli.entry import main as router_main

    router_main()


if __name__ == "__main__":
    main()
