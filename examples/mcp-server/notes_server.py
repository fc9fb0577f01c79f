"""A small MCP server (written with the official SDK's MCPServer, formerly FastMCP): team notes.

gptkit starts it over stdio when a run first needs its tools (``command: python``, ``args:
[notes_server.py]``), and stops it at the end. Run it yourself to try it with any MCP client:
``python notes_server.py``.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

NOTES = {
    "release checklist": "Tag the release, build the wheel, publish, then announce in #releases.",
    "on-call": "The on-call engineer answers pages within 15 minutes; hand over on Mondays at 10:00.",
    "office wifi": "The guest network is 'visitors'; its password is at the front desk.",
}

server = MCPServer("notes", log_level="WARNING")


@server.tool()
def search_notes(query: str) -> str:
    """Find the team notes whose title or text mentions the query; their titles, one a line."""
    words = query.lower().split()
    found = [t for t, text in NOTES.items() if any(w in f"{t} {text}".lower() for w in words)]
    return "\n".join(found) or "no note matches"


@server.tool()
def read_note(title: str) -> str:
    """The text of the note with this exact title."""
    return NOTES.get(title.lower(), f"there is no note titled {title!r}")


if __name__ == "__main__":
    server.run("stdio")
