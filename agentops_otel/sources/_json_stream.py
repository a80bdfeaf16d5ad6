"""One array of a large JSON object, item by item: a 100 MB Jaeger answer holds one trace's objects
in memory at a time, not all of them.

    for kind, value in object_items(text, "data", where):   # kind: "item" (of `data`) or a field name
        ...

Each item and field is decoded by the standard parser (`raw_decode`, C speed); only the punctuation
between them is walked here. Errors name `where` and the line and column, as `parse_json` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..errors import SourceError
from ._otlp_json import json_error, parse_json

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _decode(text: str, at: int, where: str) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except (ValueError, RecursionError) as exc:
        raise json_error(text, exc, where, at) from None


def _place(text: str, at: int) -> str:
    line = text.count("\n", 0, at) + 1
    return f"line {line} column {at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def _expect(text: str, at: int, chars: str, where: str) -> int:
    at = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # matches the empty string too
    if at >= len(text) or text[at] not in chars:
        found = repr(text[at]) if at < len(text) else "the end"
        raise SourceError(
            f"{where}: not valid JSON at {_place(text, at)}: expected {' or '.join(map(repr, chars))}, "
            f"found {found}; the input is corrupt or truncated"
        )
    return at


def object_items(text: str, key: str, where: str) -> Iterator[tuple[str, Any]]:
    """The fields of the top-level object in `text`, except that the array under `key` comes as one
    ("item", value) per element (an empty one as (key, [])). Anything but an object comes whole as
    ("", value)."""
    at = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", at):
        yield "", parse_json(text, where)
        return
    at += 1
    if text[_expect(text, at, '}"', where)] == "}":
        return
    while True:
        at = _expect(text, at, '"', where)
        name, at = _decode(text, at, where)
        at = _expect(text, at, ":", where) + 1
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
        if name == key and text.startswith("[", at):
            at += 1
            if text[_expect(text, at, ']"{[-0123456789tfn', where)] == "]":
                at = _expect(text, at, "]", where) + 1
                yield str(name), []
            else:
                while True:
                    item, at = _decode(text, _SPACE.match(text, at).end(), where)  # type: ignore[union-attr]
                    yield "item", item
                    at = _expect(text, at, ",]", where)
                    at += 1
                    if text[at - 1] == "]":
                        break
        else:
            value, at = _decode(text, at, where)
            yield str(name), value
        at = _expect(text, at, ",}", where)
        if text[at] == "}":
            if _SPACE.match(text, at + 1).end() != len(text):  # type: ignore[union-attr]
                raise SourceError(f"{where}: not valid JSON at {_place(text, at + 1)}: extra data after the answer")
            return
        at += 1
