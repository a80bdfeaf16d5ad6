"""CostProcessor: prices every ended LLM span and rolls the totals up to the session root.

Ended spans are read-only, so the processor wraps the processors that come after it::

    recorder = SimpleSpanProcessor(InMemorySpanExporter())
    provider.add_span_processor(CostProcessor([recorder, BatchSpanProcessor(otlp)]))

On each ended span it works through small pure functions (`agentops_otel.cost._spans`): an LLM
call gets `agentops.cost.*` (priced, or unpriced with the reason: never a silent zero), a session
root (`agentops.span.type` = session) gets `agentops.session.usage.*`, `.cost.usd`,
`.cost.complete` and `.llm_calls`; the downstream processors see that copy. Other spans pass
through untouched.

Our own bugs never reach the application: they are logged and the span goes on unchanged. Set
AGENTOPS_OTEL_DEBUG=1 (our test suite does) to have them raised instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from time import time_ns

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from .. import semconv as sc
from ._pricer import Pricer, PriceResult
from ._spans import cost_attributes, is_llm_call, model_of, provider_of, usage_of, with_attributes
from ._totals import SessionTotalsTable

_log = logging.getLogger("agentops_otel.cost")

ENV_DEBUG = "AGENTOPS_OTEL_DEBUG"


def _debug() -> bool:
    return os.environ.get(ENV_DEBUG, "").strip().lower() in ("1", "true", "yes", "on")


class CostProcessor(SpanProcessor):
    """Wraps `downstream` processors and hands them priced copies of the spans that need it."""

    def __init__(
        self,
        downstream: Sequence[SpanProcessor],
        pricer: Pricer | None = None,
        max_open_sessions: int = 10_000,
    ) -> None:
        processors = tuple(downstream)
        for processor in processors:
            if not isinstance(processor, SpanProcessor):
                raise ValueError(f"downstream must hold SpanProcessors, got {type(processor).__name__}")
        self._downstream = processors
        self._pricer = pricer if pricer is not None else Pricer()
        self._totals = SessionTotalsTable(max_open_sessions)

    @property
    def open_sessions(self) -> int:
        """Sessions with LLM calls whose root has not ended yet."""
        return len(self._totals)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for processor in self._downstream:
            processor.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        for processor in self._downstream:
            processor._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            span = self._priced(span)
        except Exception:
            if _debug():
                raise
            _log.exception("agentops_otel could not price span %r; passing it on unpriced", span.name)
        for processor in self._downstream:
            processor.on_end(span)

    def _priced(self, span: ReadableSpan) -> ReadableSpan:
        attrs = span.attributes
        if not attrs:
            return span
        session_id = attrs.get(sc.SESSION_ID)
        if attrs.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION:
            if not session_id:
                return span
            return with_attributes(span, self._totals.close(str(session_id)).attributes())
        if not is_llm_call(attrs):
            return span
        extra = {}
        if sc.AGENTOPS_SPAN_TYPE not in attrs and sc.GEN_AI_OPERATION_NAME not in attrs:
            # Priced because it reports usage: say it is an LLM call so the read model counts it too.
            extra[sc.AGENTOPS_SPAN_TYPE] = sc.SpanTypeValues.LLM.value
        try:
            usage = usage_of(attrs)
        except ValueError as exc:
            usage, result = None, PriceResult.unpriced(str(exc))
        else:
            at = datetime.fromtimestamp(span.start_time / 1e9, tz=UTC) if span.start_time else None
            result = self._pricer.price(provider_of(attrs), model_of(attrs), usage, at)
        extra.update(cost_attributes(result))
        if session_id:
            self._totals.add(str(session_id), usage, result.total)
        return with_attributes(span, extra)

    def shutdown(self) -> None:
        for processor in self._downstream:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        deadline_ns = time_ns() + timeout_millis * 1_000_000
        flushed = True
        for processor in self._downstream:
            remaining_ms = (deadline_ns - time_ns()) // 1_000_000
            if remaining_ms <= 0:
                return False
            flushed = processor.force_flush(remaining_ms) and flushed
        return flushed
