"""agentops_otel: record AI-agent runs as OpenTelemetry traces, then test, price, gate and replay them."""

__version__ = "0.1.0"
