"""Response bodies and SSE event sequences shaped like the providers' APIs (OpenAI chat completions,
Responses and embeddings; Anthropic messages), for the loopback LLM server and for playback.

Each builder takes an id source (`IdSource`: counted ids), the parsed request and the scripted Reply.
Stream builders yield `(event_name_or_None, data)` pairs; the caller frames them as server-sent events.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import time
from collections.abc import Iterator
from typing import Any

from ._requests import IdSource, LLMRequest, Reply

Events = Iterator[tuple[str | None, Any]]


def words(text: str) -> list[str]:
    """Stream pieces of a text: one per word with its trailing space."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def pieces(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def countwords(value: Any) -> int:
    """The token count we report: words of the JSON form, at least 1."""
    return max(1, len(json.dumps(value, ensure_ascii=False).split()))


def vector_for(text: str, dimensions: int) -> list[float]:
    """A deterministic vector for a text (same text, same vector)."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round((digest[i % len(digest)] - 128) / 128, 6) for i in range(dimensions)]


def now() -> int:
    return int(time.time())


def _tool_calls(srv: IdSource, reply: Reply, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(c.id or srv.next_id(prefix), c.name, c.arguments) for c in reply.tool_calls]


def _usage_numbers(request: LLMRequest, reply: Reply) -> tuple[int, int]:
    body = {k: v for k, v in request.body.items() if k in ("messages", "input", "system", "instructions")}
    produced = [reply.text or ""] + [c.arguments for c in reply.tool_calls]
    inputs = reply.input_tokens if reply.input_tokens is not None else countwords(body)
    outputs = reply.output_tokens if reply.output_tokens is not None else countwords(produced)
    return inputs, outputs


# OpenAI chat completions


def _chat_usage(request: LLMRequest, reply: Reply) -> dict[str, Any]:
    inputs, outputs = _usage_numbers(request, reply)
    return {
        "prompt_tokens": inputs,
        "completion_tokens": outputs,
        "total_tokens": inputs + outputs,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def chat_completion(srv: IdSource, request: LLMRequest, reply: Reply) -> dict[str, Any]:
    calls = _tool_calls(srv, reply, "call_")
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    if calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}} for i, n, a in calls
        ]
    return {
        "id": srv.next_id("chatcmpl-"),
        "object": "chat.completion",
        "created": now(),
        "model": reply.model or request.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _chat_finish(reply)}],
        "usage": _chat_usage(request, reply),
        "service_tier": "default",
        "system_fingerprint": "fp_loopback",
    }


def chat_chunks(srv: IdSource, request: LLMRequest, reply: Reply) -> Events:
    include_usage = bool((request.body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": srv.next_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": now(),
        "model": reply.model or request.model,
        "service_tier": "default",
        "system_fingerprint": "fp_loopback",
    }
    calls = _tool_calls(srv, reply, "call_")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        data = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        return {**data, "usage": None} if include_usage else data

    yield None, chunk({"role": "assistant", "content": "", "refusal": None})
    for word in words(reply.text) if reply.text else ():
        yield None, chunk({"content": word})
    for index, (call_id, name, args) in enumerate(calls):
        function = {"name": name, "arguments": ""}
        head = {"index": index, "id": call_id, "type": "function", "function": function}
        yield None, chunk({"tool_calls": [head]})
        for piece in pieces(json.dumps(args)):
            yield None, chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield None, chunk({}, _chat_finish(reply))
    if include_usage:
        yield None, {**base, "choices": [], "usage": _chat_usage(request, reply)}
    yield None, "[DONE]"


# OpenAI Responses API


def _response_items(srv: IdSource, reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.text is not None:
        part = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "type": "message",
                "id": srv.next_id("msg_"),
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for call_id, name, args in _tool_calls(srv, reply, "call_"):
        items.append(
            {
                "type": "function_call",
                "id": srv.next_id("fc_"),
                "call_id": call_id,
                "name": name,
                "arguments": json.dumps(args),
                "status": "completed",
            }
        )
    return items


def _response_body(
    srv: IdSource, request: LLMRequest, reply: Reply, items: list[dict[str, Any]], status: str, rid: str
) -> dict[str, Any]:
    inputs, outputs = _usage_numbers(request, reply)
    body = request.body
    return {
        "id": rid,
        "object": "response",
        "created_at": now(),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": reply.model or request.model,
        "output": items,
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None
        if status != "completed"
        else {
            "input_tokens": inputs,
            "input_tokens_details": {"cached_tokens": reply.cached_tokens},
            "output_tokens": outputs,
            "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
            "total_tokens": inputs + outputs,
        },
        "metadata": body.get("metadata") or {},
    }


def response(srv: IdSource, request: LLMRequest, reply: Reply) -> dict[str, Any]:
    items = _response_items(srv, reply)
    return _response_body(srv, request, reply, items, "completed", srv.next_id("resp_"))


def response_events(srv: IdSource, request: LLMRequest, reply: Reply) -> Events:
    rid = srv.next_id("resp_")
    items = _response_items(srv, reply)
    seq = iter(range(1_000_000))

    def event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return kind, {"type": kind, "sequence_number": next(seq), **fields}

    started = _response_body(srv, request, reply, [], "in_progress", rid)
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(items):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            yield event("response.content_part.added", **where, part=empty_part)
            for word in words(text):
                yield event("response.output_text.delta", **where, delta=word, logprobs=[])
            yield event("response.output_text.done", **where, text=text, logprobs=[])
            yield event("response.content_part.done", **where, part=item["content"][0])
        else:
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            where = {"item_id": item["id"], "output_index": index}
            for piece in pieces(item["arguments"]):
                yield event("response.function_call_arguments.delta", **where, delta=piece)
            yield event(
                "response.function_call_arguments.done",
                **where,
                name=item["name"],
                arguments=item["arguments"],
            )
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=_response_body(srv, request, reply, items, "completed", rid))


# OpenAI embeddings


def embeddings(srv: IdSource, request: LLMRequest, reply: Reply) -> dict[str, Any]:
    raw = request.body.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    dimensions = int(request.body.get("dimensions") or 8)
    as_base64 = request.body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(inputs):
        vector = vector_for(json.dumps(item), dimensions)
        if as_base64:
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()  # type: ignore[assignment]
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = reply.input_tokens if reply.input_tokens is not None else countwords(inputs)
    return {
        "object": "list",
        "data": data,
        "model": reply.model or request.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


# Anthropic messages


def _anthropic_usage(request: LLMRequest, reply: Reply, output_tokens: int | None = None) -> dict[str, Any]:
    inputs, outputs = _usage_numbers(request, reply)
    return {
        "input_tokens": inputs,
        "output_tokens": outputs if output_tokens is None else output_tokens,
        "cache_creation_input_tokens": reply.cache_creation_tokens,
        "cache_read_input_tokens": reply.cached_tokens,
        "service_tier": "standard",
    }


def _anthropic_blocks(srv: IdSource, reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text is not None:
        blocks.append({"type": "text", "text": reply.text})
    for call_id, name, args in _tool_calls(srv, reply, "toolu_"):
        blocks.append({"type": "tool_use", "id": call_id, "name": name, "input": args})
    return blocks


def _stop_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")


def message(srv: IdSource, request: LLMRequest, reply: Reply) -> dict[str, Any]:
    return {
        "id": srv.next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": reply.model or request.model,
        "content": _anthropic_blocks(srv, reply),
        "stop_reason": _stop_reason(reply),
        "stop_sequence": None,
        "usage": _anthropic_usage(request, reply),
    }


def message_events(srv: IdSource, request: LLMRequest, reply: Reply) -> Events:
    blocks = _anthropic_blocks(srv, reply)
    start: dict[str, Any] = {
        "id": srv.next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": reply.model or request.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _anthropic_usage(request, reply, output_tokens=1),
    }
    yield "message_start", {"type": "message_start", "message": start}
    yield "ping", {"type": "ping"}
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            empty: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": w} for w in words(block["text"])]
        else:
            empty = {**block, "input": {}}
            arguments = pieces(json.dumps(block["input"]))
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in arguments]
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": empty}
        for delta in deltas:
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    usage = _anthropic_usage(request, reply)
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def stream_error(provider: str, api: str) -> tuple[str | None, Any]:
    """The error event a provider sends inside a stream that fails after it started."""
    if provider == "anthropic":
        return "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    if api == "responses":
        return "error", {"type": "error", "code": "server_error", "message": "The server had an error", "param": None}
    return None, {"error": {"message": "The server had an error", "type": "server_error", "param": None, "code": None}}
