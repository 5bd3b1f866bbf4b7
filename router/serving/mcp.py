"""`router mcp`: an MCP server over stdio (official `mcp` SDK) with one tool, `route`.

The SDK cannot parse a JSON-RPC line holding a lone surrogate (a JSON escape of U+D800 to U+DFFF, or a
byte that is not UTF-8) and drops it unanswered; `CheckedLines` answers such a line with a JSON-RPC error for its
id, so every request gets an answer and the server keeps serving.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from router.core.router import Router
from router.errors import RouterError
from router.serving.schemas import DecisionOut
from router.settings import version

if TYPE_CHECKING:
    import anyio
    from mcp.server.mcpserver import MCPServer

ROUTE_DESCRIPTION = (
    "Decide whether a request should go to the {agent} agent. Answers agent, delegate, probability "
    "(calibrated), threshold, uncertain (inside the abstain band: decide yourself), criteria and model_version."
)
INSTRUCTIONS = (
    "Call `route` with a user's request to learn whether it fits the {agent} agent: it answers "
    "`delegate`, a calibrated `probability`, `uncertain` (decide yourself) and the matched `criteria`."
)


def create_server(router: Router) -> MCPServer:
    """An MCP server whose `route` tool answers decisions from `router`."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    agent = router.metadata.agent
    server: MCPServer = MCPServer("router", instructions=INSTRUCTIONS.format(agent=agent), version=version())

    @server.tool(title="Route a request", description=ROUTE_DESCRIPTION.format(agent=agent))
    def route(text: str) -> DecisionOut:
        """Decide for one text; a blank text is a tool error."""
        try:
            return DecisionOut.model_validate(router.route(text).to_dict())
        except RouterError as err:
            raise ToolError(str(err)) from None

    return server


def line_problem(line: str) -> tuple[Any, int, str] | None:
    """(id, JSON-RPC error code, message) for a line the SDK cannot parse, or None to pass it on."""
    from mcp_types import INVALID_PARAMS, PARSE_ERROR, jsonrpc_message_adapter
    from pydantic import ValidationError

    if not line.strip():
        return None
    try:
        jsonrpc_message_adapter.validate_json(line, by_name=False)
        return None
    except ValidationError:
        pass
    try:
        message = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None, PARSE_ERROR, "Parse error: the line is not JSON"
    ident = message.get("id") if isinstance(message, dict) else None
    ident = ident if isinstance(ident, str | int) and not isinstance(ident, bool) else None
    try:
        json.dumps(message, ensure_ascii=False).encode("utf-8")  # raw or \\u-escaped lone surrogates
    except UnicodeEncodeError:
        return ident, INVALID_PARAMS, "a string holds an invalid code point (a lone surrogate: not valid Unicode)"
    return None  # valid JSON, not a valid message: the SDK's own handling


class CheckedLines:
    """stdin lines for the SDK's stdio transport; a line it cannot parse is answered here instead."""

    def __init__(self, source: anyio.AsyncFile[str]) -> None:
        import anyio

        self.source = source
        self.replies: Any = None
        self.ready = anyio.Event()

    def answer_with(self, write_stream: Any) -> None:
        """Where error answers go: the transport's write stream (answers and errors stay in order)."""
        self.replies = write_stream
        self.ready.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        from mcp.shared.message import SessionMessage
        from mcp_types import ErrorData, JSONRPCError

        async for line in self.source:
            problem = line_problem(line)
            if problem is None:
                yield line
                continue
            ident, code, message = problem
            await self.ready.wait()
            error = JSONRPCError(jsonrpc="2.0", id=ident, error=ErrorData(code=code, message=message))
            await self.replies.send(SessionMessage(error))


async def _run_stdio(server: MCPServer) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    # Undecodable bytes become lone surrogates, so they are refused rather than silently replaced.
    text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape")
    lines = CheckedLines(anyio.wrap_file(text))
    async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
        lines.answer_with(write_stream)
        lowlevel = server._lowlevel_server  # what `MCPServer.run_stdio_async` runs, on our stdin
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


def serve_stdio(model_path: str | Path | None = None) -> None:
    """Load the model (a `RouterError` if it cannot), then serve MCP over stdin/stdout until EOF."""
    import anyio

    from router.artifacts.loader import load_router

    anyio.run(_run_stdio, create_server(load_router(model_path)))
