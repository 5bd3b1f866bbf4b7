"""ASGI middleware in front of every route, before the app reads a byte of the body.

In order: the Host allow-list (400; DNS rebinding), the concurrency limit (503), the bearer token on
`/v1/*` (401), cross-origin writes when no token is set (403; CSRF from a browser), then the body:
its size (413) and a deadline to read it (408). Every refusal is JSON `{"detail": ...}`.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths that answer without the bearer token: liveness and the API description.
OPEN_PATHS = frozenset({"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
#: Host names a loopback server answers to by default.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Requests handled at once; past it, 503.
MAX_CONCURRENT = 64
#: Seconds a client has to send a whole request body.
BODY_TIMEOUT = 10.0
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(value: str) -> str:
    """The host of a Host or Origin value, lowercased, without port or IPv6 brackets."""
    value = value.strip().lower()
    if "://" in value:
        return (urlsplit(value).hostname or "").lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name is loopback."""
    name = host_name(host)
    try:
        return name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Guard:
    """ASGI middleware: host, concurrency, token, origin, then body size and read deadline."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        max_body: int,
        allowed_hosts: Collection[str] | None = None,
        max_concurrent: int = MAX_CONCURRENT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.allowed_hosts = None if allowed_hosts is None else frozenset(host_name(h) for h in allowed_hosts)
        self.max_concurrent = max_concurrent
        self.body_timeout = body_timeout
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or pass one request, replaying the body it read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._refusal(scope, headers)
        if problem is not None:
            status, detail, extra = problem
            await _error(status, detail, extra)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._pass(scope, receive, send, headers)
        finally:
            self.in_flight -= 1

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, dict[str, str] | None] | None:
        if self.allowed_hosts is not None and host_name(headers.get("host", "")) not in self.allowed_hosts:
            return 400, "host not allowed (this server answers only to its allowed host names)", None
        if self.in_flight >= self.max_concurrent:
            return 503, f"busy: over {self.max_concurrent} requests at once; retry shortly", {"Retry-After": "1"}
        path, method = scope["path"], scope["method"]
        if self.token is not None and path not in OPEN_PATHS and not _authorized(headers, self.token):
            return 401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
        if self.token is None and method not in _SAFE_METHODS and self._cross_origin(headers):
            return 403, "cross-origin request refused (set ROUTER_TOKEN to call this server from elsewhere)", None
        return None

    def _cross_origin(self, headers: dict[str, str]) -> bool:
        if headers.get("sec-fetch-site", "") in ("cross-site", "same-site"):
            return True
        origin = headers.get("origin")
        if origin is None:
            return False
        allowed = self.allowed_hosts if self.allowed_hosts is not None else {host_name(headers.get("host", ""))}
        return origin == "null" or host_name(origin) not in allowed

    async def _pass(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _error(413, f"request body over {self.max_body} bytes")(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await _error(408, f"request body not received within {self.body_timeout:g} s")(scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _error(413, f"request body over {self.max_body} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _authorized(headers: dict[str, str], token: str) -> bool:
    """A constant-time check of the bearer token."""
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    headers = {**(headers or {}), "Connection": "close"} if status in (408, 503) else headers
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)
