"""The local viewer behind `agentops-otel serve`: a session list with filters, and each session's
replay page at `/sessions/{id}`. Standard library only; binds 127.0.0.1 unless told otherwise.

    server = make_server(open_source("traces.jsonl"), port=0)
    print(server_url(server)); server.serve_forever()

Routes: `/` (filters: status, tag, service, since, limit), `/sessions/{id}`, `/api/sessions` (JSON).
Every value shown is escaped; requests naming another host are refused, so a web page that rebinds
its DNS name to 127.0.0.1 cannot read your traces.
"""

from __future__ import annotations

import html
import json
import logging
import socket
import urllib.parse
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .. import _states
from .._format import usd
from ..errors import AgentOpsOtelError, ConfigurationError, SessionNotFoundError
from ..model import SessionSummary
from ..sources import TraceSource, parse_since

_log = logging.getLogger("agentops_otel")
DEFAULT_LIMIT = 200
_MAX_LIMIT = 100_000  # larger does not fit the store's query (and no page shows that many rows)
_STATUSES = {s.lower(): s for s in _states.STATUSES}  # what every source filters on
_LIST_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
_STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#1d2330}
table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
th{color:#6b7280;font-weight:600}form{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}
.Fail{color:#991b1b;font-weight:600}.Success{color:#166534}.Indeterminate{color:#92400e}
.muted{color:#6b7280}.error{background:#fef2f2;border:1px solid #fca5a5;padding:8px;border-radius:6px}
.tag{background:#eef2ff;color:#3730a3;border-radius:4px;padding:0 5px;margin-right:3px}"""


class BadRequest(ValueError):
    """A filter value the viewer cannot use; shown on the page."""


def _since(text: str) -> int:
    try:
        return parse_since(text)  # the CLI's --since forms, so both read the same
    except ConfigurationError as exc:
        raise BadRequest(str(exc)) from None


def _filters(query: dict[str, list[str]]) -> dict[str, Any]:
    def one(name: str) -> str | None:
        value = (query.get(name) or [""])[0].strip()
        return value or None

    tags = [t.strip() for value in query.get("tag", []) for t in value.split(",") if t.strip()]
    limit = one("limit")
    if limit is not None and not (limit.isdigit() and 1 <= int(limit) <= _MAX_LIMIT):
        raise BadRequest(f"limit {limit!r} is not a whole number from 1 to {_MAX_LIMIT}")
    status = one("status")
    if status is not None and status.lower() not in _STATUSES:
        raise BadRequest(f"status {status!r} is not one of {', '.join(_STATUSES.values())}")
    since = one("since")
    return {
        "status": _STATUSES[status.lower()] if status else None,
        "service": one("service"),
        "tags": tags,
        "since_ns": _since(since) if since else None,
        "limit": int(limit) if limit else DEFAULT_LIMIT,
    }


def _cell(value: Any) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def _row(s: SessionSummary) -> str:
    link = "/sessions/" + urllib.parse.quote(s.session_id, safe="")
    started = datetime.fromtimestamp(s.start_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    state = _states.status_of(s.end_state)
    cost = usd(s.cost)
    duration = "running" if s.duration is None else f"{s.duration:.2f}s"
    tags = "".join(f'<span class="tag">{html.escape(t)}</span>' for t in s.tags)
    return (
        f'<tr>{_cell(started)}<td><a href="{html.escape(link)}">{html.escape(s.session_id)}</a></td>'
        f'{_cell(s.name)}<td class="{html.escape(state)}">{html.escape(state)}</td>{_cell(duration)}'
        f"{_cell(cost)}{_cell(s.llm_calls)}{_cell(f'{s.usage.input_tokens} / {s.usage.output_tokens}')}"
        f"{_cell(s.service or '-')}<td>{tags}</td></tr>"
    )


def _form(query: dict[str, list[str]]) -> str:
    def value(name: str) -> str:
        return html.escape(",".join(query.get(name, [])))

    options = "".join(
        f"<option{' selected' if value('status') == v else ''}>{v}</option>" for v in ("", *_states.STATUSES)
    )
    return (
        '<form method="get" action="/">'
        f'<label>Status <select name="status">{options}</select></label>'
        f'<label>Tag <input name="tag" value="{value("tag")}" placeholder="prod,billing"></label>'
        f'<label>Service <input name="service" value="{value("service")}"></label>'
        f'<label>Since <input name="since" value="{value("since")}" placeholder="2h, 7d, 2026-11-24"></label>'
        '<button type="submit">Filter</button> <a href="/">clear</a></form>'
    )


def list_page(source: TraceSource, query: dict[str, list[str]]) -> tuple[int, str]:
    try:
        summaries = source.sessions(**_filters(query))
        body = (
            "<table><tr><th>Started (UTC)</th><th>Session</th><th>Name</th><th>Status</th><th>Duration</th>"
            "<th>Cost</th><th>LLM calls</th><th>Tokens in / out</th><th>Service</th><th>Tags</th></tr>"
            + "".join(_row(s) for s in summaries)
            + "</table>"
            + ("" if summaries else '<p class="muted">No sessions match.</p>')
        )
        status = HTTPStatus.OK
    except BadRequest as exc:
        body, status = f'<p class="error">{html.escape(str(exc))}</p>', HTTPStatus.BAD_REQUEST
    except AgentOpsOtelError as exc:
        body, status = f'<p class="error">{html.escape(str(exc))}</p>', HTTPStatus.BAD_GATEWAY
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>agentops-otel sessions</title>'
        f"<style>{_STYLE}</style></head><body><h1>Sessions</h1>"
        f'<p class="muted">from {html.escape(source.description)}</p>{_form(query)}{body}</body></html>'
    )
    return status, page


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer
    server_version = "agentops-otel"

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("serve: " + format, *args)

    def _send(
        self, status: int, body: str, content_type: str = "text/html; charset=utf-8", csp: str | None = None
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _host_allowed(self) -> bool:
        if self.server.allowed_hosts is None:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in self.server.allowed_hosts

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, "unknown Host header", "text/plain; charset=utf-8")
            return
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        path = urllib.parse.unquote(parsed.path)
        try:
            if path == "/":
                self._send(*list_page(self.server.source, query), csp=_LIST_CSP)
            elif path == "/api/sessions":
                summaries = self.server.source.sessions(**_filters(query))
                self._send(HTTPStatus.OK, json.dumps([s.to_dict() for s in summaries]), "application/json")
            elif path.startswith("/sessions/") and len(path) > len("/sessions/"):
                self._session(path.removeprefix("/sessions/"))
            else:
                self._send(HTTPStatus.NOT_FOUND, "not found", "text/plain; charset=utf-8")
        except BadRequest as exc:
            self._send(HTTPStatus.BAD_REQUEST, str(exc), "text/plain; charset=utf-8")
        except SessionNotFoundError as exc:
            self._send(HTTPStatus.NOT_FOUND, str(exc), "text/plain; charset=utf-8")
        except AgentOpsOtelError as exc:
            self._send(HTTPStatus.BAD_GATEWAY, str(exc), "text/plain; charset=utf-8")

    def _session(self, ident: str) -> None:
        from .._links import backend_url
        from ..replay.html import render_html

        session = self.server.source.session(ident)
        self._send(HTTPStatus.OK, render_html(session, backend_url=backend_url(session)))


class ViewerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, source: TraceSource, host: str, port: int) -> None:
        self.source = source
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
