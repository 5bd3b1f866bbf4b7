import os
import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner

from router import load_router
from router.cli.app import app
from router.serving.mcp import create_server

TEXT = "Add rate limiting to the public REST API"


@pytest.fixture(scope="module")
def router(fake_model):
    return load_router(fake_model)


async def list_and_route(server, texts, mode="auto"):
    """List the tools and call `route` once per text, through a real client session."""
    with anyio.fail_after(60):
        async with Client(server, mode=mode) as client:
            tools = (await client.list_tools()).tools
            results = [await client.call_tool("route", {"text": t}) for t in texts]
    return tools, results


def check_tools(tools):
    assert [t.name for t in tools] == ["route"]
    (tool,) = tools
    assert tool.input_schema["required"] == ["text"]
    assert tool.input_schema["properties"]["text"]["type"] == "string"
    assert "delegate" in tool.output_schema["properties"]


def test_route_tool_in_process(router):
    tools, (ok, blank) = anyio.run(list_and_route, create_server(router), [TEXT, "   "])
    check_tools(tools)
    assert not ok.is_error
    assert ok.structured_content == router.route(TEXT).to_dict()
    assert blank.is_error
    assert "blank" in blank.content[0].text


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # legacy: the initialize handshake of pre-2026 clients
def test_route_tool_over_stdio(fake_model, router, mode):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "router", "mcp", "--model", str(fake_model)],
        env=dict(os.environ),
    )
    tools, (ok,) = anyio.run(list_and_route, params, [TEXT], mode)
    check_tools(tools)
    assert not ok.is_error
    assert ok.structured_content == router.route(TEXT).to_dict()


def test_mcp_with_missing_model_exits_1(tmp_path):
    result = CliRunner().invoke(app, ["mcp", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
