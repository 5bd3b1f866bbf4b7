"""Front-ends on the router: HTTP server, Claude Code hook, MCP server and batch files."""
