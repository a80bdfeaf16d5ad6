"""Provider response bodies rebuilt from a recorded LLM step, so the real client parses its normal types.

The recorded output is in the GenAI message format; it becomes the loopback server's `Reply` (text,
tool calls with their recorded ids and arguments, finish reason, usage, model) and the server's own
body builders shape it as OpenAI chat completion JSON / SSE chunks or Anthropic message JSON / SSE
events. A recorded failure becomes the provider's error response (status from the error type).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from .._wire import Reply, ToolCall, describe
from .._wire import _bodies as shapes
from ._recording import RecordedStep

# Body builders of the loopback server per API (JSON, SSE events), and the prefix of the response id.
_BUILDERS = {
    "chat": (shapes.chat_completion, shapes.chat_chunks, "chatcmpl-"),
    "responses": (shapes.response, shapes.response_events, "resp_"),
    "messages": (shapes.message, shapes.message_events, "msg_"),
}

_OPENAI_FINISH = {"tool_call": "tool_calls", "tool_use": "tool_calls", "end_turn": "stop", "max_tokens": "length"}
_OPENAI_FINISH_VALUES = ("stop", "length", "tool_calls", "content_filter", "function_call")
_ANTHROPIC_FINISH = {"tool_call": "tool_use", "tool_calls": "tool_use", "stop": "end_turn", "length": "max_tokens"}
_ANTHROPIC_FINISH_VALUES = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")

# Client exception class names (both libraries use the same ones) to the HTTP status that raises them.
_ERROR_STATUS = {
    "BadRequestError": 400,
    "AuthenticationError": 401,
    "PermissionDeniedError": 403,
    "NotFoundError": 404,
    "ConflictError": 409,
    "RequestTooLargeError": 413,
    "UnprocessableEntityError": 422,
    "RateLimitError": 429,
    "InternalServerError": 500,
    "ServiceUnavailableError": 503,
    "OverloadedError": 529,
}
# Failures with no HTTP answer at all: the client saw the connection fail or time out.
NETWORK_ERRORS = ("APIConnectionError", "APITimeoutError")


class _RecordedIds:
    """Hands the builders the recorded response id first, then counted ids for anything unrecorded."""

    def __init__(self, response_id: str | None, response_prefix: str) -> None:
        self._response_id, self._response_prefix = response_id, response_prefix
        self._count = itertools.count(1)

    def next_id(self, prefix: str) -> str:
        if self._response_id and prefix == self._response_prefix:
            response_id, self._response_id = self._response_id, None
            return response_id
        return f"{prefix}playback{next(self._count):06d}"


def _finish_reason(provider: str, step: RecordedStep) -> str | None:
    reasons = list(step.finish_reasons)
    for message in step.returns or ():
        if isinstance(message, dict) and message.get("finish_reason"):
            reasons.append(str(message["finish_reason"]))
    valid, mapping = (
        (_ANTHROPIC_FINISH_VALUES, _ANTHROPIC_FINISH)
        if provider == "anthropic"
        else (_OPENAI_FINISH_VALUES, _OPENAI_FINISH)
    )
    for reason in reasons:
        reason = mapping.get(reason, reason)
        if reason in valid:
            return reason
    return None  # the builders pick tool_calls/tool_use or stop/end_turn from the content


def reply_of(provider: str, step: RecordedStep) -> Reply:
    """The recorded answer as a loopback Reply (first output message; `n` > 1 is answered with one)."""
    messages = [m for m in step.returns or () if isinstance(m, dict)]
    parts = messages[0].get("parts") or () if messages else ()
    texts = [str(p.get("content", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text"]
    calls = []
    for part in parts:
        if isinstance(part, dict) and part.get("type") == "tool_call":
            arguments = part.get("arguments")
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except ValueError:
                    arguments = {"arguments": arguments}
            calls.append(ToolCall(str(part.get("name") or ""), arguments or {}, part.get("id")))
    usage = step.usage
    return Reply(
        text="".join(texts) if texts or not calls else None,
        tool_calls=calls,
        model=step.response_model or step.request_model,
        finish_reason=_finish_reason(provider, step),
        input_tokens=usage.get("input_tokens") or None,
        output_tokens=usage.get("output_tokens") or None,
        cached_tokens=usage.get("cache_read_tokens") or 0,
        cache_creation_tokens=usage.get("cache_write_tokens") or 0,
        reasoning_tokens=usage.get("reasoning_tokens") or 0,
    )


def success_body(
    provider: str, api: str, step: RecordedStep, body: dict[str, Any], cut: Exception | None = None
) -> tuple[str, bytes | Iterator[bytes]]:
    """(content type, body) answering `body` with the recorded output: JSON, or SSE frames when streaming.

    With `cut` (a stream that failed after part of the output arrived), the frames stop where the
    recorded output stopped, before the stream's end, and then `cut` is raised, as the network did.
    """
    request = describe(provider, api, body)
    reply = reply_of(provider, step)
    build_json, build_events, response_prefix = _BUILDERS[api]
    ids = _RecordedIds(step.response_id, response_prefix)
    if not request.stream:
        return "application/json", json.dumps(build_json(ids, request, reply)).encode()
    return "text/event-stream; charset=utf-8", _frames(build_events(ids, request, reply), cut)


def _ends_stream(event: str | None, data: Any) -> bool:
    """The first event of a stream's ending: finish chunk, usage chunk, [DONE], message_delta, completed."""
    if event is None:
        return data == "[DONE]" or not data.get("choices") or any(c.get("finish_reason") for c in data["choices"])
    return event in ("message_delta", "message_stop", "response.completed")


def _frames(events: Iterator[tuple[str | None, Any]], cut: Exception | None) -> Iterator[bytes]:
    for event, data in events:
        if cut is not None and _ends_stream(event, data):
            raise cut
        text = data if isinstance(data, str) else json.dumps(data)
        yield ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()


def error_status(step: RecordedStep) -> int:
    error_type = (step.error or {}).get("type", "")
    if error_type.isdigit():
        return int(error_type)
    return _ERROR_STATUS.get(error_type.rsplit(".", 1)[-1], 500)


def error_body(provider: str, step: RecordedStep) -> bytes:
    message = (step.error or {}).get("message") or f"recorded {(step.error or {}).get('type', 'error')}"
    if provider == "anthropic":
        return json.dumps({"type": "error", "error": {"type": "api_error", "message": message}}).encode()
    return json.dumps({"error": {"message": message, "type": "playback_error", "param": None, "code": None}}).encode()
