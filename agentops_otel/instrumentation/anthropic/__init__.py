"""GenAI spans for the `anthropic` client: messages, sync and async, streamed or not.

    from agentops_otel.instrumentation.anthropic import AnthropicInstrumentor
    AnthropicInstrumentor().instrument(tracer_provider=provider, capture_content=True)

`agentops_otel.init()` does this for you; `opentelemetry-instrument` finds it as the entry point
`agentops_anthropic`. Covers `messages.create` (with `stream=True`), the `messages.stream()` and `.parse()` helpers
and their `beta.messages` twins, with cache read/write tokens and `tool_use` blocks.

anthropic >= 2 also makes its own span per API call when a global tracer provider is set; ours is
the GenAI `chat {model}` span around it. To avoid two LLM spans per call, instrumenting sets
ANTHROPIC_OPEN_TELEMETRY=false (unless the program set it itself). The client reads it when it is
created, so a client created before instrumenting still makes its own span, nested in ours.
"""

from __future__ import annotations

import os
from typing import Any

from .._base import LLMInstrumentor, Target, Traced, async_method, started_on_enter, sync_method
from .._streams import AsyncStartingManagerProxy, AsyncStreamProxy, StartingManagerProxy, StreamProxy
from ._messages import MessageStream, describe_helper_stream, describe_message, message_outcome

__all__ = ["AnthropicInstrumentor"]

_MESSAGES = Traced(describe_message, message_outcome, MessageStream)
_HELPER = Traced(describe_helper_stream, message_outcome)

_TARGETS = tuple(
    target
    for module in ("anthropic.resources.messages", "anthropic.resources.beta.messages")
    for target in (
        Target(module, "Messages.create", sync_method(_MESSAGES, StreamProxy)),
        Target(module, "AsyncMessages.create", async_method(_MESSAGES, AsyncStreamProxy)),
        Target(module, "Messages.parse", sync_method(_MESSAGES)),
        Target(module, "AsyncMessages.parse", async_method(_MESSAGES)),
        Target(module, "Messages.stream", started_on_enter(_HELPER, StartingManagerProxy)),
        Target(module, "AsyncMessages.stream", started_on_enter(_HELPER, AsyncStartingManagerProxy)),
    )
)

# The client's own tracing switch (anthropic >= 2); read when a client is created.
_NATIVE_TRACING = "ANTHROPIC_OPEN_TELEMETRY"


class AnthropicInstrumentor(LLMInstrumentor):
    """Instruments the `anthropic` client library (>= 0.40)."""

    provider_name = "anthropic"
    requirements = ("anthropic >= 0.40",)
    targets = _TARGETS

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)
        self._set_native_tracing = _NATIVE_TRACING not in os.environ
        if self._set_native_tracing:
            os.environ[_NATIVE_TRACING] = "false"

    def _uninstrument(self, **kwargs: Any) -> None:
        super()._uninstrument(**kwargs)
        if getattr(self, "_set_native_tracing", False):
            os.environ.pop(_NATIVE_TRACING, None)
            self._set_native_tracing = False
