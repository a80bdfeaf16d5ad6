"""Request matching: the recorded GenAI messages and a live request body, reduced to one comparable form.

Recordings hold messages in the upstream GenAI format (`{"role", "parts": [{"type": "text", ...}]}`);
the code under playback sends OpenAI or Anthropic request bodies. Both become a flat list of entries
`(label, value)`: a role's text, a tool call (name, arguments), a tool result. Ids are left out (they
are the recording's own in playback), JSON is compared by value, and live text is scrubbed of
credentials the way recorded content was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .. import _pipeline
from .._content import scrub_mapping, scrub_text

Entry = tuple[str, str]

_PREVIEW = 160
# Images, audio and files are recorded as references of their own shape: only their presence counts.
_NON_TEXT: Entry = ("content part", "non-text")


def _redactor() -> Any:
    """The rules recordings were masked with (init(redact=...) and AGENTOPS_OTEL_REDACT), so a live
    conversation matches its recording."""
    return _pipeline.current_settings().redactor


def _json_value(value: Any) -> str:
    """One canonical text for JSON-ish values: strings holding JSON are parsed first."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return scrub_text(value.strip(), _redactor())
    if isinstance(value, list) and value and all(isinstance(v, dict) and v.get("type") == "text" for v in value):
        return scrub_text("\n".join(str(v.get("text", v.get("content", ""))) for v in value).strip(), _redactor())
    value = scrub_mapping({"value": value}, _redactor())["value"]  # credentials masked by key, as content capture does
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _role(role: Any) -> str:
    role = str(role or "user")
    return "system" if role == "developer" else role


def _message_entries(
    role: str, texts: list[str], calls: list[Entry], results: list[Entry], other: list[Entry]
) -> list[Entry]:
    entries: list[Entry] = []
    text = scrub_text("\n".join(t for t in texts if t).strip(), _redactor())
    if text:
        entries.append((role, text))
    return entries + calls + results + other


def _tool_call(name: Any, arguments: Any) -> Entry:
    return ("tool call", f"{name}({_json_value(arguments if arguments not in (None, '') else {})})")


# Recorded side: upstream GenAI messages


def recorded_entries(messages: Any, system_instructions: Any = None) -> list[Entry]:
    entries: list[Entry] = []
    if system_instructions:
        parts = system_instructions if isinstance(system_instructions, list) else [system_instructions]
        system = [str(p.get("content", "")) if isinstance(p, dict) else str(p) for p in parts]
        entries += _message_entries("system", system, [], [], [])
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, dict):
            continue
        texts: list[str] = []
        calls: list[Entry] = []
        results: list[Entry] = []
        other: list[Entry] = []
        for part in message.get("parts") or ():
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("content", "")))
            elif kind == "tool_call":
                calls.append(_tool_call(part.get("name"), part.get("arguments")))
            elif kind == "tool_call_response":
                results.append(("tool result", _json_value(part.get("response"))))
            elif kind not in (None, "reasoning", "thinking"):
                other.append(_NON_TEXT)
        entries += _message_entries(_role(message.get("role")), texts, calls, results, other)
    return entries


# Live side: provider request bodies


def openai_chat_entries(body: dict[str, Any]) -> list[Entry]:
    entries: list[Entry] = []
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        role = _role(message.get("role"))
        content = message.get("content")
        texts, other = _openai_content(content)
        calls = [
            _tool_call((c.get("function") or {}).get("name"), (c.get("function") or {}).get("arguments"))
            for c in message.get("tool_calls") or ()
            if isinstance(c, dict)
        ]
        if role == "tool":
            entries.append(("tool result", _json_value(content)))
            continue
        entries += _message_entries(role, texts, calls, [], other)
    return entries


def openai_responses_entries(body: dict[str, Any]) -> list[Entry]:
    """The Responses API: `instructions`, then `input` as a string or a list of items."""
    entries: list[Entry] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        entries += _message_entries("system", [instructions], [], [], [])
    items = body.get("input")
    for item in [{"role": "user", "content": items}] if isinstance(items, str) else items or ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "function_call":
            entries.append(_tool_call(item.get("name"), item.get("arguments")))
        elif kind == "function_call_output":
            entries.append(("tool result", _json_value(item.get("output"))))
        elif "role" in item:
            texts, other = _openai_content(item.get("content"))
            entries += _message_entries(_role(item.get("role")), texts, [], [], other)
        elif kind != "reasoning":
            entries.append(_NON_TEXT)
    return entries


def _openai_content(content: Any) -> tuple[list[str], list[Entry]]:
    if isinstance(content, str):
        return [content], []
    texts: list[str] = []
    other: list[Entry] = []
    for part in content or ():
        if isinstance(part, dict) and part.get("type") in ("text", "input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        elif isinstance(part, dict):
            other.append(_NON_TEXT)
    return texts, other


def anthropic_entries(body: dict[str, Any]) -> list[Entry]:
    entries: list[Entry] = []
    system = body.get("system")
    if system:
        prompt = (
            [system] if isinstance(system, str) else [str(b.get("text", "")) for b in system if isinstance(b, dict)]
        )
        entries += _message_entries("system", prompt, [], [], [])
    for message in body.get("messages") or ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks: Iterable[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else content or ()
        texts: list[str] = []
        calls: list[Entry] = []
        results: list[Entry] = []
        other: list[Entry] = []
        for block in blocks:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                texts.append(str(block.get("text", "")))
            elif kind == "tool_use":
                calls.append(_tool_call(block.get("name"), block.get("input")))
            elif kind == "tool_result":
                results.append(("tool result", _json_value(block.get("content"))))
            elif kind not in (None, "thinking", "redacted_thinking"):
                other.append(_NON_TEXT)
        entries += _message_entries(_role(message.get("role")), texts, calls, results, other)
    return entries


# Comparison


def _show(entry: Entry | None) -> str:
    if entry is None:
        return "(nothing)"
    label, value = entry
    value = value if len(value) <= _PREVIEW else value[:_PREVIEW] + "…"
    return f"{label}: {value!r}"


def first_difference(recorded: list[Entry], actual: list[Entry]) -> tuple[str, str, str] | None:
    """(where, recorded, actual) of the first entry that differs, or None when the conversations match.

    A recording without a system prompt (some instrumentations leave it out) does not fail on the live one's.
    """
    if not any(label == "system" for label, _ in recorded):
        actual = [e for e in actual if e[0] != "system"]
    for position in range(max(len(recorded), len(actual))):
        mine = recorded[position] if position < len(recorded) else None
        theirs = actual[position] if position < len(actual) else None
        if mine != theirs:
            return f"message entry {position + 1}", _show(mine), _show(theirs)
    return None
