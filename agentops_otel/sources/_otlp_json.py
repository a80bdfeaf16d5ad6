"""OTLP/JSON `TracesData` into SpanRecords, read liberally.

One reader for every OTLP-shaped document we meet: Collector file exporter lines, single documents,
Tempo's `{"batches": ...}` (v1) and `{"trace": ...}` (v2) envelopes, Jaeger's `{"result": ...}` (api/v3).
It accepts hex or base64 ids (decided by length: an uppercase hex string is valid base64 too), enum
numbers or names, camelCase or snake_case keys, and 64-bit ints as strings or numbers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from ..errors import SourceError
from ..model import EventRecord, LinkRecord, SpanRecord
from ..model._records import SPAN_KINDS, STATUS_CODES

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
_ZERO_IDS = {"0" * 16, "0" * 32}


class ShapeError(ValueError):
    """A document that is valid JSON but not the shape we expect; callers add where it was."""


@cache
def _snake(camel: str) -> str:
    return _SNAKE.sub("_", camel).lower()


def field(obj: Mapping[str, Any], camel: str, default: Any = None) -> Any:
    """`obj[camel]`, or its snake_case twin (protobuf JSON accepts both)."""
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel), default)


def as_int(value: Any, what: str) -> int:
    """A 64-bit int written as a JSON number or a string."""
    if isinstance(value, bool):
        raise ShapeError(f"{what} is not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ShapeError(f"{what} is not a number: {value!r}")


def hex_id(value: Any, size: int, what: str) -> str | None:
    """A trace (size 16) or span (size 8) id as lowercase hex; None for absent or all-zero ids.

    Hex has 2*size chars, base64 4*ceil(size/3); a 64-bit Jaeger trace id is left-padded.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ShapeError(f"{what} is not a string: {value!r}")
    text = value.strip()
    try:
        if len(text) == 2 * size:
            int(text, 16)
            result = text.lower()
        elif size == 16 and len(text) == 16 and all(c in "0123456789abcdefABCDEF" for c in text):
            result = text.lower().rjust(32, "0")
        elif len(text) in (4 * -(-size // 3), 4 * -(-size // 3) - (3 - size % 3) % 3):
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
            if len(raw) != size:
                raise ValueError
            result = raw.hex()
        else:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ShapeError(f"{what} {value!r} is neither hex nor base64 of {size} bytes") from None
    return None if result in _ZERO_IDS else result


def _enum(value: Any, names: tuple[str, ...], prefix: str, what: str) -> str:
    if value is None or value == "":
        return names[0]
    if isinstance(value, int) and not isinstance(value, bool):
        # OTLP numbers SpanKind from 1 (0 is UNSPECIFIED); StatusCode from 0.
        index = value - 1 if prefix == "SPAN_KIND_" else value
        if 0 <= index < len(names):
            return names[index]
        if prefix == "SPAN_KIND_" and value == 0:
            return names[0]
    elif isinstance(value, str):
        name = value.strip().upper().removeprefix(prefix)
        if name in names:
            return name
        if name == "UNSPECIFIED":
            return names[0]
        if name.isdigit():
            return _enum(int(name), names, prefix, what)
    raise ShapeError(f"{what} {value!r} is not a known value")


def span_kind(value: Any) -> str:
    return _enum(value, SPAN_KINDS, "SPAN_KIND_", "span kind")


def status_code(value: Any) -> str:
    return _enum(value, STATUS_CODES, "STATUS_CODE_", "status code")


def _kvlist(value: Any) -> str:
    return json.dumps(attributes(field(value, "values", ())), default=str)


def _array(value: Any) -> tuple[Any, ...]:
    return tuple(any_value(v) for v in field(value, "values", ()) or ())


# AnyValue holds exactly one of these keys (camelCase in OTLP/JSON, snake_case from protobuf names).
_ANY_VALUE_READERS: dict[str, Any] = {
    "stringValue": lambda v: v,
    "boolValue": lambda v: v,
    "intValue": lambda v: as_int(v, "intValue"),
    "doubleValue": float,
    "arrayValue": _array,
    "kvlistValue": _kvlist,
    "bytesValue": lambda v: v,  # base64 text: our model keeps no bytes
}
_ANY_VALUE_READERS.update({_SNAKE.sub("_", k).lower(): f for k, f in list(_ANY_VALUE_READERS.items())})


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as a plain value: arrays become tuples, key/value lists JSON text."""
    if not isinstance(value, dict):
        return value  # some writers put plain JSON values straight in
    for key, found in value.items():
        reader = _ANY_VALUE_READERS.get(key)
        if reader is not None and found is not None:
            return reader(found)
    return None  # an empty AnyValue


def attributes(items: Any) -> dict[str, Any]:
    if not items:
        return {}
    if isinstance(items, dict):  # already a plain mapping
        return dict(items)
    out: dict[str, Any] = {}
    for item in items:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise ShapeError(f"attribute without a key: {item!r:.80}")
        out[key] = any_value(item.get("value"))
    return out


def _span(span: Mapping[str, Any], resource: dict[str, Any], scope: str | None) -> SpanRecord:
    trace_id = hex_id(field(span, "traceId"), 16, "traceId")
    span_id = hex_id(field(span, "spanId"), 8, "spanId")
    if trace_id is None or span_id is None:
        raise ShapeError(f"span {span.get('name')!r} has no traceId or spanId")
    start = as_int(field(span, "startTimeUnixNano", 0), "startTimeUnixNano")
    end_raw = field(span, "endTimeUnixNano")
    status = field(span, "status") or {}
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=hex_id(field(span, "parentSpanId"), 8, "parentSpanId"),
        name=str(span.get("name", "")),
        start_ns=start,
        end_ns=start if end_raw in (None, "", 0, "0") else as_int(end_raw, "endTimeUnixNano"),
        kind=span_kind(span.get("kind")),
        status_code=status_code(status.get("code")),
        status_message=status.get("message") or None,
        attributes=attributes(span.get("attributes")),
        events=tuple(
            EventRecord(
                str(e.get("name", "")),
                as_int(field(e, "timeUnixNano", 0), "timeUnixNano"),
                attributes(e.get("attributes")),
            )
            for e in span.get("events") or ()
        ),
        links=tuple(
            LinkRecord(
                hex_id(field(link, "traceId"), 16, "link traceId") or "",
                hex_id(field(link, "spanId"), 8, "link spanId") or "",
                attributes(link.get("attributes")),
            )
            for link in span.get("links") or ()
        ),
        resource=resource,
        scope=scope,
    )


def _resource_spans(doc: Any) -> list[Any]:
    """The ResourceSpans list inside any of the envelopes we know."""
    if isinstance(doc, Mapping):
        for wrapper in ("trace", "result"):  # Tempo v2, Jaeger api/v3
            if isinstance(doc.get(wrapper), Mapping):
                return _resource_spans(doc[wrapper])
        for key in ("resourceSpans", "resource_spans", "batches"):
            if key in doc:
                found = doc[key]
                if found is None:
                    return []
                if isinstance(found, list):
                    return found
                raise ShapeError(f"{key} is not a list")
        if not doc:
            return []  # Tempo answers {} for a trace without spans
    raise ShapeError("not an OTLP TracesData document (no resourceSpans, batches, trace or result)")


def iter_records(doc: Any) -> Iterator[SpanRecord]:
    """Every span of one OTLP JSON document. Raises ShapeError on anything unreadable."""
    try:
        for rs in _resource_spans(doc):
            resource = attributes((field(rs, "resource") or {}).get("attributes"))
            scopes = field(rs, "scopeSpans")
            if scopes is None:
                scopes = field(rs, "instrumentationLibrarySpans") or ()
            for ss in scopes:
                scope_obj = field(ss, "scope") or field(ss, "instrumentationLibrary") or {}
                scope = scope_obj.get("name") or None
                for span in ss.get("spans") or ():
                    yield _span(span, resource, scope)
    except (AttributeError, TypeError) as exc:
        raise ShapeError(f"unexpected value in the document ({exc})") from None


def parse_json(text: str | bytes, where: str) -> Any:
    """json.loads with an error that names `where` and the line and column that broke."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{where}: not valid JSON at line {exc.lineno} column {exc.colno} (char {exc.pos}): "
            f"{exc.msg}; the input is corrupt or truncated"
        ) from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{where}: not UTF-8 text at byte {exc.start}; is it an OTLP JSON file?") from None


def records_from_document(doc: Any, where: str) -> list[SpanRecord]:
    try:
        return list(iter_records(doc))
    except ShapeError as exc:
        raise SourceError(f"{where}: {exc}") from None
