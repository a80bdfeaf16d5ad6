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
MAX_DEPTH = 500  # nesting of a JSON document (Python's parser stops near 1000) and of one attribute value: 64
MAX_VALUE_DEPTH = 64
LATEST_NS = 2**63 - 1  # a time in nanoseconds since 1970 fits 64 bits (until 2262)
_DIGIT_LIMIT = 4300  # Python's int-digit limit (sys.get_int_max_str_digits)


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
    if isinstance(value, str) and len(value) < 40:  # longer is no 64-bit number (and may pass the digit limit)
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ShapeError(f"{what} is not a number: {value!r:.40}")


def as_time(value: Any, what: str, scale: int = 1) -> int:
    """A time in nanoseconds since 1970 (`value` times `scale`), which must fit 64 bits."""
    ns = as_int(value, what) * scale
    if not 0 <= ns <= LATEST_NS:
        raise ShapeError(f"{what} {str(value)[:40]} is out of range (a time between 1970 and 2262)")
    return ns


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
        raise ShapeError(f"{what} {value!r:.60} is neither hex nor base64 of {size} bytes") from None
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
    raise ShapeError(f"{what} {value!r:.40} is not a known value")


def span_kind(value: Any) -> str:
    return _enum(value, SPAN_KINDS, "SPAN_KIND_", "span kind")


def status_code(value: Any) -> str:
    return _enum(value, STATUS_CODES, "STATUS_CODE_", "status code")


def _kvlist(value: Any, depth: int) -> str:
    return json.dumps(attributes(field(value, "values", ()), depth + 1), default=str)


def _array(value: Any, depth: int) -> tuple[Any, ...]:
    return tuple(any_value(v, depth + 1) for v in field(value, "values", ()) or ())


def _plain_value(value: Any, depth: int) -> Any:
    """A plain JSON value some writers put where an AnyValue belongs, checked for depth."""
    if isinstance(value, list | dict):
        if depth > MAX_VALUE_DEPTH:
            raise ShapeError(f"an attribute value nests deeper than {MAX_VALUE_DEPTH} levels")
        for item in value.values() if isinstance(value, dict) else value:
            _plain_value(item, depth + 1)
    return value


# AnyValue holds exactly one of these keys (camelCase in OTLP/JSON, snake_case from protobuf names).
_ANY_VALUE_READERS: dict[str, Any] = {
    "stringValue": lambda v, d: v,
    "boolValue": lambda v, d: v,
    "intValue": lambda v, d: as_int(v, "intValue"),
    "doubleValue": lambda v, d: float(v),
    "arrayValue": _array,
    "kvlistValue": _kvlist,
    "bytesValue": lambda v, d: v,  # base64 text: our model keeps no bytes
}
_ANY_VALUE_READERS.update({_SNAKE.sub("_", k).lower(): f for k, f in list(_ANY_VALUE_READERS.items())})


def any_value(value: Any, depth: int = 0) -> Any:
    """An OTLP AnyValue as a plain value: arrays become tuples, key/value lists JSON text."""
    if depth > MAX_VALUE_DEPTH:
        raise ShapeError(f"an attribute value nests deeper than {MAX_VALUE_DEPTH} levels")
    if not isinstance(value, dict):
        return _plain_value(value, depth)  # some writers put plain JSON values straight in
    for key, found in value.items():
        reader = _ANY_VALUE_READERS.get(key)
        if reader is not None and found is not None:
            try:
                return reader(found, depth)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ShapeError):
                    raise
                raise ShapeError(f"{key} {found!r:.40} is not a valid value") from None
    return None  # an empty AnyValue


def attributes(items: Any, depth: int = 0) -> dict[str, Any]:
    if not items:
        return {}
    if isinstance(items, dict):  # already a plain mapping
        return {str(k): _plain_value(v, depth) for k, v in items.items()}
    out: dict[str, Any] = {}
    for item in items:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise ShapeError(f"attribute without a key: {item!r:.80}")
        out[key] = any_value(item.get("value"), depth)
    return out


def _span(span: Mapping[str, Any], resource: dict[str, Any], scope: str | None) -> SpanRecord:
    trace_id = hex_id(field(span, "traceId"), 16, "traceId")
    span_id = hex_id(field(span, "spanId"), 8, "spanId")
    if trace_id is None or span_id is None:
        raise ShapeError(f"span {span.get('name')!r} has no traceId or spanId")
    start = as_time(field(span, "startTimeUnixNano", 0), "startTimeUnixNano")
    end_raw = field(span, "endTimeUnixNano")
    status = field(span, "status") or {}
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=hex_id(field(span, "parentSpanId"), 8, "parentSpanId"),
        name=str(span.get("name", "")),
        start_ns=start,
        end_ns=start if end_raw in (None, "", 0, "0") else as_time(end_raw, "endTimeUnixNano"),
        kind=span_kind(span.get("kind")),
        status_code=status_code(status.get("code")),
        status_message=status.get("message") or None,
        attributes=attributes(span.get("attributes")),
        events=tuple(
            EventRecord(
                str(e.get("name", "")),
                as_time(field(e, "timeUnixNano", 0), "timeUnixNano"),
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
                doc = doc[wrapper]
                break
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
    except RecursionError:
        raise ShapeError(f"the document nests deeper than {MAX_DEPTH} levels") from None


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line} column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str, start: int = 0) -> int:
    """Where the nesting of `text` (from `start`) first passes MAX_DEPTH (strings skipped); -1 if never."""
    depth = 0
    for token in _STRUCTURE.finditer(text, start):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif char in "]}":
            depth -= 1
    return -1


def json_error(text: str | bytes | bytearray, exc: BaseException, where: str, start: int = 0) -> SourceError:
    """The error for a failed parse of `text` (from index `start`): bad JSON, nesting deeper than
    MAX_DEPTH, or a number longer than Python's int-digit limit, with the line and column."""
    if isinstance(exc, UnicodeDecodeError):
        return SourceError(f"{where}: not UTF-8 text at byte {exc.start}; is it an OTLP JSON file?")
    decoded = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if isinstance(exc, json.JSONDecodeError):
        return SourceError(
            f"{where}: not valid JSON at {_position(decoded, exc.pos)} (char {exc.pos}): {exc.msg}; "
            "the input is corrupt or truncated"
        )
    if isinstance(exc, RecursionError):
        at = _too_deep(decoded, start)
        place = _position(decoded, at) if at >= 0 else "some point"
        return SourceError(f"{where}: JSON nesting deeper than {MAX_DEPTH} levels at {place}")
    found = re.compile(rf"\d{{{_DIGIT_LIMIT + 1},}}").search(decoded, start)  # json raises a plain ValueError
    place = _position(decoded, found.start()) if found else "some point"
    return SourceError(f"{where}: a number longer than {_DIGIT_LIMIT} digits at {place}")


def parse_json(text: str | bytes | bytearray, where: str) -> Any:
    """json.loads with an error that names `where` and the line and column that broke."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise json_error(text, exc, where) from None


def records_from_document(doc: Any, where: str) -> list[SpanRecord]:
    try:
        return list(iter_records(doc))
    except ShapeError as exc:
        raise SourceError(f"{where}: {exc}") from None
