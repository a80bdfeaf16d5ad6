"""The redaction net: every ended span leaves the application's process with its credentials masked.

The pipeline's processor runs `redacted(span, redactor)` on each ended span before any downstream
processor (the cost processor, the recorder, the store, OTLP, the user's own processors) sees it:
attribute values, event and link attributes (an exception's message and stack trace), the status
message and the name. A span holding nothing to mask is passed on as it is (no copy).

Spans that will not pass the net (a provider without our pipeline) are redacted where they are made:
`goes_through_net(span)` tells (`_exceptions.record_exception` records a failure either way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, Status

from . import _redact
from ._redact import Redactor


def goes_through_net(span: Any) -> bool:
    """Whether `span` ends through a processor that redacts it (an SDK span records its processor)."""
    return bool(getattr(getattr(span, "_span_processor", None), "redacts_ended_spans", False))


def _plain(attributes: Any) -> Mapping[str, Any]:
    """The plain dict inside the SDK's BoundedAttributes (iterating the wrapper itself runs Python code
    per item: most of the net's time on a small span), else the mapping as it is."""
    inner = getattr(attributes, "_dict", None)
    return inner if isinstance(inner, dict) else attributes


def _attributes(attributes: Mapping[str, Any] | None, redactor: Redactor) -> dict[str, Any] | None:
    """A redacted copy of `attributes`, or None when nothing in them changes."""
    if not attributes:
        return None
    changed: dict[str, Any] | None = None
    text, secret_name = redactor.text, _redact.is_secret_name
    for key, value in _plain(attributes).items():
        if type(value) is str and not secret_name(key):  # the common case, kept short
            new: Any = text(value)
            if new is value or new == value:
                continue
        elif value is None or isinstance(value, bool) or (isinstance(value, int | float) and not secret_name(key)):
            continue
        else:
            new = redactor.value(key, value)
            if new == value:
                continue
        if changed is None:
            changed = dict(_plain(attributes))
        changed[key] = new
    return changed


def _events(events: Sequence[Event], redactor: Redactor) -> list[Event] | None:
    changed: list[Event] | None = None
    for index, event in enumerate(events):
        attributes = _attributes(event.attributes, redactor)
        name = redactor.text(event.name)
        if attributes is None and name == event.name:
            continue
        if changed is None:
            changed = list(events)
        changed[index] = Event(name, attributes if attributes is not None else event.attributes, event.timestamp)
    return changed


def _links(links: Sequence[Link], redactor: Redactor) -> list[Link] | None:
    changed: list[Link] | None = None
    for index, link in enumerate(links):
        attributes = _attributes(link.attributes, redactor)
        if attributes is not None:
            if changed is None:
                changed = list(links)
            changed[index] = Link(link.context, attributes)
    return changed


class _RedactedSpan(ReadableSpan):
    """A copy of an ended span with redacted parts that still reports what the original dropped."""

    def __init__(self, original: ReadableSpan, **parts: Any) -> None:
        super().__init__(
            name=parts.get("name", original.name),
            context=original.context,
            parent=original.parent,
            resource=original.resource,
            attributes=parts.get("attributes", original.attributes),
            events=parts.get("events", original.events),
            links=parts.get("links", original.links),
            kind=original.kind,
            status=parts.get("status", original.status),
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


def redacted(span: ReadableSpan, redactor: Redactor) -> ReadableSpan:
    """`span` with every credential masked: itself when it holds none, else a copy."""
    parts: dict[str, Any] = {}
    attributes = _attributes(getattr(span, "_attributes", None) or span.attributes, redactor)
    if attributes is not None:
        parts["attributes"] = attributes
    if span.events:
        events = _events(span.events, redactor)
        if events is not None:
            parts["events"] = events
    if span.links:
        links = _links(span.links, redactor)
        if links is not None:
            parts["links"] = links
    description = span.status.description
    if description:
        masked = redactor.text(description)
        if masked != description:
            parts["status"] = Status(span.status.status_code, masked)
    name = redactor.text(span.name)
    if name != span.name:
        parts["name"] = name
    return _RedactedSpan(span, **parts) if parts else span
