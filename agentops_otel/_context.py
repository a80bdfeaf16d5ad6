"""The OpenTelemetry context key under which the active session's id travels with the context.

Capture sets it when a session starts; the pipeline's session processor reads it to stamp
`session.id` on every span started inside the session, whoever creates it.
"""

from opentelemetry import context as otel_context

SESSION_ID_KEY = otel_context.create_key("agentops_otel.session_id")
