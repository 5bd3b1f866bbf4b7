"""`router mcp`: an MCP server over stdio (official `mcp` SDK) with one tool, `route`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from router.core.router import Router
from router.errors import RouterError
from router.serving.schemas import DecisionOut
from router.settings import version

if TYPE_CHECKING:
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


def serve_stdio(model_path: str | Path | None = None) -> None:
    """Load the model (a `RouterError` if it cannot), then serve MCP over stdin/stdout until EOF."""
    from router.artifacts.loader import load_router

    create_server(load_router(model_path)).run("stdio")
