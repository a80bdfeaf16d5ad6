"""Span helpers shared by sessions, decorators and events: the tracer, content, errors."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider
from opentelemetry.trace import Span

from .. import _pipeline, _redact
from .. import semconv as sc
from .._config import ContentCapture
from .._content import to_json
from .._exceptions import record_exception


def tracer() -> trace.Tracer | None:
    """Our tracer, or None when nothing records (no init() and no SDK provider): callers then skip
    the OpenTelemetry API entirely, which keeps the tracing-off path nearly free."""
    pipeline = _pipeline.current_pipeline()
    if pipeline is not None:
        return pipeline.tracer
    provider = trace.get_tracer_provider()
    if isinstance(provider, SDKTracerProvider):
        return provider.get_tracer("agentops_otel")
    return None


def local_redactor() -> _redact.Redactor | None:
    """The redactor to apply here, or None when our spans pass the pipeline's redaction net."""
    return _pipeline.current_settings().redactor if _pipeline.current_pipeline() is None else None


def redactor() -> _redact.Redactor:
    return _pipeline.current_settings().redactor


def content_attributes(key: str, value: Any, attrs: dict[str, Any]) -> None:
    """Add `value` as JSON under `key` when content capture is on."""
    pipeline = _pipeline.current_pipeline()
    settings = pipeline.settings if pipeline is not None else _pipeline.Settings()
    if settings.capture is ContentCapture.NO_CONTENT:
        return
    # Masked here only when the span will not pass the pipeline's redaction net.
    text, truncated = to_json(value, settings.max_content_length, settings.redactor if pipeline is None else None)
    attrs[key] = text
    if truncated:
        attrs[sc.AGENTOPS_STEP_TRUNCATED] = True


def set_content(span: Span, key: str, value: Any) -> None:
    attrs: dict[str, Any] = {}
    content_attributes(key, value, attrs)
    if attrs:
        span.set_attributes(attrs)


def record_error(span: Span, exc: BaseException) -> None:
    """Mark the span failed by `exc`: exception event, status ERROR, error.type, the exception's
    identity (credentials masked)."""
    record_exception(span, exc, redactor())
