"""Content capture: values to JSON strings, truncated, with credentials masked.

Content is untrusted and may be huge or unserialisable. `to_json` never raises and calls a user
`__repr__` at most once per value. Credentials are masked by one redaction pass (`_redact`): the
pipeline's net on every ended span, or `to_json` itself when given a redactor (a span that will not
pass the net). A cut never leaves the start of a credential behind: a key or token the limit falls
inside is dropped whole.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from . import _redact

REDACTED = _redact.MASK
_REPR_LIMIT = 2_000
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.")
_LONGEST_CUT = 512  # the most of a run of key characters dropped at a cut


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a user __repr__ may raise; content capture must not
        text = f"<{type(value).__qualname__} (repr failed: {type(exc).__name__})>"
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "…"


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of `value`; anything JSON has no type for becomes a safe repr."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 20:
        return "…"
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    dump = getattr(value, "model_dump", None)  # pydantic models (the openai/anthropic types)
    if callable(dump) and not isinstance(value, type):
        try:
            return _plain(dump(), depth + 1)
        except Exception:
            pass
    return _safe_repr(value)


def _cut(text: str, limit: int) -> tuple[str, int]:
    """`text` cut at `limit`, stepping back out of a run of key characters the cut falls inside."""
    end = limit
    if text[end - 1] in _KEY_CHARS and text[end] in _KEY_CHARS:
        floor = max(0, limit - _LONGEST_CUT)
        while end > floor and text[end - 1] in _KEY_CHARS:
            end -= 1
    return text[:end], len(text) - end


def to_json(value: Any, limit: int, redactor: _redact.Redactor | None = None) -> tuple[str, bool]:
    """Serialise `value` for a span attribute. Returns (text, truncated).

    With `redactor`, credentials are masked here (before the cut); without, the span's net does it.
    """
    try:  # fast path: plain JSON data
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):  # other types, NaN, non-string keys, cycles
        text = json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    if redactor is not None:
        text = redactor.text(text)
    if len(text) <= limit:
        return text, False
    kept, cut = _cut(text, limit)
    return kept + f"…[truncated {cut} chars]", True


def scrub_text(text: str, redactor: _redact.Redactor | None = None) -> str:
    """`text` with credentials masked (the built-in rules and AGENTOPS_OTEL_REDACT's by default)."""
    return (redactor or _redact.from_environment()).text(text)


def scrub_mapping(values: Mapping[str, Any], redactor: _redact.Redactor | None = None) -> dict[str, Any]:
    """Headers, recordings and similar plain data: credentials masked by key and by content."""
    return (redactor or _redact.from_environment()).plain(values)  # type: ignore[no-any-return]
