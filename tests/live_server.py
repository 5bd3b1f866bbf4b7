"""A `router serve` subprocess on a free loopback port, for the tests that need a real uvicorn."""

from __future__ import annotations

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
def live_server(model: Path, env: Mapping[str, str], log: Path, timeout: float = 90) -> Iterator[str]:
    """Serve `model` with `env`, output to `log`; the base URL once the model is loaded, stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "router", "serve", "--port", str(port), "--model", str(model)]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert proc.poll() is None, f"router serve exited:\n{log.read_text()}"
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).json()["model_loaded"]:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"router serve did not start:\n{log.read_text()}"
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
