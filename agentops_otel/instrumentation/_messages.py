"""Building blocks of the upstream GenAI message format (gen_ai.input.messages / gen_ai.output.messages).

A message is `{"role": ..., "parts": [...]}` (output messages add `finish_reason`); parts are
`{"type": "text", "content": ...}`, `{"type": "tool_call", "id", "name", "arguments"}`,
`{"type": "tool_call_response", "id", "response"}`, `{"type": "reasoning", "content"}`, or another
`type` with its fields. Request and response objects may be dicts or the clients' pydantic models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """A dict/list view of a request or response object (pydantic models are dumped)."""
    if type(value) is dict:  # the common case, without the cost of an ABC check
        return value
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump(exclude_none=True)
    return value


_MISSING = object()


def field_of(value: Any, name: str, default: Any = None) -> Any:
    """`value[name]` for dicts, `value.name` for objects."""
    if type(value) is dict:  # fast paths first: this runs for every field of every call
        return value.get(name, default)
    found = getattr(value, name, _MISSING)
    if found is not _MISSING:
        return found
    return value.get(name, default) if isinstance(value, Mapping) else default


def given(value: Any) -> bool:
    """False for None and the clients' NOT_GIVEN / Omit sentinels."""
    return value is not None and type(value).__name__ not in ("NotGiven", "Omit")


def listed(value: Any) -> list[Any] | None:
    """A list or tuple as a list; None for anything else. Other iterables (generators) are never
    iterated: that would consume what the client is about to send."""
    return list(value) if isinstance(value, list | tuple) else None


def arguments(raw: Any) -> Any:
    """Tool-call arguments as sent: JSON text becomes its value; anything else is kept as is."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def text(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content}


def tool_call(call_id: Any, name: Any, args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments(args)}


def tool_response(call_id: Any, response: Any) -> dict[str, Any]:
    return {"type": "tool_call_response", "id": call_id, "response": response}


def message(role: Any, parts: list[dict[str, Any]], finish_reason: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"role": role, "parts": parts}
    if finish_reason is not None:
        result["finish_reason"] = finish_reason
    return result


def media_part(part: Mapping[str, Any]) -> dict[str, Any]:
    """Images, audio and files: keep the kind and a reference, never inline bytes (data: URLs)."""
    kind = str(part.get("type", "unknown"))
    body = part.get(kind)
    url = field_of(body, "url") if body is not None else part.get("image_url") or part.get("file_id")
    if isinstance(url, str) and url.startswith("data:"):
        return {"type": "blob", "modality": kind, "mime_type": url[5:].split(";", 1)[0], "content": "[inline data]"}
    if isinstance(url, str):
        return {"type": "uri", "modality": kind, "uri": url}
    return {"type": kind}


def number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def scalar_attributes(kwargs: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Span attributes from request keyword arguments: numbers, strings and lists of strings only."""
    found: dict[str, Any] = {}
    for argument, attribute in names.items():
        value = kwargs.get(argument)
        if isinstance(value, bool) or not given(value):
            continue
        if isinstance(value, int | float | str):
            found[attribute] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            found[attribute] = list(value)
    return found


def server_of(client: Any) -> tuple[str | None, int | None]:
    """server.address / server.port from a client's base URL."""
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    if not host:
        return None, None
    port = getattr(url, "port", None)
    if port is None:
        port = {"https": 443, "http": 80}.get(str(getattr(url, "scheme", "")))
    return str(host), port
