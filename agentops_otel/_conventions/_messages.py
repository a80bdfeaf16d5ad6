"""Chat messages in one shape: the OpenTelemetry GenAI message JSON (`{role, parts: [...]}`).

OpenInference (`llm.input_messages.0.message.role`, ...) and OpenLLMetry 0.4x (`gen_ai.prompt.0.role`,
...) flatten their message lists into indexed attributes; `unflatten` rebuilds the nested value and
`to_genai_messages` turns either shape into GenAI messages. `normalize_parts` mends the spellings
emitters differ in (pydantic-ai writes a tool result as `result`, the schema says `response`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_ROLE, _CONTENT, _NAME, _FINISH = "role", "content", "name", "finish_reason"
_TYPE, _TEXT, _ID, _ARGUMENTS, _RESPONSE, _RESULT = "type", "text", "id", "arguments", "response", "result"


def _indexed(node: Any) -> Any:
    """Dicts whose keys are all indexes become lists (in index order); others keep their keys."""
    if not isinstance(node, dict):
        return node
    items = {key: _indexed(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def unflatten(attributes: Mapping[str, Any], prefix: str) -> Any:
    """The nested value flattened under `prefix.` (None when no attribute starts with it)."""
    head = prefix + "."
    root: dict[str, Any] = {}
    for key, value in attributes.items():
        if not key.startswith(head):
            continue
        node = root
        *path, last = key[len(head) :].split(".")
        for part in path:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = value
    return _indexed(root) if root else None


def decode_json(value: Any) -> Any:
    """Content attributes hold JSON strings: the value, or the text itself when it is not JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _tool_call(raw: Any) -> dict[str, Any]:
    call: dict[str, Any] = raw.get("tool_call", raw) if isinstance(raw, dict) else {}
    if not isinstance(call, dict):
        call = {}
    function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else {}
    part = {_TYPE: "tool_call", _ID: call.get(_ID), _NAME: function.get(_NAME, call.get(_NAME))}
    part[_ARGUMENTS] = decode_json(function.get(_ARGUMENTS, call.get(_ARGUMENTS)))
    return part


def _message(raw: Any) -> dict[str, Any]:
    """One message of a flattened list: OpenInference wraps it in `message`, OpenLLMetry does not."""
    if not isinstance(raw, dict):
        return {_ROLE: None, "parts": [{_TYPE: _TEXT, _CONTENT: raw}]}
    body = raw.get("message", raw) if isinstance(raw.get("message"), dict) else raw
    parts: list[dict[str, Any]] = []
    content = body.get(_CONTENT)
    call_id = body.get("tool_call_id")
    if call_id is not None:  # a tool's answer in the conversation history
        parts.append({_TYPE: "tool_call_response", _ID: call_id, _RESPONSE: content})
    elif content is not None:
        parts.append({_TYPE: _TEXT, _CONTENT: content})
    for item in body.get("contents") or ():
        piece = item.get("message_content", item) if isinstance(item, dict) else {_TEXT: item}
        if piece.get(_TEXT) is not None:
            parts.append({_TYPE: _TEXT, _CONTENT: piece[_TEXT]})
        else:
            parts.append({_TYPE: piece.get(_TYPE, "part"), **{k: v for k, v in piece.items() if k != _TYPE}})
    parts.extend(_tool_call(call) for call in body.get("tool_calls") or ())
    message: dict[str, Any] = {_ROLE: body.get(_ROLE), "parts": parts}
    if body.get(_NAME) is not None:
        message[_NAME] = body[_NAME]
    if body.get(_FINISH) is not None:
        message[_FINISH] = body[_FINISH]
    return message


def to_genai_messages(flattened: Any) -> list[dict[str, Any]] | None:
    """GenAI messages from an unflattened OpenInference or OpenLLMetry message list."""
    if isinstance(flattened, dict):  # indexes with a gap (a message dropped by attribute limits)
        flattened = [flattened[key] for key in sorted(flattened, key=lambda k: (not k.isdigit(), k))]
    if not isinstance(flattened, list):
        return None
    return [_message(item) for item in flattened]


def normalize_parts(messages: Any) -> Any:
    """GenAI messages as the schema spells them: a tool result under `response` (pydantic-ai writes
    `result`), tool-call arguments as a value (pydantic-ai writes JSON text). Other values unchanged."""
    if not isinstance(messages, list):
        return messages
    mended = []
    for message in messages:
        parts = message.get("parts") if isinstance(message, dict) else None
        if isinstance(parts, list):
            fixed = [_mended(part) for part in parts]
            if any(a is not b for a, b in zip(fixed, parts, strict=True)):
                message = {**message, "parts": fixed}
        mended.append(message)
    return mended


def _mended(part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get(_TYPE)
    if kind == "tool_call_response" and _RESPONSE not in part and _RESULT in part:
        return {**part, _RESPONSE: part[_RESULT]}
    if kind == "tool_call" and isinstance(part.get(_ARGUMENTS), str):
        arguments = decode_json(part[_ARGUMENTS])
        if isinstance(arguments, dict | list):
            return {**part, _ARGUMENTS: arguments}
    return part
