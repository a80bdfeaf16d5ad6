"""OpenAI Responses API: `input` items, `Response` objects and typed stream events to GenAI data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import semconv as sc
from .._call import Outcome, Request
from .._messages import field_of, listed, message, number, plain, scalar_attributes, text, tool_call, tool_response
from ._chat import _content_parts, tool_definitions

_PARAMETERS = {
    "temperature": sc.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": sc.GEN_AI_REQUEST_TOP_P,
    "max_output_tokens": sc.GEN_AI_REQUEST_MAX_TOKENS,
}


def _input_messages(value: Any) -> list[dict[str, Any]] | None:
    if isinstance(value, str):
        return [message("user", [text(value)])]
    items = listed(value)
    if items is None:
        return None
    messages = []
    for raw in items:
        item = plain(raw)
        kind = field_of(item, "type")
        if kind == "function_call":
            messages.append(message("assistant", [_call_part(item)]))
        elif kind == "function_call_output":
            messages.append(message("tool", [tool_response(item.get("call_id"), item.get("output"))]))
        elif isinstance(item, Mapping) and "role" in item:
            messages.append(message(item["role"], _content_parts(item.get("content"))))
        elif isinstance(item, Mapping):
            messages.append(message("user", [{"type": str(kind)}]))
    return messages


def _call_part(item: Any) -> dict[str, Any]:
    return tool_call(field_of(item, "call_id"), field_of(item, "name"), field_of(item, "arguments"))


def describe_response(kwargs: Mapping[str, Any]) -> Request:
    attributes = scalar_attributes(kwargs, _PARAMETERS)
    streaming = kwargs.get("stream") is True
    if streaming:
        attributes[sc.GEN_AI_REQUEST_STREAM] = True
    instructions = kwargs.get("instructions")
    model = kwargs.get("model")
    return Request(
        operation=sc.GenAiOperationNameValues.CHAT,
        model=model if isinstance(model, str) else None,
        attributes=attributes,
        input_messages=_input_messages(kwargs.get("input")),
        system_instructions=[text(instructions)] if isinstance(instructions, str) else None,
        tool_definitions=tool_definitions(kwargs.get("tools")),
        streaming=streaming,
    )


def _output_parts(items: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for item in items or ():
        kind = field_of(item, "type")
        if kind == "message":
            parts += _content_parts(plain(field_of(item, "content")) or [])
        elif kind == "function_call":
            parts.append(_call_part(item))
        elif kind == "reasoning":
            summary = " ".join(str(field_of(s, "text") or "") for s in field_of(item, "summary") or ())
            if summary:
                parts.append({"type": "reasoning", "content": summary})
        elif kind:
            parts.append({"type": str(kind), "id": field_of(item, "id")})
    return parts


def _finish_reason(response: Any, parts: list[dict[str, Any]]) -> str | None:
    status = field_of(response, "status")
    if status == "completed":
        return "tool_calls" if any(p["type"] == "tool_call" for p in parts) else "stop"
    if status == "incomplete":
        return str(field_of(field_of(response, "incomplete_details"), "reason") or "incomplete")
    return str(status) if status else None


def response_outcome(response: Any) -> Outcome:
    parts = _output_parts(field_of(response, "output"))
    reason = _finish_reason(response, parts)
    usage = field_of(response, "usage")
    failed = field_of(response, "status") == "failed"
    return Outcome(
        error_type=str(field_of(field_of(response, "error"), "code") or "failed") if failed else None,
        response_id=field_of(response, "id"),
        response_model=field_of(response, "model"),
        finish_reasons=[reason] if reason else [],
        input_tokens=number(field_of(usage, "input_tokens")),
        output_tokens=number(field_of(usage, "output_tokens")),
        cache_read_tokens=number(field_of(field_of(usage, "input_tokens_details"), "cached_tokens")),
        reasoning_tokens=number(field_of(field_of(usage, "output_tokens_details"), "reasoning_tokens")),
        output_messages=[message("assistant", parts, reason)],
    )


_FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


class ResponseStream:
    """Accumulates Responses stream events: the final response if it came, else what arrived so far."""

    def __init__(self) -> None:
        self._response: Any = None
        self._final = False
        self._items: dict[int, Any] = {}
        self._texts: list[str] = []
        self._error: str | None = None

    def add(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta":  # most events
            self._texts.append(getattr(event, "delta", None) or "")
        elif kind == "response.output_item.done":
            self._items[getattr(event, "output_index", 0) or 0] = getattr(event, "item", None)
        elif kind == "error":  # the stream failed after it started; the client yields the event
            self._error = str(getattr(event, "code", None) or "error")
        elif getattr(event, "response", None) is not None and not self._final:
            self._response = event.response
            self._final = kind in _FINAL_EVENTS

    @property
    def complete(self) -> bool:  # the final event: nothing more to read
        return self._final

    def outcome(self) -> Outcome:
        if self._final:
            return response_outcome(self._response)
        outcome = Outcome(
            response_id=field_of(self._response, "id"),
            response_model=field_of(self._response, "model"),
            error_type=self._error,
        )
        parts = _output_parts([self._items[i] for i in sorted(self._items)])
        if not parts and self._texts:  # cut off inside the first message
            parts = [text("".join(self._texts))]
        outcome.output_messages = [message("assistant", parts)]
        return outcome
