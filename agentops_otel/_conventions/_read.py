"""Reading a span's attributes through every convention's table at once.

The tables are merged into one precedence list per concept when this module loads, so a lookup is a
few dict probes whichever convention wrote the span: the cost processor calls `step_kind` and
`tokens` on every ended span.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import semconv as sc
from ._messages import decode_json, normalize_parts, to_genai_messages, unflatten
from ._tables import CONVENTIONS, OURS, Keys
from ._vocabulary import AGENT, LLM, OTHER, STEP_KINDS, TOOL, WORKFLOW

Tokens = tuple[int, int, int, int, int]  # input, output, cache read, cache write, reasoning


def _merged(keys: Iterable[Keys]) -> Keys:
    return tuple(dict.fromkeys(key for group in keys for key in group))


_OTHERS = tuple(c for c in CONVENTIONS if c is not OURS)
_KIND_KEYS = tuple(entry for c in _OTHERS for entry in c.kinds)
_MARKERS = tuple(dict.fromkeys(entry for c in CONVENTIONS for entry in c.markers))
_MODEL = _merged(c.model for c in CONVENTIONS)
_MODEL_IN_JSON = tuple(entry for c in CONVENTIONS for entry in c.model_in_json)
_PROVIDER = _merged(c.provider for c in CONVENTIONS)
_INPUT = _merged(c.input_tokens for c in CONVENTIONS)
_OUTPUT = _merged(c.output_tokens for c in CONVENTIONS)
_CACHE_READ = _merged(c.cache_read_tokens for c in CONVENTIONS)
_CACHE_WRITE = _merged(c.cache_write_tokens for c in CONVENTIONS)
_REASONING = _merged(c.reasoning_tokens for c in CONVENTIONS)
_EXCLUDES_CACHE = tuple(entry for c in CONVENTIONS for entry in c.input_excludes_cache)
_RECORDED_COST = tuple(dict.fromkeys(entry for c in CONVENTIONS for entry in c.recorded_cost))
_FLATTENED = frozenset(key for c in CONVENTIONS for key in c.flattened_messages)
_DECODERS: dict[str, Callable[[Any], Any]] = {k: f for c in CONVENTIONS for k, f in c.decoders.items()}
_CLIENT_SCOPES = frozenset(scope for c in CONVENTIONS for scope in c.client_scopes)
_DECLARED = frozenset(STEP_KINDS)
# Any of these on a span may make it a step; a span with none of them is `other` at once.
_KIND_EVIDENCE = frozenset(
    [sc.AGENTOPS_SPAN_TYPE, *(key for key, _ in _KIND_KEYS), *(key for key, _ in _MARKERS), *_INPUT, *_OUTPUT]
)


def _for_kind(tables: Iterable[Mapping[str, Keys]], kind: str) -> Keys:
    return _merged(table[kind] if kind in table else table.get("*", ()) for table in tables)


_CONTENT = {
    kind: (
        _for_kind(({k: v[0] for k, v in c.content.items()} for c in CONVENTIONS), kind),
        _for_kind(({k: v[1] for k, v in c.content.items()} for c in CONVENTIONS), kind),
    )
    for kind in STEP_KINDS
}
_NAMES = {kind: _merged(c.names.get(kind, ()) for c in CONVENTIONS) for kind in STEP_KINDS}
_NAME_PREFIXES = {
    TOOL: sc.GenAiOperationNameValues.EXECUTE_TOOL.value + " ",
    AGENT: sc.GenAiOperationNameValues.INVOKE_AGENT.value + " ",
    WORKFLOW: sc.GenAiOperationNameValues.INVOKE_WORKFLOW.value + " ",
}
_MESSAGE_KINDS = frozenset({LLM, AGENT, WORKFLOW})


def _first(attrs: Mapping[str, Any], keys: Keys) -> tuple[str, Any]:
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return key, value
    return "", None


def has_usage(attrs: Mapping[str, Any]) -> bool:
    """True when the span reports input or output tokens under any convention's name."""
    return _first(attrs, _INPUT)[1] is not None or _first(attrs, _OUTPUT)[1] is not None


def is_client_scope(scope: str | None) -> bool:
    """True for the instrumentation scope of a client library tracing its own calls (the anthropic SDK)."""
    return scope in _CLIENT_SCOPES


def step_kind(attrs: Mapping[str, Any]) -> str:
    """The step kind of a span from its attributes alone (`other` when nothing says).

    Our own `agentops.span.type` wins; then the first convention attribute that names a kind (an
    unknown value there means `other`); then attributes whose presence marks a kind; then a span
    that reports token usage and says nothing else is an LLM call.
    """
    declared = attrs.get(sc.AGENTOPS_SPAN_TYPE)
    if isinstance(declared, str) and declared in _DECLARED:
        return declared
    if _KIND_EVIDENCE.isdisjoint(attrs):
        return OTHER
    for key, table in _KIND_KEYS:
        value = attrs.get(key)
        if value is not None:
            return table.get(value, OTHER) if isinstance(value, str) else OTHER
    for key, kind in _MARKERS:
        if key in attrs:
            return kind
    return LLM if has_usage(attrs) else OTHER


