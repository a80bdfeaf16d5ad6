"""The local viewer behind `agentops-otel serve`: sessions (search, sort, pages), trends, comparisons,
and each session's replay page."""

from ._server import ViewerServer, make_server

__all__ = ["ViewerServer", "make_server"]
