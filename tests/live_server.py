"""A `router serve` subprocess on a free loopback port, for the tests (and benchmarks) that need a real uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    model: Path | str | None, env: Mapping[str, str], log: Path, *options: str, timeout: float = 90
) -> Iterator[tuple[str, int]]:
    """Serve `model` (None: the default model) with `env` and `options`, output to `log`.

    Yields the base URL and the server's pid once the model is loaded; the server is stopped on exit.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "router", "serve", "--port", str(port), *options]
    cmd += ["--model", str(model)] if model else []
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert proc.poll() is None, f"router serve exited:\n{_tail(log)}"
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).json()["model_loaded"]:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"router serve did not start:\n{_tail(log)}"
                time.sleep(0.2)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def live_server(model: Path, env: Mapping[str, str], log: Path, timeout: float = 90) -> Iterator[str]:
    """Serve `model` with `env`, output to `log`; the base URL once the model is loaded, stopped on exit."""
    with serving(model, env, log, timeout=timeout) as (url, _):
        yield url


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.is_file() and log != Path(os.devnull) else ""
