"""LLM client instrumentation: one OpenTelemetry `BaseInstrumentor` per client library.

- `agentops_otel.instrumentation.openai.OpenAIInstrumentor` (entry point `agentops_openai`)
- `agentops_otel.instrumentation.anthropic.AnthropicInstrumentor` (entry point `agentops_anthropic`)

Each call becomes a GenAI `chat {model}` / `embeddings {model}` CLIENT span with request parameters,
response id/model/finish reasons, token usage (cache and reasoning tokens included), content as the
capture mode says (gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions as JSON
in the upstream message format; events named `gen_ai.client.inference.operation.details` on the span
for EVENT_ONLY / SPAN_AND_EVENT), and `error.type` / `http.response.status_code` on failure.
Importing this package does not import the client libraries.

`INSTRUMENTORS` is the one registry of ours: `init()`, the zero-code distro and (checked by a test)
the `opentelemetry_instrumentor` entry points in pyproject.toml all read it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Registered:
    """One instrumentor of ours: its entry-point name, the client library it instruments, where it lives."""

    name: str
    library: str
    module: str
    class_name: str

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.class_name)


INSTRUMENTORS = (
    Registered("agentops_openai", "openai", "agentops_otel.instrumentation.openai", "OpenAIInstrumentor"),
    Registered("agentops_anthropic", "anthropic", "agentops_otel.instrumentation.anthropic", "AnthropicInstrumentor"),
)

__all__ = ["INSTRUMENTORS", "Registered"]
