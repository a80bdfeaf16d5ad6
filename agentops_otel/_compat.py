"""Compatibility keys: the attributes Phoenix (OpenInference) and Langfuse read, added on our spans.

Opt-in, because they repeat what the GenAI attributes already say (span size):

    AGENTOPS_OTEL_COMPAT=openinference,langfuse      # or "all"

- openinference: `openinference.span.kind` (LLM, TOOL, AGENT, CHAIN, ...), `llm.model_name`,
  `llm.provider` / `llm.system`, `llm.token_count.*` (prompt counting the cache, as ours), `llm.cost.total`,
  `input.value` / `output.value` with their mime types, `tag.tags` on the session root.
- langfuse: `gen_ai.usage.cost` on priced LLM calls (Langfuse reads it as the cost it would otherwise
  compute), `input.value` / `output.value` on steps whose content Langfuse does not read from our
  keys (actions, decorated agents), and on the session root `langfuse.trace.tags` and
  `langfuse.trace.input` / `.output` (the earliest step's input and the latest step's output).
  `session.id` and `user.id` (from `session(user_id=...)`) are read by Langfuse as they are.

Keys a span already has are never overwritten. The cost processor calls `CompatKeys` on each ended
span's copy, after pricing, so the cost keys hold the price we computed.
"""

from __future__ import annotations

import threading
from typing import Any

from . import _conventions as conv
from . import semconv as sc

_OI = sc.OpeninferenceSpanKindValues
_OI_KINDS = {
    conv.LLM: _OI.LLM.value,
    conv.TOOL: _OI.TOOL.value,
    conv.AGENT: _OI.AGENT.value,
    conv.WORKFLOW: _OI.CHAIN.value,
    conv.ACTION: _OI.CHAIN.value,
    conv.RETRIEVER: _OI.RETRIEVER.value,
    conv.GUARDRAIL: _OI.GUARDRAIL.value,
    conv.ERROR: _OI.UNKNOWN.value,
    conv.SESSION: _OI.CHAIN.value,
}
_EMBEDDINGS = sc.GenAiOperationNameValues.EMBEDDINGS.value
_PRICED = sc.CostStatusValues.PRICED.value
_JSON, _TEXT = "application/json", "text/plain"
# Content keys Langfuse reads itself (it reads input.value before them, so only the others need it).
_LANGFUSE_READS = frozenset(
    {sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_TOOL_CALL_ARGUMENTS, sc.GEN_AI_TOOL_CALL_RESULT}
)


def _mime(value: Any) -> str:
    return _JSON if isinstance(value, str) and value[:1] in ("{", "[", '"') else _TEXT


def _put(attrs: dict[str, Any], key: str, value: Any) -> bool:
    if value is None or key in attrs:
        return False
    attrs[key] = value
    return True


