"""Tool calls the model asked for, waiting for the tool step that answers them: the id of the model's
tool call (`gen_ai.tool.call.id`) goes on the tool's span, linking the two in every backend.

The LLM instrumentation `offer`s the tool calls of each response; a tool step `claim`s the oldest
waiting call of its name, the one with the same arguments first. Per context (thread, asyncio task),
bounded: calls nobody answers are forgotten after `_MAX_WAITING` newer ones.
"""

from __future__ import annotations

import contextvars
import json
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

_MAX_WAITING = 64
_waiting: contextvars.ContextVar[deque[tuple[str, str, str]] | None] = contextvars.ContextVar(
    "agentops_otel_waiting_tool_calls", default=None
)


def _key(arguments: Any) -> str:
    try:
        return json.dumps(arguments, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(arguments)


def offer(messages: Iterable[Any] | None) -> None:
    """Note the `tool_call` parts of a response's output messages (GenAI message format)."""
    calls = [
        (str(part["name"]), _key(part.get("arguments")), str(part["id"]))
        for message in messages or ()
        if isinstance(message, Mapping)
        for part in message.get("parts") or ()
        if isinstance(part, Mapping) and part.get("type") == "tool_call" and part.get("id") and part.get("name")
    ]
    if not calls:
        return
    waiting = _waiting.get()
    if waiting is None:
        waiting = deque(maxlen=_MAX_WAITING)
        _waiting.set(waiting)
    waiting.extend(calls)


def claim(name: str, arguments: Any) -> str | None:
    """The id of the waiting call a tool named `name` is answering, now no longer waiting; None if none."""
    waiting = _waiting.get()
    if not waiting:
        return None
    named = [call for call in waiting if call[0] == name]
    if not named:
        return None
    key = _key(arguments)
    chosen = next((call for call in named if call[1] == key), named[0])
    waiting.remove(chosen)
    return chosen[2]
