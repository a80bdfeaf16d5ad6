"""The local viewer behind `agentops-otel serve`: the team's console over any trace source.

    server = make_server(open_source("traces.jsonl"), port=0)
    print(server.url); server.serve_forever()

Routes:
    /                  sessions: search (id prefix, name, tag, text inside steps), sort, pages, filters
    /sessions/{id}     the session's replay page, with links back to the list and to its neighbours
    /trends            failure rate, cost and p95 latency over time, per service or tag
    /diff?a=&b=        two sessions side by side, aligned, the first divergence highlighted
    /api/sessions, /api/trends   the same as JSON

Replay pages are kept rendered per session, keyed by what would change (a span more, the end), so a
running session refreshes and an ended one is neither rendered nor read again while unchanged
(`_replays`). Every
value shown is escaped; requests naming another host are refused, so a web page that rebinds its DNS
name to 127.0.0.1 cannot read your traces. Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.parse
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import AgentOpsOtelError, SessionNotFoundError
from ..sources import TraceSource
from ._listing import Listing
from ._pages import CSP, error_page, list_page, session_href
from ._query import BadRequest, ListQuery, list_query, trend_query
from ._replays import Replays

_log = logging.getLogger("agentops_otel")
_WRITE_SLICE = 256 * 1024
_JSON = "application/json"


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer
    server_version = "agentops-otel"

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("serve: " + format, *args)

    # Answers

    def _send(
        self, status: int, parts: Sequence[bytes], content_type: str = "text/html; charset=utf-8", csp: str | None = CSP
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(len(p) for p in parts)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        if self.command == "HEAD":
            return
        for part in parts:  # a page of megabytes goes out in slices
            for start in range(0, len(part), _WRITE_SLICE):
                self.wfile.write(part[start : start + _WRITE_SLICE])

    def _html(self, status: int, page: str) -> None:
        self._send(status, [page.encode("utf-8")])

    def _json(self, status: int, data: Any) -> None:
        self._send(status, [json.dumps(data, default=str).encode("utf-8")], _JSON, csp=None)

    def _failed(
        self, status: int, title: str, reason: str, api: bool, back: tuple[str, str] = ("the sessions", "/")
    ) -> None:
        if api:
            self._json(status, {"error": reason})
        else:
            self._html(status, error_page(title, reason, source=self.server.source.description, back=back))

    def _host_allowed(self) -> bool:
        if self.server.allowed_hosts is None:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in self.server.allowed_hosts

    # Routing

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, [b"unknown Host header"], "text/plain; charset=utf-8")
            return
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        path = urllib.parse.unquote(parsed.path)
        api = path.startswith("/api/")
        routes: dict[str, Callable[[dict[str, list[str]]], None]] = {
            "/": self._list,
            "/api/sessions": self._api_sessions,
            "/trends": self._trends,
            "/api/trends": self._api_trends,
            "/diff": self._diff,
        }
        try:
            if path in routes:
                routes[path](query)
            elif path.startswith("/sessions/") and len(path) > len("/sessions/"):
                self._session(path.removeprefix("/sessions/"), query)
            else:
                self._failed(HTTPStatus.NOT_FOUND, "Not found", f"there is no page at {path}", api)
        except BadRequest as exc:
            self._failed(HTTPStatus.BAD_REQUEST, "Cannot show that", str(exc), api)
        except SessionNotFoundError as exc:
            self._failed(HTTPStatus.NOT_FOUND, "No such session", str(exc), api)
        except AgentOpsOtelError as exc:
            self._failed(HTTPStatus.BAD_GATEWAY, "Cannot read the traces", str(exc), api)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away mid-answer

    # Pages

    def _list(self, query: dict[str, list[str]]) -> None:
        wanted = list_query(query)
        page = self.server.listing.page(wanted)
        self._html(HTTPStatus.OK, list_page(page, wanted, source=self.server.source.description))

    def _api_sessions(self, query: dict[str, list[str]]) -> None:
        wanted = list_query(query)
        rows, _, _ = self.server.listing.matching(wanted)
        if "page" in query or "per" in query:
            start = (wanted.page - 1) * wanted.per_page
            rows = rows[start : start + wanted.per_page]
        found = [{**s.to_dict(), **({"match": m.__dict__} if m else {})} for s, m in rows]
        self._json(HTTPStatus.OK, found)

    def _trend_data(self, query: dict[str, list[str]]) -> tuple[Any, Any, list[Any]]:
        import time

        from ._trends import trends

        wanted = trend_query(query)
        summaries = self.server.listing.summaries(wanted.filters)
        since = wanted.filters.since_ns
        assert since is not None  # trends always have a window (24 h unless told)
        found = trends(summaries, since_ns=since, until_ns=time.time_ns(), group=wanted.group, bucket=wanted.bucket)
        return wanted, found, summaries

    def _trends(self, query: dict[str, list[str]]) -> None:
        from ._trend_page import trends_page

        wanted, found, summaries = self._trend_data(query)
        reached = wanted.filters.limit is not None and len(summaries) >= wanted.filters.limit
        page = trends_page(found, wanted, source=self.server.source.description, limit_reached=reached)
        self._html(HTTPStatus.OK, page)

    def _api_trends(self, query: dict[str, list[str]]) -> None:
        wanted, found, summaries = self._trend_data(query)
        reached = wanted.filters.limit is not None and len(summaries) >= wanted.filters.limit
        self._json(
            HTTPStatus.OK, {"source": self.server.source.description, "limit_reached": reached, **found.to_dict()}
        )

    def _diff(self, query: dict[str, list[str]]) -> None:
        from ..replay._diff import diff_sessions
        from ._diff_page import diff_page

        picked = [p.strip() for p in query.get("pick", []) if p.strip()]
        a = (query.get("a") or [""])[0].strip() or (picked[0] if picked else "")
        b = (query.get("b") or [""])[0].strip() or (picked[1] if len(picked) > 1 else "")
        source = self.server.source
        if "pick" in query and len(picked) != 2:
            raise BadRequest(f"tick exactly two sessions to compare, not {len(picked)}")
        if not a or not b:
            if a or b:
                raise BadRequest("give two sessions to compare (A and B)")
            self._html(HTTPStatus.OK, diff_page(None, a, b, source=source.description))
            return
        try:
            diff = diff_sessions(source.session(a), source.session(b))
        except SessionNotFoundError as exc:
            self._failed(HTTPStatus.NOT_FOUND, "No such session", str(exc), False, ("the comparison", "/diff"))
            return
        self._html(HTTPStatus.OK, diff_page(diff, a, b, source=source.description))

    def _session(self, ident: str, query: dict[str, list[str]]) -> None:
        from ..replay.html import nav_html

        wanted = list_query(query)
        page = self.server.replays.replay(ident, self.server.listing.summaries(wanted.filters))
        nav = self._neighbours(wanted, page.trace_id, page.session_id)
        self._send(HTTPStatus.OK, [page.head, nav_html(nav).encode("utf-8"), page.rest], csp=None)

    def _neighbours(self, wanted: ListQuery, trace_id: str, session_id: str) -> list[tuple[str, str]]:
        before, after, page = self.server.listing.neighbours(wanted, trace_id)
        params = wanted.params(page=page)
        links = [("\u2190 Sessions", "/" + (f"?{params}" if params else ""))]
        back = wanted.params()
        if before is not None:
            links.append((f"\u2191 Previous: {before.name}", session_href(before.session_id, back)))
        if after is not None:
            links.append((f"\u2193 Next: {after.name}", session_href(after.session_id, back)))
        links.append(("Compare with\u2026", "/diff?" + urllib.parse.urlencode({"a": session_id})))
        return links


class ViewerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, source: TraceSource, host: str, port: int) -> None:
        self.source = source
        self.listing = Listing(source)
        self.replays = Replays(source)
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        # Bound to loopback: only loopback names may appear in Host. Bound elsewhere on purpose: any.
        loopback = {"127.0.0.1", "localhost", "::1"}
        self.allowed_hosts: set[str] | None = loopback if host.lower() in loopback else None

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def make_server(source: TraceSource, host: str = "127.0.0.1", port: int = 0) -> ViewerServer:
    """A viewer bound to host:port (port 0: any free port); call serve_forever() to run it."""
    return ViewerServer(source, host, port)


__all__ = ["ViewerServer", "make_server"]
