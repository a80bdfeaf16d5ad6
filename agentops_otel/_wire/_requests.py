"""What an LLM request asks and how a reply is scripted: the plain data both the loopback LLM server
(`agentops_otel.testing.llm_server`) and playback build provider responses from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class IdSource(Protocol):
    """Hands out response and tool-call ids in the provider's style (`next_id("chatcmpl-")`)."""

    def next_id(self, prefix: str) -> str: ...


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model asks for; `id` defaults to a counted one in the provider's style."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """A successful answer: text and/or tool calls, usage, and optional faults (delay, drop)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] | list[ToolCall] = ()
    model: str | None = None  # default: the requested model
    finish_reason: str | None = None  # default: tool_calls/tool_use, else stop/end_turn
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    delay: float = 0.0  # seconds before the answer starts
    drop_after: int | None = None  # streams: SSE events sent before the connection is cut
    fail_after: int | None = None  # streams: SSE events sent before the provider's in-stream error event


@dataclass(frozen=True)
class LLMRequest:
    """What a responder or rule sees of a request."""

    provider: str  # "openai" | "anthropic"
    api: str  # "chat" | "responses" | "embeddings" | "messages"
    body: dict[str, Any]
    last_user_text: str
    tool_names: tuple[str, ...]
    after_tool_result: bool

    @property
    def model(self) -> str:
        return str(self.body.get("model") or "unknown-model")

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


def _text_of(content: Any) -> str:
    """Text of a message content: a string, or the text parts of a list of parts/blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and "text" in p]
        return " ".join(str(p) for p in parts)
    return ""


def _is_tool_result(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    if message.get("role") == "tool" or message.get("type") == "function_call_output":
        return True
    content = message.get("content")
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def describe(provider: str, api: str, body: dict[str, Any]) -> LLMRequest:
    """What rules and responders see of a request body (also used by playback to match calls)."""
    raw = body.get("input") if api == "responses" else body.get("messages")
    messages = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or [])
    user_texts = [
        _text_of(m.get("content"))
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user" and not _is_tool_result(m)
    ]
    tools = body.get("tools") or []
    names = tuple(
        str(t.get("name") or (t.get("function") or {}).get("name") or "") for t in tools if isinstance(t, dict)
    )
    return LLMRequest(
        provider=provider,
        api=api,
        body=body,
        last_user_text=user_texts[-1] if user_texts else "",
        tool_names=names,
        after_tool_result=bool(messages) and _is_tool_result(messages[-1]),
    )
