"""Which open spans are part of an LLM call: nested in an LLM call's span, at any depth.

A client library that traces itself (anthropic >= 2 makes `anthropic.messages.create` inside any
instrumentation's LLM span) would otherwise count, and cost, the same call twice. It is decided when
the span starts (its parent already reads as an LLM call: it gets `agentops.span.type` = other at
once) and again when it ends, since OpenInference names its span kind only when the call ends: by
then the parent, still open, has more to say. A client library's own span (`is_client_scope`) that
ends while another instrumentation's LLM span beside it is still open (same parent: OpenLLMetry does
not make its span current) is part of that call too. The read model applies the same rules to the tree.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .. import _conventions, _kinds
from .. import semconv as sc
from ._spans import attributes_of

_OTHER = _kinds.OTHER
_LLM = _kinds.LLM
_SESSION = _kinds.SESSION
_ABSENT = object()


def _kind(parent: Any) -> str | None:
    """The span's step kind now, or None for a span of another process (no attributes here)."""
    if parent is None or not hasattr(parent, "attributes"):
        return None
    attributes = attributes_of(parent)
    try:
        if attributes.get(sc.AGENTOPS_SPAN_TYPE) == _SESSION:
            return _SESSION
        return _kinds.step_kind(attributes)
    except RuntimeError:  # another thread set one of its attributes while we read them
        return None


class Nesting:
    """Open spans inside an LLM call, and open spans whose parent could still turn out to be one.

    Both tables are bounded: a span that never ends is forgotten, oldest first, past `limit` entries.
    Entries are added and removed without a lock (single dict operations are atomic).
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = max(1, limit)
        self._inside: dict[int, None] = {}  # span ids marked at start
        self._undecided: dict[int, Any] = {}  # span id -> its parent span, which was `other` at start
        self._calls: dict[int, dict[int, None]] = {}  # parent span id -> open LLM spans under it
        self._clients: dict[int, int] = {}  # open client-library spans -> their parent span id
        self._open: dict[int, Any] = {}  # every open span by id: parents found without a context lookup

    def started(self, span: Any, parent_context: Any) -> None:
        span_id = span.get_span_context().span_id
        self._add(self._open, span_id, span)
        parent_context = getattr(span, "parent", None)
        parent_id = parent_context.span_id if parent_context is not None else 0
        if not parent_id:
            return
        parent = self._open.get(parent_id)  # None for a parent in another process or provider
        if parent_id in self._inside:
            kind: str | None = _LLM
        else:
            kind = _kind(parent)
        if kind == _LLM:
            span.set_attribute(sc.AGENTOPS_SPAN_TYPE, _OTHER)
            self._add(self._inside, span_id, None)
            return
        if kind == _OTHER:
            self._add(self._undecided, span_id, parent)
        scope = getattr(span, "instrumentation_scope", None)
        if _conventions.is_client_scope(getattr(scope, "name", None)):
            self._add(self._clients, span_id, parent_id)
        elif _kind(span) == _LLM:
            calls = self._calls.get(parent_id)
            if calls is None:
                calls = self._calls[parent_id] = {}
                if len(self._calls) > self._limit:
                    with contextlib.suppress(RuntimeError, KeyError, StopIteration):
                        del self._calls[next(iter(self._calls))]
            calls[span_id] = None

    def ended(self, span: Any) -> bool:
        """True when the span turned out to be inside an LLM call that was not one when it started."""
        context = span.get_span_context()
        span_id = context.span_id if context is not None else 0
        self._open.pop(span_id, None)
        if self._inside.pop(span_id, _ABSENT) is not _ABSENT:
            return False  # marked when it started: its own attributes say `other` already
        parent_of_client = self._clients.pop(span_id, None)
        parent = self._undecided.pop(span_id, None)
        if parent_of_client is None:
            self._ended_call(span)
        elif self._calls.get(parent_of_client):
            return True  # an LLM call beside it is still open: this is that call's own client span
        if parent is None:
            return False
        return parent.get_span_context().span_id in self._inside or _kind(parent) == _LLM

    def _ended_call(self, span: Any) -> None:
        parent = getattr(span, "parent", None)
        if parent is None or not self._calls:
            return
        calls = self._calls.get(parent.span_id)
        if calls is not None and calls.pop(span.get_span_context().span_id, _ABSENT) is not _ABSENT and not calls:
            self._calls.pop(parent.span_id, None)

    def _add(self, table: dict[int, Any], key: int, value: Any) -> None:
        table[key] = value
        if len(table) > self._limit:
            with contextlib.suppress(RuntimeError, KeyError, StopIteration):  # another thread changed it meanwhile
                del table[next(iter(table))]

    def __len__(self) -> int:
        """Open spans being followed."""
        return len(self._open)
