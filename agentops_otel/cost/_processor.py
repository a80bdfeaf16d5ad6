"""CostProcessor: prices every ended LLM span and rolls the totals up to the session root.

Ended spans are read-only, so the processor wraps the processors that come after it (one
multi-span processor, which more can join later)::

    cost = CostProcessor([SimpleSpanProcessor(InMemorySpanExporter()), BatchSpanProcessor(otlp)])
    provider.add_span_processor(cost)
    cost.add_span_processor(another)       # gets priced spans too

On each ended span it works through small pure functions (`agentops_otel.cost._spans`): an LLM
call (by the convention map, whichever instrumentation made it) gets `agentops.cost.*` (priced by
genai-prices, else the instrumentation's own recorded cost, or unpriced with the reason: never a
silent zero), a span nested in an LLM call's span is part of that call (marked `other` when it
starts or, when its parent only says it is an LLM call later, when it ends), a session
root (`agentops.span.type` = session) gets `agentops.session.usage.*`, `.cost.usd`,
`.cost.complete` and `.llm_calls`; the downstream processors see that copy. Other spans pass
through untouched.

Our own bugs never reach the application: they are logged and the span goes on unchanged. Set
AGENTOPS_OTEL_DEBUG=1 to have them raised instead (our tests do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, SynchronousMultiSpanProcessor
from opentelemetry.trace import StatusCode

from .. import _kinds
from .. import semconv as sc
from .._internal import internal_error
from ._nesting import Nesting
from ._quote import given_quote
from ._spans import attributes_of, cost_attributes, price_of, role_of, with_attributes
from ._totals import SessionTotalsTable

if TYPE_CHECKING:
    from ._pricer import Pricer

_log = logging.getLogger("agentops_otel.cost")

_PROCESSOR_METHODS = ("on_start", "on_end", "shutdown", "force_flush")
_SESSION = _kinds.SESSION
_LLM = _kinds.LLM
_OTHER = _kinds.OTHER


class _WithOnEnding(SpanProcessor):
    """A duck-typed processor without the SDK's newer `_on_ending` hook, made safe to call."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self.processor.on_end(span)

    def shutdown(self) -> None:
        self.processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.processor.force_flush(timeout_millis))


def _refused(span: ReadableSpan, attrs: dict) -> int | None:
    """The HTTP status of a call the provider refused (an ERROR span with a 4xx/5xx answer), else None."""
    status = attrs.get(sc.HTTP_RESPONSE_STATUS_CODE)
    failed = span.status.status_code is StatusCode.ERROR and isinstance(status, int) and status >= 400
    return status if failed else None


