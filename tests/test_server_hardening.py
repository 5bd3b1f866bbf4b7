"""A loopback server with web protections: Host allow-list, no cross-site writes, no Host-built
redirects, deadlines for slow clients and a concurrency limit answered with 503."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from router.serving.http import bind_problem, create_app, default_allowed_hosts
from router.serving.slow_clients import HeaderDeadline
from tests.live_server import free_port

LOOPBACK = "http://127.0.0.1:8377"


@pytest.fixture(scope="module")
def guarded(fake_model):
    app = create_app(fake_model, allowed_hosts=default_allowed_hosts("127.0.0.1"))
    with TestClient(app, base_url=LOOPBACK) as client:
        yield client


@pytest.mark.parametrize("host", ["127.0.0.1:8377", "localhost:8377", "[::1]:8377", "localhost"])
def test_loopback_host_names_are_served(guarded, host):
    assert guarded.get("/healthz", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8377", "127.0.0.1.nip.io", ""])
def test_other_host_headers_are_refused(guarded, host, texts):
    for method, path in [("GET", "/healthz"), ("POST", "/v1/route"), ("POST", "/v1/reload")]:
        response = guarded.request(method, path, headers={"Host": host}, json={"text": texts["yes"]})
        assert response.status_code == 400, (method, path)
        assert response.json()["detail"].startswith("host not allowed")


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "Localhost", "127.0.0.1", "::1"])
def test_a_loopback_bind_address_is_loopback_in_any_case(host):
    # Before: only the exact spelling `localhost` was loopback, so `--host LOCALHOST` needed a token and,
    # given one, served any Host header (no allow-list).
    assert bind_problem(host, None) is None
    assert "127.0.0.1" in (default_allowed_hosts(host) or ())


def test_off_loopback_without_allow_host_answers_any_host():
    assert default_allowed_hosts("0.0.0.0") is None
    assert default_allowed_hosts("0.0.0.0", ["router.internal"]) == {"router.internal"}
    assert "127.0.0.1" in default_allowed_hosts("127.0.0.1")


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://attacker.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["foreign origin", "null origin", "sec-fetch cross-site"],
)
def test_cross_origin_reload_is_refused_without_a_token(guarded, headers):
    response = guarded.post("/v1/reload", headers=headers)
    assert response.status_code == 403
    assert "cross-origin" in response.json()["detail"]


def test_same_origin_and_non_browser_reloads_pass(guarded):
    assert guarded.post("/v1/reload", headers={"Origin": LOOPBACK}).status_code == 200
    assert guarded.post("/v1/reload").status_code == 200  # curl, scripts: no Origin


def test_reload_needs_the_token_when_one_is_set(fake_model):
    app = create_app(fake_model, token="s3cret", allowed_hosts=default_allowed_hosts("127.0.0.1"))
    with TestClient(app, base_url=LOOPBACK) as client:
        assert client.post("/v1/reload").status_code == 401
        assert client.post("/v1/reload", headers={"Authorization": "Bearer s3cret"}).status_code == 200


@pytest.mark.parametrize("path", ["/v1/model/", "/healthz/", "/v1/route/"])
def test_no_redirect_is_built_from_the_host(fake_model, path):
    with TestClient(create_app(fake_model), base_url="http://attacker.example") as client:
        response = client.request("GET", path, follow_redirects=False)
    assert response.status_code in (404, 405)
    assert "location" not in response.headers
    assert "detail" in response.json()


# --- real sockets: slow clients and the concurrency limit ----------------------------------------------------


class FastDeadline(HeaderDeadline):
    header_timeout = 1.0


@contextmanager
def live_server(app, **config) -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """Whether the server closes the connection within `seconds` while we trickle bytes at it."""
    sock.settimeout(0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if trickle:
                sock.sendall(trickle)
            data = sock.recv(4096)
            if data == b"" or b"HTTP/1.1 408" in data:
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_headers_trickled_in_are_cut_off(fake_model):
    with live_server(create_app(fake_model), http=FastDeadline) as port:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert closed_within(sock, 6.0, trickle=b"X")
        with socket.create_connection(("127.0.0.1", port)) as idle:
            assert closed_within(idle, 6.0)  # nothing sent at all
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP response's head and its Content-Length body, however the bytes arrive in segments."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), 0
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head, body


def test_a_body_not_sent_in_time_is_408(fake_model):
    app = create_app(fake_model, body_timeout=1.0)
    with live_server(app, http=FastDeadline) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        head = b"POST /v1/route HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head + b'{"text": ')
        sock.settimeout(8)
        head, body = read_response(sock)
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body)["detail"].startswith("request body not received")


def test_over_the_concurrency_limit_is_a_json_503(fake_model, texts):
    app = create_app(fake_model, max_concurrent=2)
    with live_server(app) as port:
        stalled = []
        for _ in range(2):  # two requests in flight, their bodies still coming
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"POST /v1/route HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
            stalled.append(sock)
        time.sleep(0.5)
        try:
            busy = httpx.post(f"http://127.0.0.1:{port}/v1/route", json={"text": texts["yes"]}, timeout=10)
        finally:
            for sock in stalled:
                sock.close()
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["detail"].startswith("busy")
        time.sleep(0.5)
        assert (
            httpx.post(f"http://127.0.0.1:{port}/v1/route", json={"text": texts["yes"]}, timeout=10).status_code == 200
        )
