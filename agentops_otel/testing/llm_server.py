"""A loopback stand-in for the OpenAI and Anthropic HTTP APIs, for tests and demos without network.

Point the REAL client libraries at it::

    from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall, ErrorReply

    with LLMServer() as server:                       # 127.0.0.1, a free port, one thread per connection
        oai = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test")        # .../v1
        ant = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="sk-ant-test")
        oai = server.openai_client()   # the same, with a fake key and max_retries=0 (async_client=True too)

        server.queue(Reply(text="billing"))           # the next request (any endpoint) gets this
        server.queue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
        server.queue(ErrorReply(429, retry_after=0))  # provider-shaped error JSON + retry-after
        server.queue(Reply(text="a b c", drop_after=2))  # stream cut after 2 SSE events (no clean end)
        server.queue(Reply(text="late", delay=5.0))   # answers after 5 s (for client timeout tests)

        server.add_rule(Rule(contains="weather", reply=Reply(tool_calls=[ToolCall("get_weather", {})])))
        server.add_rule(Rule(after_tool_result=True, reply=Reply(text="It is sunny.")))

        server.responder = lambda request: Reply(text=request.model)  # replaces the default echo

        server.requests[-1].json                      # what the client sent: path, headers, body
        server.pending                                # queued replies not used yet; server.clear()

Which reply answers a request: the oldest queued item, else the first matching rule, else
`server.responder(request)`, by default an echo of the last user message (`Reply(text="echo: <text>")`,
or a closing text after a tool result), so a scripted agent loop always terminates. Rules and
responders see an `LLMRequest`: provider, api, model, stream, last_user_text, tool_names,
after_tool_result and the parsed body.

Endpoints (shapes follow the providers' API references; the real clients parse them):
- OpenAI `POST /v1/chat/completions`: JSON, or SSE chunks when `stream` is true (role chunk, one
  chunk per word / argument piece, a finish chunk, then a usage chunk only when
  `stream_options.include_usage` is set, then `[DONE]`). `n` > 1 is answered with one choice.
- OpenAI `POST /v1/responses`: JSON, or the typed SSE events (`response.created` ...
  `response.completed`) when `stream` is true; text becomes a `message` item, tool calls
  `function_call` items.
- OpenAI `POST /v1/embeddings`: deterministic vectors (`dimensions`, default 8) per input.
- Anthropic `POST /v1/messages`: JSON, or the SSE event stream (`message_start`,
  `content_block_start/delta/stop` for text and `tool_use` blocks, `message_delta`, `message_stop`).

Usage: `Reply.input_tokens` / `output_tokens` default to word counts of the request / reply;
`cached_tokens` is OpenAI's `prompt_tokens_details.cached_tokens` and Anthropic's
`cache_read_input_tokens`, `cache_creation_tokens` is Anthropic's `cache_creation_input_tokens`,
`reasoning_tokens` OpenAI's `completion_tokens_details.reasoning_tokens`. Ids count up per server
(`chatcmpl-000001`, `resp_000002`, `msg_000003`, tool call ids `call_000004` / `toolu_000004`).

Errors: `ErrorReply(status)` answers with the provider's error body (`{"error": {...}}` for OpenAI,
`{"type": "error", "error": {...}}` for Anthropic). Clients retry 429 and 5xx by themselves; create
them with `max_retries=0` in tests unless retries are what you test. `Reply(drop_after=n)` closes the
connection after n SSE events of a stream, mid chunked body, so the client sees a network error;
on a non-stream request it closes without answering. `Reply(fail_after=n)` sends n events, then the
provider's in-stream error event (an overload), and ends the stream.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .._wire import LLMRequest, Reply, ToolCall, describe
from .._wire import _bodies as shapes

__all__ = [
    "FAKE_ANTHROPIC_KEY",
    "FAKE_OPENAI_KEY",
    "ErrorReply",
    "LLMRequest",
    "LLMServer",
    "RecordedRequest",
    "Reply",
    "Rule",
    "ToolCall",
    "default_reply",
    "describe",
]

# Key-shaped fakes, so tests can check that no credential reaches telemetry.
FAKE_OPENAI_KEY = "sk-test-openai-0123456789abcdef"
FAKE_ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with the provider's error body."""

    status: int
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0


_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: headers keep their case-insensitive names lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Rule:
    """Answer `reply` when every given condition holds (substring match is case-insensitive)."""

    reply: Reply | ErrorReply
    contains: str | None = None
    tool_offered: str | None = None
    after_tool_result: bool | None = None
    when: Callable[[LLMRequest], bool] | None = None

    def matches(self, request: LLMRequest) -> bool:
        return (
            (self.contains is None or self.contains.lower() in request.last_user_text.lower())
            and (self.tool_offered is None or self.tool_offered in request.tool_names)
            and (self.after_tool_result is None or self.after_tool_result == request.after_tool_result)
            and (self.when is None or self.when(request))
        )


def default_reply(request: LLMRequest) -> Reply:
    """The answer when nothing is queued and no rule matches: an echo, or a closing text after a tool."""
    if request.after_tool_result:
        return Reply(text="Done: the tool answered.")
    return Reply(text=f"echo: {request.last_user_text}")