def model(attrs: Mapping[str, Any]) -> str | None:
    for key in _MODEL:
        value = attrs.get(key)
        if value:
            return str(value)
    for key, field_name in _MODEL_IN_JSON:
        value = attrs.get(key)
        found = decode_json(value) if isinstance(value, str) else None
        if isinstance(found, dict) and found.get(field_name):
            return str(found[field_name])
    return None


def provider(attrs: Mapping[str, Any]) -> str | None:
    for key in _PROVIDER:
        value = attrs.get(key)
        if value:
            return str(value)
    return None


def _strict(key: str, value: Any) -> int:
    if type(value) is int and value >= 0:  # the usual case, checked first: this runs per LLM span
        return value
    if value is None:
        return 0
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())  # not NaN, inf, 1.5
    if isinstance(value, bool) or not whole or value < 0:
        raise ValueError(f"{key}={value!r} is not a token count")
    return int(value)


def _lenient(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        count = float(value)
    except (ValueError, OverflowError):
        return 0
    return int(count) if math.isfinite(count) and count >= 0 and count.is_integer() else 0


def tokens(attrs: Mapping[str, Any], *, strict: bool = True) -> Tokens | None:
    """Token counts in `Tokens` order, input counting the cache tokens as the GenAI conventions do;
    None when the span reports none. Values that are not counts raise ValueError when `strict`
    (the cost processor says why it could not price), else count as 0 (the read model)."""
    input_key, input_value = _first(attrs, _INPUT)
    output_key, output_value = _first(attrs, _OUTPUT)
    if input_value is None and output_value is None:
        return None
    count = _strict if strict else _lenient
    counts = (
        count(input_key, input_value),
        count(output_key, output_value),
        count(*_first(attrs, _CACHE_READ)),
        count(*_first(attrs, _CACHE_WRITE)),
        count(*_first(attrs, _REASONING)),
    )
    for key, value, providers in _EXCLUDES_CACHE:
        if attrs.get(key) == value and str(provider(attrs)).lower() in providers:
            return (counts[0] + counts[2] + counts[3], *counts[1:])  # type: ignore[return-value]
    return counts


def recorded_cost(attrs: Mapping[str, Any]) -> tuple[float, str] | None:
    """(USD, attribute) of a cost the instrumentation itself recorded, when it is a real one."""
    for key, zero_is_unknown in _RECORDED_COST:
        value = attrs.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value) and value >= 0 and not (value == 0 and zero_is_unknown):
            return float(value), key
    return None


def _decoded(key: str, value: Any) -> Any:
    value = decode_json(value)
    decoder = _DECODERS.get(key)
    return decoder(value) if decoder is not None else value


def _content_of(attrs: Mapping[str, Any], keys: Keys, kind: str) -> Any:
    for key in keys:
        if key in attrs:
            value = _decoded(key, attrs[key])
        elif key in _FLATTENED:
            value = to_genai_messages(unflatten(attrs, key))
            if value is None:
                continue
        else:
            continue
        return normalize_parts(value) if kind in _MESSAGE_KINDS else value
    return None


def content(attrs: Mapping[str, Any], kind: str) -> tuple[Any, Any]:
    """(input, output) of a step of this kind, decoded: messages for LLM calls, arguments and result
    for tools, input and output for agents and the rest."""
    inputs, outputs = _CONTENT.get(kind, _CONTENT[OTHER])
    return _content_of(attrs, inputs, kind), _content_of(attrs, outputs, kind)


def raw_content(attrs: Mapping[str, Any], kind: str) -> tuple[Any, Any]:
    """(input, output) as recorded, undecoded, from attributes of their own (no flattened lists):
    what the compatibility keys copy."""
    inputs, outputs = _CONTENT.get(kind, _CONTENT[OTHER])
    return _first(attrs, inputs)[1], _first(attrs, outputs)[1]


def step_name(attrs: Mapping[str, Any], kind: str, span_name: str) -> str:
    """What a step is called: the model for LLM calls, else the tool, agent, workflow or action name."""
    if kind == LLM:
        return model(attrs) or span_name
    for key in _NAMES.get(kind, ()):
        value = attrs.get(key)
        if value:
            return str(value)
    prefix = _NAME_PREFIXES.get(kind)
    return span_name.removeprefix(prefix) if prefix else span_name
