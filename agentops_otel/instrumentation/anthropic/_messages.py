"""Anthropic messages: request, `Message` objects and raw stream events to GenAI data.

Anthropic's `input_tokens` leaves out cached tokens; the GenAI conventions count them in
`gen_ai.usage.input_tokens`, so we add cache reads and cache writes to it (and record both apart).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ... import semconv as sc
from .._call import Outcome, Request
from .._messages import (
    field_of,
    listed,
    media_part,
    message,
    number,
    plain,
    scalar_attributes,
    text,
    tool_call,
    tool_response,
)

_PARAMETERS = {
    "max_tokens": sc.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": sc.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": sc.GEN_AI_REQUEST_TOP_P,
    "top_k": sc.GEN_AI_REQUEST_TOP_K,
    "stop_sequences": sc.GEN_AI_REQUEST_STOP_SEQUENCES,
}


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [text(content)]
    parts: list[dict[str, Any]] = []
    for raw in listed(content) or ():
        block = plain(raw)
        kind = field_of(block, "type")
        if kind == "text":
            parts.append(text(block.get("text")))
        elif kind in ("tool_use", "server_tool_use"):
            parts.append(tool_call(block.get("id"), block.get("name"), block.get("input")))
        elif kind == "tool_result":
            result = block.get("content")
            response = "".join(p.get("text", "") for p in result) if isinstance(result, list) else result
            parts.append(tool_response(block.get("tool_use_id"), response))
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": block.get("thinking")})
        elif isinstance(block, Mapping):
            parts.append(media_part({"type": kind, kind: block.get("source")}))
    return parts


def _message(raw: Any) -> dict[str, Any]:
    value = plain(raw)
    return message(field_of(value, "role"), _parts(field_of(value, "content")))


def describe_message(kwargs: Mapping[str, Any]) -> Request:
    attributes = scalar_attributes(kwargs, _PARAMETERS)
    streaming = kwargs.get("stream") is True
    if streaming:
        attributes[sc.GEN_AI_REQUEST_STREAM] = True
    messages = kwargs.get("messages")
    system = kwargs.get("system")
    tools = kwargs.get("tools")
    model = kwargs.get("model")
    return Request(
        operation=sc.GenAiOperationNameValues.CHAT,
        model=model if isinstance(model, str) else None,
        attributes=attributes,
        input_messages=[_message(m) for m in listed(messages) or ()] or None,
        system_instructions=_parts(system) or None,
        tool_definitions=[plain(t) for t in listed(tools) or ()] or None,
        streaming=streaming,
    )


def describe_helper_stream(kwargs: Mapping[str, Any]) -> Request:
    """`messages.stream(...)` streams without a `stream` argument."""
    request = describe_message(kwargs)
    return replace(request, streaming=True, attributes={**request.attributes, sc.GEN_AI_REQUEST_STREAM: True})


def _set_usage(outcome: Outcome, usage: Any) -> None:
    """Usage from a Message or a message_delta (whose counts are cumulative); absent fields keep theirs."""
    if usage is None:
        return
    raw_input = number(field_of(usage, "input_tokens"))
    cache_read = number(field_of(usage, "cache_read_input_tokens"))
    cache_write = number(field_of(usage, "cache_creation_input_tokens"))
    if cache_read is not None:
        outcome.cache_read_tokens = cache_read
    if cache_write is not None:
        outcome.cache_creation_tokens = cache_write
    if raw_input is not None:
        outcome.input_tokens = raw_input + (outcome.cache_read_tokens or 0) + (outcome.cache_creation_tokens or 0)
    output = number(field_of(usage, "output_tokens"))
    if output is not None:
        outcome.output_tokens = output


def message_outcome(result: Any) -> Outcome:
    reason = field_of(result, "stop_reason")
    outcome = Outcome(
        response_id=field_of(result, "id"),
        response_model=field_of(result, "model"),
        finish_reasons=[str(reason)] if reason else [],
        output_messages=[message("assistant", _parts(field_of(result, "content")), reason)],
    )
    _set_usage(outcome, field_of(result, "usage"))
    return outcome


_DELTA_FIELDS = {"text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking"}


class MessageStream:
    """Accumulates raw stream events (`messages.create(stream=True)`) into the message they describe."""

    def __init__(self) -> None:
        self._outcome = Outcome()
        self._blocks: dict[int, dict[str, Any]] = {}
        self._reason: str | None = None
        self.complete = False  # message_stop seen: nothing more to read

    def add(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            start = field_of(event, "message")
            self._outcome.response_id = field_of(start, "id")
            self._outcome.response_model = field_of(start, "model")
            _set_usage(self._outcome, field_of(start, "usage"))
        elif kind == "content_block_start":
            block = plain(field_of(event, "content_block")) or {}
            self._blocks[field_of(event, "index") or 0] = {**block, "_pieces": []}
        elif kind == "content_block_delta":  # most events: read only what this delta type carries
            block = self._blocks.get(getattr(event, "index", 0) or 0)
            delta = getattr(event, "delta", None)
            piece = getattr(delta, _DELTA_FIELDS.get(str(getattr(delta, "type", "")), "text"), None)
            if block is not None and piece:
                block["_pieces"].append(piece)
        elif kind == "message_delta":
            self._reason = field_of(field_of(event, "delta"), "stop_reason") or self._reason
            _set_usage(self._outcome, field_of(event, "usage"))
        elif kind == "message_stop":
            self.complete = True

    def _block(self, block: dict[str, Any]) -> dict[str, Any]:
        joined = "".join(block.pop("_pieces"))
        if block.get("type") == "text":
            return {**block, "text": block.get("text", "") + joined}
        if block.get("type") == "thinking":
            return {**block, "thinking": block.get("thinking", "") + joined}
        if joined:
            try:
                return {**block, "input": json.loads(joined)}
            except ValueError:  # cut off mid-arguments
                return {**block, "input": joined}
        return block

    def outcome(self) -> Outcome:
        outcome = replace(self._outcome, finish_reasons=[self._reason] if self._reason else [])
        blocks = [self._block(dict(self._blocks[i])) for i in sorted(self._blocks)]
        outcome.output_messages = [message("assistant", _parts(blocks), self._reason)]
        return outcome
