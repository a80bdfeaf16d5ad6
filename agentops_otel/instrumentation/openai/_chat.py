"""OpenAI chat completions (and embeddings): request, response and stream chunks to GenAI data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import semconv as sc
from .._call import Outcome, Request
from .._messages import (
    field_of,
    given,
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

_CHAT_PARAMETERS = {
    "temperature": sc.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": sc.GEN_AI_REQUEST_TOP_P,
    "max_tokens": sc.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": sc.GEN_AI_REQUEST_MAX_TOKENS,
    "frequency_penalty": sc.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": sc.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": sc.GEN_AI_REQUEST_SEED,
}


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text(content)]
    parts = []
    for part in listed(content) or [content]:
        part = plain(part)
        kind = field_of(part, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(text(part.get("text")))
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": part.get("refusal")})
        elif isinstance(part, Mapping):
            parts.append(media_part(part))
    return parts


def input_message(msg: Any) -> dict[str, Any]:
    """A request message or a response's message (dict or pydantic model) in the upstream format."""
    role = field_of(msg, "role")
    if role == "tool":
        return message("tool", [tool_response(field_of(msg, "tool_call_id"), field_of(msg, "content"))])
    parts = _content_parts(field_of(msg, "content"))
    for call in listed(field_of(msg, "tool_calls")) or ():
        function = field_of(call, "function")
        parts.append(tool_call(field_of(call, "id"), field_of(function, "name"), field_of(function, "arguments")))
    return message(role, parts)


def tool_definitions(tools: Any) -> list[Any] | None:
    return [plain(t) for t in listed(tools) or ()] or None


def _stop(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    stop = kwargs.get("stop")
    if isinstance(stop, str):
        return {sc.GEN_AI_REQUEST_STOP_SEQUENCES: [stop]}
    return scalar_attributes(kwargs, {"stop": sc.GEN_AI_REQUEST_STOP_SEQUENCES})


def _output_type(response_format: Any) -> str | None:
    if not given(response_format):
        return None
    if isinstance(response_format, type):  # `.parse(response_format=PydanticModel)`
        return "json"
    kind = field_of(response_format, "type")
    return "json" if kind in ("json_object", "json_schema") else "text" if kind == "text" else None


def describe_chat(kwargs: Mapping[str, Any]) -> Request:
    attributes = scalar_attributes(kwargs, _CHAT_PARAMETERS) | _stop(kwargs)
    choices = kwargs.get("n")
    if isinstance(choices, int) and choices != 1:
        attributes[sc.GEN_AI_REQUEST_CHOICE_COUNT] = choices
    attributes[sc.GEN_AI_OUTPUT_TYPE] = _output_type(kwargs.get("response_format"))
    streaming = kwargs.get("stream") is True
    if streaming:
        attributes[sc.GEN_AI_REQUEST_STREAM] = True
    messages = kwargs.get("messages")
    model = kwargs.get("model")
    return Request(
        operation=sc.GenAiOperationNameValues.CHAT,
        model=model if isinstance(model, str) else None,
        attributes={k: v for k, v in attributes.items() if v is not None},
        input_messages=[input_message(m) for m in listed(messages) or ()] or None,
        tool_definitions=tool_definitions(kwargs.get("tools")),
        streaming=streaming,
    )


def _usage(outcome: Outcome, usage: Any) -> None:
    if usage is None:
        return
    outcome.input_tokens = number(field_of(usage, "prompt_tokens"))
    outcome.output_tokens = number(field_of(usage, "completion_tokens"))
    outcome.cache_read_tokens = number(field_of(field_of(usage, "prompt_tokens_details"), "cached_tokens"))
    details = field_of(usage, "completion_tokens_details")
    outcome.reasoning_tokens = number(field_of(details, "reasoning_tokens"))


def chat_outcome(completion: Any) -> Outcome:
    outcome = Outcome(
        response_id=field_of(completion, "id"),
        response_model=field_of(completion, "model"),
    )
    fingerprint = field_of(completion, "system_fingerprint")
    if isinstance(fingerprint, str):
        outcome.attributes[sc.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    outputs = []
    for choice in field_of(completion, "choices") or ():
        reason = field_of(choice, "finish_reason") or "error"
        outcome.finish_reasons.append(str(reason))
        reply = input_message(field_of(choice, "message"))
        outputs.append(message("assistant", reply["parts"], str(reason)))
    outcome.output_messages = outputs
    _usage(outcome, field_of(completion, "usage"))
    return outcome


class ChatStream:
    """Accumulates `ChatCompletionChunk`s: text and tool-call pieces per choice, usage if sent."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._model: str | None = None
        self._fingerprint: str | None = None
        self._usage: Any = None
        self._texts: dict[int, list[str]] = {}
        self._calls: dict[int, dict[int, dict[str, Any]]] = {}
        self._finish: dict[int, str] = {}

    def add(self, chunk: Any) -> None:
        # Runs for every chunk: plain getattr on the client's chunk models, each field read once.
        if self._id is None:
            self._id = getattr(chunk, "id", None)
            self._model = getattr(chunk, "model", None)
            self._fingerprint = getattr(chunk, "system_fingerprint", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            index = getattr(choice, "index", 0) or 0
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None)
            if content:
                self._texts.setdefault(index, []).append(content)
            pieces = getattr(delta, "tool_calls", None)
            if pieces:
                self._add_tool_calls(self._calls.setdefault(index, {}), pieces)
            reason = getattr(choice, "finish_reason", None)
            if reason:
                self._finish[index] = reason

    @staticmethod
    def _add_tool_calls(calls: dict[int, dict[str, Any]], pieces: Any) -> None:
        for piece in pieces:
            call = calls.setdefault(getattr(piece, "index", 0) or 0, {"id": None, "name": None, "arguments": []})
            function = getattr(piece, "function", None)
            call["id"] = call["id"] or getattr(piece, "id", None)
            call["name"] = call["name"] or getattr(function, "name", None)
            call["arguments"].append(getattr(function, "arguments", None) or "")

    def outcome(self) -> Outcome:
        outcome = Outcome(response_id=self._id, response_model=self._model)
        if self._fingerprint:
            outcome.attributes[sc.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = self._fingerprint
        outcome.output_messages = []
        for index in sorted(set(self._texts) | set(self._calls) | set(self._finish)):
            parts = [text("".join(self._texts[index]))] if index in self._texts else []
            for _, call in sorted(self._calls.get(index, {}).items()):
                parts.append(tool_call(call["id"], call["name"], "".join(call["arguments"])))
            reason = self._finish.get(index)
            if reason:
                outcome.finish_reasons.append(reason)
            outcome.output_messages.append(message("assistant", parts, reason))
        _usage(outcome, self._usage)
        return outcome


def describe_embeddings(kwargs: Mapping[str, Any]) -> Request:
    attributes: dict[str, Any] = {}
    dimensions = kwargs.get("dimensions")
    if isinstance(dimensions, int) and not isinstance(dimensions, bool):
        attributes[sc.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
    encoding = kwargs.get("encoding_format")
    if isinstance(encoding, str):
        attributes[sc.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
    model = kwargs.get("model")
    return Request(
        operation=sc.GenAiOperationNameValues.EMBEDDINGS,
        model=model if isinstance(model, str) else None,
        attributes=attributes,
    )


def embeddings_outcome(result: Any) -> Outcome:
    usage = field_of(result, "usage")
    return Outcome(response_model=field_of(result, "model"), input_tokens=number(field_of(usage, "prompt_tokens")))
