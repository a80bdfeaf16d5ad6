"""One traced LLM call: a GenAI CLIENT span that starts with the request and ends exactly once.

Provider modules describe a request (`Request`) and a response (`Outcome`) in plain data; this module
turns them into span attributes following the OpenTelemetry GenAI conventions, puts content on the span
and/or a span event as the capture mode says, and records failures. Nothing here raises into user code:
a bug of ours is reported through `agentops_otel._internal` and the user's call goes on unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .. import _redact
from .. import _tool_calls as tool_calls
from .. import semconv as sc
from .._config import ContentCapture
from .._content import to_json
from .._exceptions import record_exception
from .._internal import internal_error
from .._redact_spans import goes_through_net

_log = logging.getLogger("agentops_otel.instrumentation")

# The upstream event that carries content when the capture mode asks for events (EVENT_ONLY,
# SPAN_AND_EVENT); we attach it to the span so it travels with the trace.
DETAILS_EVENT = sc.EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS


@dataclass
class Request:
    """What a call asked for: span attributes and content (messages in the upstream JSON format)."""

    operation: str
    model: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    input_messages: list[dict[str, Any]] | None = None
    system_instructions: list[dict[str, Any]] | None = None
    tool_definitions: list[Any] | None = None
    streaming: bool = False


@dataclass
class Outcome:
    """What a call returned, from a response object or an accumulated stream."""

    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None
    output_messages: list[dict[str, Any]] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error_type: str | None = None  # a failure reported inside a response (a stream's error event)

    def span_attributes(self) -> dict[str, Any]:
        values = {
            sc.GEN_AI_RESPONSE_ID: self.response_id,
            sc.GEN_AI_RESPONSE_MODEL: self.response_model,
            sc.GEN_AI_RESPONSE_FINISH_REASONS: list(self.finish_reasons) or None,
            sc.GEN_AI_USAGE_INPUT_TOKENS: self.input_tokens,
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: self.output_tokens,
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: self.cache_read_tokens,
            sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: self.cache_creation_tokens,
            sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: self.reasoning_tokens,
            **self.attributes,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Telemetry:
    """Settings of one `instrument()` call, shared by every wrapper it installs."""

    tracer: trace.Tracer
    provider_name: str
    capture: ContentCapture
    max_content_length: int

    def start(self, request: Request, server: tuple[str | None, int | None]) -> LLMCall:
        return LLMCall(self, request, server)


class LLMCall:
    """The span of one call. `finish` / `fail` end it; whichever comes first wins, the rest are no-ops."""

    def __init__(self, telemetry: Telemetry, request: Request, server: tuple[str | None, int | None]) -> None:
        self._telemetry = telemetry
        self._request = request
        self._ended = False
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._first_chunk: float | None = None
        attributes: dict[str, Any] = {
            sc.GEN_AI_OPERATION_NAME: str(request.operation),
            sc.GEN_AI_PROVIDER_NAME: telemetry.provider_name,
            sc.GEN_AI_REQUEST_MODEL: request.model,
            sc.SERVER_ADDRESS: server[0],
            sc.SERVER_PORT: server[1],
            **request.attributes,
        }
        operation = str(request.operation)
        name = f"{operation} {request.model}" if request.model else operation
        self.span = telemetry.tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes={k: v for k, v in attributes.items() if v is not None}
        )
        # A span sampled out records nothing: skip the content and response work entirely.
        self.recording = self.span.is_recording()
        # Credentials in content are masked by the pipeline's net; a provider without it, here.
        self._redactor = None if goes_through_net(self.span) else _redact.from_environment()
        self._content: dict[str, Any] = {}
        if self.recording and telemetry.capture is not ContentCapture.NO_CONTENT:
            self._content = self._encode(
                {
                    sc.GEN_AI_SYSTEM_INSTRUCTIONS: request.system_instructions,
                    sc.GEN_AI_INPUT_MESSAGES: request.input_messages,
                    sc.GEN_AI_TOOL_DEFINITIONS: request.tool_definitions,
                }
            )
            if telemetry.capture.on_span:
                self.span.set_attributes(self._content)

    @property
    def streaming(self) -> bool:
        return self._request.streaming

    @property
    def ended(self) -> bool:
        return self._ended

    def _encode(self, values: dict[str, Any]) -> dict[str, Any]:
        encoded: dict[str, Any] = {}
        for key, value in values.items():
            if value is None:
                continue
            text, truncated = to_json(value, self._telemetry.max_content_length, self._redactor)
            encoded[key] = text
            if truncated:
                encoded[sc.AGENTOPS_STEP_TRUNCATED] = True
        return encoded

    @contextlib.contextmanager
    def activated(self) -> Iterator[None]:
        """Make the span current while the client sends, so spans the client makes nest under it."""
        token = context.attach(trace.set_span_in_context(self.span))
        try:
            yield
        finally:
            context.detach(token)

    def first_chunk(self) -> None:
        if self._first_chunk is None:
            self._first_chunk = time.monotonic()

    def _claim(self) -> bool:
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            return True

    def finish(self, outcome: Outcome | None) -> None:
        if not self._claim():
            return
        try:
            self._set_outcome(outcome)
        except Exception:
            internal_error("record an LLM response", _log)
        finally:
            self.span.end()

    def fail(self, error: BaseException, outcome: Outcome | None = None) -> None:
        if not self._claim():
            return
        try:
            self._set_outcome(outcome)
            status = getattr(error, "status_code", None)
            if isinstance(status, int):
                self.span.set_attribute(sc.HTTP_RESPONSE_STATUS_CODE, status)
            record_exception(self.span, error, self._redactor)
        except Exception:
            internal_error("record an LLM error", _log)
        finally:
            self.span.end()

    def _set_outcome(self, outcome: Outcome | None) -> None:
        attributes = outcome.span_attributes() if outcome is not None else {}
        if self._first_chunk is not None:
            attributes[sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self._first_chunk - self._started
        capture = self._telemetry.capture
        if capture is not ContentCapture.NO_CONTENT:
            output = self._encode({sc.GEN_AI_OUTPUT_MESSAGES: outcome.output_messages if outcome else None})
            if capture.on_span:
                attributes.update(output)
            if capture.on_event:
                self.span.add_event(DETAILS_EVENT, {**self._content, **output})
        if outcome is not None and outcome.output_messages:
            tool_calls.offer(outcome.output_messages)  # the tool steps that answer them carry their ids
        if outcome is not None and outcome.error_type:
            attributes[sc.ERROR_TYPE] = outcome.error_type
            self.span.set_status(Status(StatusCode.ERROR, outcome.error_type))
        self.span.set_attributes(attributes)
