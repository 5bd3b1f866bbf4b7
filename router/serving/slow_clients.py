"""uvicorn's h11 protocol with a deadline for each request's headers: slow clients cannot hold a connection.

uvicorn times out idle keep-alive connections but not a request whose headers trickle in (slow-loris).
`HeaderDeadline` closes a connection whose request line and headers have not all arrived within
`HEADER_TIMEOUT` seconds of its first byte (or of the connection, for the first request).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a request's line and headers.
HEADER_TIMEOUT = 10.0


class HeaderDeadline(H11Protocol):
    """`H11Protocol` plus a headers deadline, armed while the connection waits for a request."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Arm the deadline for the first request."""
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        """Keep the deadline (never reset by a trickle of bytes) until a request's headers are complete."""
        if self._waiting_for_headers():
            self._arm()
        super().data_received(data)
        if not self._waiting_for_headers():
            self._disarm()

    def connection_lost(self, exc: Any) -> None:
        """Drop the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)