class CompatKeys:
    """Adds the keys of the chosen targets to one span's attributes; thread-safe."""

    def __init__(self, targets: frozenset[str], max_sessions: int = 10_000) -> None:
        self.openinference = "openinference" in targets
        self.langfuse = "langfuse" in targets
        self._max = max(1, max_sessions)
        self._trace_io: dict[str, list[Any]] = {}  # session id -> [start, input, end, output]
        self._lock = threading.Lock()

    def __call__(self, start_ns: int | None, end_ns: int | None, attrs: dict[str, Any]) -> bool:
        """Add the keys to `attrs` (a span's attributes after pricing); True when any was added."""
        session_root = attrs.get(sc.AGENTOPS_SPAN_TYPE) == conv.SESSION
        kind = conv.SESSION if session_root else conv.step_kind(attrs)
        if kind == conv.OTHER:
            return False
        added = False
        if session_root:
            return self._root(attrs)
        if self.openinference:
            added |= self._openinference(kind, attrs)
        value_in, value_out = conv.raw_content(attrs, kind)
        if self.openinference or (self.langfuse and not _LANGFUSE_READS.intersection(attrs)):
            added |= _put(attrs, sc.INPUT_VALUE, value_in) and _put(attrs, sc.INPUT_MIME_TYPE, _mime(value_in))
            added |= _put(attrs, sc.OUTPUT_VALUE, value_out) and _put(attrs, sc.OUTPUT_MIME_TYPE, _mime(value_out))
        if self.langfuse:
            if kind == conv.LLM and attrs.get(sc.AGENTOPS_COST_STATUS) == _PRICED:
                added |= _put(attrs, sc.GEN_AI_USAGE_COST, attrs.get(sc.AGENTOPS_COST_USD))
            self._remember(attrs.get(sc.SESSION_ID), start_ns, value_in, end_ns, value_out)
        return added

    def _openinference(self, kind: str, attrs: dict[str, Any]) -> bool:
        oi_kind = _OI_KINDS.get(kind, _OI.UNKNOWN.value)
        if kind == conv.LLM and attrs.get(sc.GEN_AI_OPERATION_NAME) == _EMBEDDINGS:
            oi_kind = _OI.EMBEDDING.value
        added = _put(attrs, sc.OPENINFERENCE_SPAN_KIND, oi_kind)
        if kind != conv.LLM:
            if kind == conv.TOOL:
                added |= _put(attrs, sc.TOOL_NAME, attrs.get(sc.GEN_AI_TOOL_NAME))
            return added
        provider = conv.provider(attrs)
        added |= _put(attrs, sc.LLM_MODEL_NAME, conv.model(attrs))
        added |= _put(attrs, sc.LLM_PROVIDER, provider)
        added |= _put(attrs, sc.LLM_SYSTEM, provider)
        try:
            tokens = conv.tokens(attrs)
        except ValueError:
            tokens = None
        if tokens is not None:
            input_tokens, output_tokens, cache_read, cache_write, reasoning = tokens
            added |= _put(attrs, sc.LLM_TOKEN_COUNT_PROMPT, input_tokens)
            added |= _put(attrs, sc.LLM_TOKEN_COUNT_COMPLETION, output_tokens)
            added |= _put(attrs, sc.LLM_TOKEN_COUNT_TOTAL, input_tokens + output_tokens)
            for key, count in (
                (sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ, cache_read),
                (sc.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE, cache_write),
                (sc.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING, reasoning),
            ):
                if count:
                    added |= _put(attrs, key, count)
        if attrs.get(sc.AGENTOPS_COST_STATUS) == _PRICED:
            added |= _put(attrs, sc.LLM_COST_TOTAL, attrs.get(sc.AGENTOPS_COST_USD))
        return added

    def _root(self, attrs: dict[str, Any]) -> bool:
        tags = tuple(str(t) for t in attrs.get(sc.AGENTOPS_SESSION_TAGS) or ())
        added = False
        if self.openinference:
            added |= _put(attrs, sc.OPENINFERENCE_SPAN_KIND, _OI_KINDS[conv.SESSION])
            if tags:
                added |= _put(attrs, sc.TAG_TAGS, tags)
        if self.langfuse:
            if tags:
                added |= _put(attrs, sc.LANGFUSE_TRACE_TAGS, tags)
            session_id = attrs.get(sc.SESSION_ID)
            with self._lock:
                seen = self._trace_io.pop(str(session_id), None) if session_id else None
            if seen is not None:
                added |= _put(attrs, sc.LANGFUSE_TRACE_INPUT, seen[1])
                added |= _put(attrs, sc.LANGFUSE_TRACE_OUTPUT, seen[3])
        return added

    def _remember(
        self, session_id: Any, start_ns: int | None, value_in: Any, end_ns: int | None, value_out: Any
    ) -> None:
        """The session's earliest-started step input and latest-ended step output, until its root ends."""
        if not session_id or (value_in is None and value_out is None):
            return
        key = str(session_id)
        with self._lock:
            seen = self._trace_io.get(key)
            if seen is None:
                seen = self._trace_io[key] = [None, None, None, None]
                if len(self._trace_io) > self._max:  # a session whose root never ends: forget the oldest
                    del self._trace_io[next(iter(self._trace_io))]
            if value_in is not None and (seen[0] is None or (start_ns or 0) < seen[0]):
                seen[0], seen[1] = start_ns or 0, value_in
            if value_out is not None and (seen[2] is None or (end_ns or 0) >= seen[2]):
                seen[2], seen[3] = end_ns or 0, value_out
