"""Small pure functions between ended spans and prices: read usage, write cost, copy a span."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from .. import _kinds
from .. import semconv as sc
from ._quote import Quote, Tokens

# Current names first, then the names older instrumentations still emit.
_INPUT_KEYS = (sc.GEN_AI_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_PROMPT_TOKENS)
_OUTPUT_KEYS = (sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_COMPLETION_TOKENS)
# Plain strings: `.value` of an enum member is a descriptor call, too slow for the per-span path.
_LLM = _kinds.LLM
_SESSION = _kinds.SESSION
_PRICED = sc.CostStatusValues.PRICED.value
_UNPRICED = sc.CostStatusValues.UNPRICED.value


def _first(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return key, value
    return keys[0], None


def has_usage(attrs: Mapping[str, Any]) -> bool:
    return _first(attrs, _INPUT_KEYS)[1] is not None or _first(attrs, _OUTPUT_KEYS)[1] is not None


def role_of(attrs: Mapping[str, Any]) -> str | None:
    """ "session" for a session root, "llm" for an LLM call to price, None for anything else.

    An LLM call by declared type or GenAI operation, or an undeclared span that reports usage.
    Agent, tool and session spans are never priced even when an instrumentation sums its
    children's usage onto them: that would count the same tokens twice.
    """
    declared = attrs.get(sc.AGENTOPS_SPAN_TYPE)
    if declared == _SESSION:
        return _SESSION
    if declared in _kinds.STEP_KINDS:  # as the read model's step_kind decides
        return _LLM if declared == _LLM else None
    operation = attrs.get(sc.GEN_AI_OPERATION_NAME)
    if operation is not None:
        return _LLM if _kinds.is_llm_operation(operation) else None
    return _LLM if has_usage(attrs) else None


def _count(key: str, value: Any) -> int:
    if type(value) is int and value >= 0:  # the usual case, checked first: this runs per LLM span
        return value
    if value is None:
        return 0
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())  # not NaN, inf, 1.5
    if isinstance(value, bool) or not whole or value < 0:
        raise ValueError(f"{key}={value!r} is not a token count")
    return int(value)


def tokens_of(attrs: Mapping[str, Any]) -> Tokens | None:
    """Token counts of a span; None when it reports none; ValueError for values that are not counts."""
    input_key, input_tokens = _first(attrs, _INPUT_KEYS)
    output_key, output_tokens = _first(attrs, _OUTPUT_KEYS)
    if input_tokens is None and output_tokens is None:
        return None
    return (
        _count(input_key, input_tokens),
        _count(output_key, output_tokens),
        _count(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, attrs.get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)),
        _count(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, attrs.get(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)),
        _count(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, attrs.get(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)),
    )


def model_of(attrs: Mapping[str, Any]) -> str | None:
    model = attrs.get(sc.GEN_AI_RESPONSE_MODEL) or attrs.get(sc.GEN_AI_REQUEST_MODEL)
    return str(model) if model else None


def provider_of(attrs: Mapping[str, Any]) -> str | None:
    provider = attrs.get(sc.GEN_AI_PROVIDER_NAME) or attrs.get(sc.GEN_AI_SYSTEM)
    return str(provider) if provider else None


def cost_attributes(quote: Quote | str) -> dict[str, Any]:
    """The cost attributes of an LLM span, from its quote or the reason it has none."""
    if isinstance(quote, str):
        return {sc.AGENTOPS_COST_STATUS: _UNPRICED, sc.AGENTOPS_COST_UNPRICED_REASON: quote}
    input_usd, output_usd, total_usd = quote.usd()
    return {
        sc.AGENTOPS_COST_USD: total_usd,
        sc.AGENTOPS_COST_INPUT_USD: input_usd,
        sc.AGENTOPS_COST_OUTPUT_USD: output_usd,
        sc.AGENTOPS_COST_STATUS: _PRICED,
        sc.AGENTOPS_COST_SOURCE: quote.source,
    }


class _CopiedSpan(ReadableSpan):
    """A ReadableSpan with extra attributes that still reports what the original dropped."""

    def __init__(self, original: ReadableSpan, attributes: dict[str, Any]) -> None:
        super().__init__(
            name=original.name,
            context=original.context,
            parent=original.parent,
            resource=original.resource,
            attributes=attributes,
            events=original.events,
            links=original.links,
            kind=original.kind,
            status=original.status,
            start_time=original.start_time,
            end_time=original.end_time,
            instrumentation_scope=original.instrumentation_scope,
        )
        self._dropped = (original.dropped_attributes, original.dropped_events, original.dropped_links)

    @property
    def dropped_attributes(self) -> int:
        return self._dropped[0]

    @property
    def dropped_events(self) -> int:
        return self._dropped[1]

    @property
    def dropped_links(self) -> int:
        return self._dropped[2]


def with_attributes(span: ReadableSpan, attributes: dict[str, Any]) -> ReadableSpan:
    """A copy of an ended span with these attributes (ended spans are read-only).

    `attributes` should start as `dict(span.attributes)`: callers read from that same copy, since
    lookups in a plain dict are much cheaper than through the span's read-only view.
    """
    return _CopiedSpan(span, attributes)
