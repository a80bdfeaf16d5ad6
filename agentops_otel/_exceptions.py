"""Exceptions as steps see them: one identity per exception object, its stack trace formatted once.

Every step an exception passes through records it (status ERROR, `error.type`, an `exception` event)
with the same identity (`agentops.error.id`) and the identities of the exceptions it was raised from
(`agentops.error.chain`: `__cause__`, else `__context__`, nearest first). The first step it reaches
formats its stack trace, once, and is remembered on the exception as the step where it was raised, so
an exception travelling up N nested steps costs O(N) in all (formatting the trace at every level cost
the square of the depth), and a session's end names the step that caused it in O(length of the chain).

Identities live on the exception object (one attribute); an exception that refuses attributes is
remembered in a small table by `id()` and type instead. They are unique within a process's lifetime
(pid and a counter), so within a trace.

Spans that pass the pipeline's redaction net are masked there; others are masked here (`redactor`).
"""

from __future__ import annotations

import itertools
import os
import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode

from . import _redact
from . import semconv as sc
from ._redact_spans import goes_through_net

_SEEN_ATTRIBUTE = "__agentops_otel_seen__"
MAX_CHAIN = 16  # exceptions followed through __cause__ / __context__
_FALLBACK_SIZE = 1024  # exceptions that refuse attributes, remembered by id() (newest kept)

_counter = itertools.count(1)
_fallback: OrderedDict[tuple[int, type], tuple[BaseException, Seen]] = OrderedDict()
_fallback_lock = threading.Lock()


@dataclass(slots=True)
class Seen:
    """What we know of one exception: its identity, and the first step that recorded it."""

    id: str
    stacktrace: str | None = None  # formatted when the first step records it
    span_id: str | None = None  # that step's span id (16 hex) and name
    span_name: str | None = None


def seen(exc: BaseException) -> Seen:
    """The identity of `exc`, given now if it has none yet."""
    found = getattr(exc, _SEEN_ATTRIBUTE, None)
    if type(found) is Seen:
        return found
    new = Seen(f"{os.getpid():x}-{next(_counter)}")
    try:
        setattr(exc, _SEEN_ATTRIBUTE, new)
        return new
    except Exception:  # __slots__ without __dict__, a __setattr__ that refuses: remember it here
        key = (id(exc), type(exc))
        with _fallback_lock:
            kept = _fallback.get(key)
            if kept is not None and kept[0] is exc:
                return kept[1]
            _fallback[key] = (exc, new)  # holding `exc` keeps its id() from being reused meanwhile
            if len(_fallback) > _FALLBACK_SIZE:
                _fallback.popitem(last=False)
        return new


def chain(exc: BaseException) -> list[BaseException]:
    """The exceptions `exc` was raised from, nearest first (as the traceback module follows them)."""
    found: list[BaseException] = []
    visited = {id(exc)}
    current: BaseException | None = exc
    while current is not None and len(found) < MAX_CHAIN:
        current = (
            current.__cause__ if current.__cause__ is not None or current.__suppress_context__ else current.__context__
        )
        if current is None or id(current) in visited:
            break
        visited.add(id(current))
        found.append(current)
    return found


def exception_type(exc: BaseException) -> str:
    """As the OpenTelemetry SDK names it: `module.Qualname`, builtins by name alone."""
    cls = type(exc)
    module = cls.__module__
    return f"{module}.{cls.__qualname__}" if module and module != "builtins" else cls.__qualname__


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception as failed:  # a user __str__ may raise; recording must not
        return f"<{type(exc).__qualname__} (str() failed: {type(failed).__name__})>"


def _formatted(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(exc))
    except Exception as failed:
        return f"{type(exc).__qualname__}: <traceback could not be formatted: {type(failed).__name__}>"


def record_exception(span: Span, exc: BaseException, redactor: _redact.Redactor | None = None) -> None:
    """Mark `span` failed by `exc`: status ERROR with its message, `error.type`, the exception event,
    its identity and chain. Only the first span it reaches carries the stack trace (formatted once)."""
    identity = seen(exc)
    first = identity.span_id is None
    message = _message(exc)
    description = f"{type(exc).__name__}: {message}"
    event: dict[str, Any] = {sc.EXCEPTION_TYPE: exception_type(exc), sc.EXCEPTION_MESSAGE: message}
    if first:
        if identity.stacktrace is None:
            identity.stacktrace = _formatted(exc)
        event[sc.EXCEPTION_STACKTRACE] = identity.stacktrace
        context = span.get_span_context()
        identity.span_id = format(context.span_id, "016x")
        identity.span_name = getattr(span, "name", None)
    if not goes_through_net(span):
        red = redactor or _redact.from_environment()
        description = red.text(description)
        event = {key: red.text(value) for key, value in event.items()}
    attributes: dict[str, Any] = {sc.ERROR_TYPE: type(exc).__qualname__, sc.AGENTOPS_ERROR_ID: identity.id}
    raised_from = chain(exc)
    if raised_from:
        attributes[sc.AGENTOPS_ERROR_CHAIN] = tuple(seen(e).id for e in raised_from)
    span.add_event("exception", event)
    span.set_attributes(attributes)
    span.set_status(Status(StatusCode.ERROR, description))


def ending_attributes(exc: BaseException) -> dict[str, Any]:
    """The session root's record of the exception that ended it: its identity and chain, and the step
    that caused the failure (where the earliest exception of the chain a step saw was first raised)."""
    raised_from = chain(exc)
    attributes: dict[str, Any] = {sc.AGENTOPS_SESSION_ERROR_ID: seen(exc).id}
    if raised_from:
        attributes[sc.AGENTOPS_SESSION_ERROR_CHAIN] = tuple(seen(e).id for e in raised_from)
    for candidate in reversed([exc, *raised_from]):  # the earliest first
        identity = seen(candidate)
        if identity.span_id is not None:
            attributes[sc.AGENTOPS_SESSION_FAILING_STEP_SPAN_ID] = identity.span_id
            if identity.span_name:
                attributes[sc.AGENTOPS_SESSION_FAILING_STEP_NAME] = identity.span_name
            break
    return attributes


def is_clean_exit(exc: BaseException | None) -> bool:
    """`sys.exit()`, `sys.exit(0)` (and `None`): a normal end, not a failure."""
    return isinstance(exc, SystemExit) and exc.code in (None, 0)