class _Dropped(Exception):
    """The scripted fault: cut the connection now."""


class LLMServer:
    """The loopback server. Use as a context manager, or call `start()` / `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._queue: deque[Reply | ErrorReply] = deque()
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[LLMRequest], Reply | ErrorReply] = default_reply
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle
    def start(self) -> LLMServer:
        handler = type("_BoundHandler", (_Handler,), {"llm_server": self})
        self._httpd = _Server((self._host, self._port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="llm-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "LLMServer is not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.base_url

    # Real clients pointed here: no retries (a scripted error is seen once), fake keys.
    def openai_client(self, *, async_client: bool = False, **options: Any) -> Any:
        """An `openai.OpenAI` (or `AsyncOpenAI`) for this server; close it when done."""
        import openai

        options = {"api_key": FAKE_OPENAI_KEY, "max_retries": 0, **options}
        cls = openai.AsyncOpenAI if async_client else openai.OpenAI
        return cls(base_url=self.openai_base_url, **options)

    def anthropic_client(self, *, async_client: bool = False, **options: Any) -> Any:
        """An `anthropic.Anthropic` (or `AsyncAnthropic`) for this server; close it when done."""
        import anthropic

        options = {"api_key": FAKE_ANTHROPIC_KEY, "max_retries": 0, **options}
        cls = anthropic.AsyncAnthropic if async_client else anthropic.Anthropic
        return cls(base_url=self.anthropic_base_url, **options)

    # Script
    def queue(self, *replies: Reply | ErrorReply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def add_rule(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Forget queued replies, rules and the request log."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        """Queued replies not yet used."""
        return len(self._queue)

    def _next_reply(self, request: LLMRequest) -> Reply | ErrorReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            rule = next((r for r in self._rules if r.matches(request)), None)
        return rule.reply if rule is not None else self.responder(request)

    def _record(self, recorded: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(recorded)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def wait(self, seconds: float) -> None:
        """Sleep that ends early when the server stops, so a slow reply never blocks shutdown."""
        if seconds > 0:
            self._stopping.wait(seconds)


_ROUTES = {
    "/v1/chat/completions": ("openai", "chat"),
    "/v1/responses": ("openai", "responses"),
    "/v1/embeddings": ("openai", "embeddings"),
    "/v1/messages": ("anthropic", "messages"),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client hung up: normal for a test server
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, as from a real server
    llm_server: LLMServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.llm_server._record(RecordedRequest("POST", self.path, headers, body))
        route = _ROUTES.get(path)
        if route is None:
            provider = "anthropic" if "anthropic-version" in headers else "openai"
            return self._error(provider, ErrorReply(404, f"Unknown path {path}"))
        provider, api = route
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as exc:
            return self._error(provider, ErrorReply(400, f"Invalid JSON body: {exc}"))
        request = describe(provider, api, payload)
        reply = self.llm_server._next_reply(request)
        self.llm_server.wait(reply.delay)
        if isinstance(reply, ErrorReply):
            return self._error(provider, reply)
        try:
            self._answer(request, reply)
        except _Dropped:
            self._drop()
        except (BrokenPipeError, ConnectionResetError):  # the client went away first
            self.close_connection = True

    def _answer(self, request: LLMRequest, reply: Reply) -> None:
        srv = self.llm_server
        if request.api == "embeddings":
            return self._json(200, shapes.embeddings(srv, request, reply))
        build = {
            "chat": (shapes.chat_completion, shapes.chat_chunks),
            "responses": (shapes.response, shapes.response_events),
            "messages": (shapes.message, shapes.message_events),
        }[request.api]
        if not request.stream:
            if reply.drop_after is not None:
                raise _Dropped
            return self._json(200, build[0](srv, request, reply))
        events = build[1](srv, request, reply)
        if reply.fail_after is not None:
            events = itertools.chain(
                itertools.islice(events, reply.fail_after), [shapes.stream_error(request.provider, request.api)]
            )
        self._stream(events, reply.drop_after)

    # Wire helpers
    def _json(self, status: int, value: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self.llm_server.next_id("req_"))
        for name, value_ in (extra or {}).items():
            self.send_header(name, value_)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: Iterator[tuple[str | None, Any]], drop_after: int | None) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", self.llm_server.next_id("req_"))
        self.end_headers()
        for sent, (event, data) in enumerate(events):
            if drop_after is not None and sent >= drop_after:
                raise _Dropped
            text = data if isinstance(data, str) else json.dumps(data)
            frame = (f"event: {event}\n" if event else "") + f"data: {text}\n\n"
            self._chunk(frame.encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _error(self, provider: str, error: ErrorReply) -> None:
        extra = {} if error.retry_after is None else {"retry-after": f"{error.retry_after:g}"}
        message = error.message or f"Scripted error {error.status}"
        if provider == "anthropic":
            kind = _ANTHROPIC_ERROR_TYPES.get(error.status, "api_error")
            body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            kind = _OPENAI_ERROR_TYPES.get(error.status, "server_error")
            code = "invalid_api_key" if error.status == 401 else None
            body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        self._json(error.status, body, extra)