class CostProcessor(SpanProcessor):
    """Wraps one downstream processor (a multi-span processor) and hands it priced copies of the spans
    that need it. Processors added with `add_span_processor` later get priced spans too."""

    def __init__(
        self,
        downstream: SpanProcessor | Sequence[SpanProcessor] = (),
        pricer: Pricer | None = None,
        max_open_sessions: int = 10_000,
        extra_keys: Callable[[int | None, int | None, dict[str, Any]], bool] | None = None,
    ) -> None:
        if isinstance(downstream, SpanProcessor) and callable(getattr(downstream, "add_span_processor", None)):
            self.downstream = downstream
        else:
            self.downstream = SynchronousMultiSpanProcessor()
            for processor in downstream if isinstance(downstream, Sequence) else (downstream,):
                self.add_span_processor(processor)
        self._pricer = pricer
        self._totals = SessionTotalsTable(max_open_sessions)
        self._nesting = Nesting(max_open_sessions)
        # Called on every span's attributes after pricing (start, end, attributes), True when it added
        # some: the compatibility keys (agentops_otel._compat), opt-in.
        self._extra_keys = extra_keys

    def add_span_processor(self, processor: SpanProcessor) -> None:
        """Add a processor after those already downstream; it receives spans with their cost."""
        # Duck-typed like the SDK: a user's processor need not subclass SpanProcessor.
        if not all(callable(getattr(processor, name, None)) for name in _PROCESSOR_METHODS):
            raise ValueError(
                f"downstream must hold span processors ({', '.join(_PROCESSOR_METHODS)}), "
                f"got {type(processor).__name__}"
            )
        if not callable(getattr(processor, "_on_ending", None)):
            processor = _WithOnEnding(processor)  # the SDK's multi-span processor calls it on every span
        self.downstream.add_span_processor(processor)  # type: ignore[attr-defined]

    @property
    def pricer(self) -> Pricer:
        """The pricer given, else one made on first use (importing genai-prices costs a fifth of a second)."""
        if self._pricer is None:
            from ._pricer import Pricer

            self._pricer = Pricer()
        return self._pricer

    @pricer.setter
    def pricer(self, pricer: Pricer) -> None:
        self._pricer = pricer

    @property
    def open_sessions(self) -> int:
        """Sessions with LLM calls whose root has not ended yet."""
        return len(self._totals)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            self._nesting.started(span, parent_context)
        except Exception:  # runs in the application's thread, inside its start_span()
            internal_error("note a span's parent LLM call", _log)
        self.downstream.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        self.downstream._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            span = self._priced(span)
        except Exception:
            internal_error(f"price span {span.name!r} (passed on unpriced)", _log)
        self.downstream.on_end(span)

    def _priced(self, span: ReadableSpan) -> ReadableSpan:
        nested = self._nesting.ended(span)
        view = attributes_of(span)
        if not view:
            return span
        role = role_of(view)
        if role is None and view.get(sc.AGENTOPS_COST_GIVEN) is True:  # @tool(cost=...): counts toward the session
            self._add_given(dict(view), None, llm_call=False)
        if role is None and self._extra_keys is None:
            return span
        attrs = dict(view)  # one copy: cheaper lookups from here on, and the copy's attributes
        changed = self._costed(span, role, nested, attrs)
        if self._extra_keys is not None:
            changed = self._extra_keys(span.start_time, span.end_time, attrs) or changed
        return with_attributes(span, attrs) if changed else span

    def _costed(self, span: ReadableSpan, role: str | None, nested: bool, attrs: dict[str, Any]) -> bool:
        """Add the span's cost (or its session's totals) to `attrs`; True when anything was added."""
        if role is None:
            return False
        if nested and role == _LLM:
            # A client library's own span inside an LLM call, known only now: part of that call.
            attrs[sc.AGENTOPS_SPAN_TYPE] = _OTHER
            return True
        session_id = attrs.get(sc.SESSION_ID)
        if role == _SESSION:
            if not session_id:
                return False
            attrs.update(self._totals.close(str(session_id)).attributes())
            return True
        if sc.AGENTOPS_SPAN_TYPE not in attrs and sc.GEN_AI_OPERATION_NAME not in attrs:
            # An LLM call by another convention's name or by its usage alone: say so in ours too.
            attrs[sc.AGENTOPS_SPAN_TYPE] = _LLM
        tokens, quote = price_of(self.pricer, attrs, span.start_time, _refused(span, attrs))
        if attrs.get(sc.AGENTOPS_COST_GIVEN) is True and self._add_given(attrs, tokens):
            return True  # LLMEvent(cost=...): the application's figure stands
        attrs.update(cost_attributes(quote))
        if session_id:
            self._totals.add(str(session_id), tokens, None if isinstance(quote, str) else quote)
        return True

    def _add_given(self, attrs: dict, tokens: Any, llm_call: bool = True) -> bool:
        """Add a cost the application gave to its session's totals; False when it is not an amount."""
        quote = given_quote(attrs.get(sc.AGENTOPS_COST_USD), str(attrs.get(sc.AGENTOPS_COST_SOURCE)))  # type: ignore[arg-type]
        if quote is None:
            return False
        session_id = attrs.get(sc.SESSION_ID)
        if session_id:
            self._totals.add(str(session_id), tokens, quote, llm_call)
        return True

    def shutdown(self) -> None:
        self.downstream.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.downstream.force_flush(timeout_millis)
