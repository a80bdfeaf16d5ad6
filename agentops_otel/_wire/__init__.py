"""Provider wire shapes shared by the loopback LLM server and playback: requests, scripted replies,
and the OpenAI / Anthropic response bodies and SSE events built from them."""

from ._requests import IdSource, LLMRequest, Reply, ToolCall, describe

__all__ = ["IdSource", "LLMRequest", "Reply", "ToolCall", "describe"]
