"""LLM client instrumentation: one OpenTelemetry `BaseInstrumentor` per client library.

- `agentops_otel.instrumentation.openai.OpenAIInstrumentor` (entry point `agentops_openai`)
- `agentops_otel.instrumentation.anthropic.AnthropicInstrumentor` (entry point `agentops_anthropic`)

Each call becomes a GenAI `chat {model}` / `embeddings {model}` CLIENT span with request parameters,
response id/model/finish reasons, token usage (cache and reasoning tokens included), content as the
capture mode says (gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions as JSON
in the upstream message format; events named `gen_ai.client.inference.operation.details` on the span
for EVENT_ONLY / SPAN_AND_EVENT), and `error.type` / `http.response.status_code` on failure.
Importing this package does not import the client libraries.
"""
