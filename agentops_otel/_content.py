"""Content capture: values to JSON strings, truncated, and always scrubbed of credentials.

Content is untrusted and may be huge or unserialisable. `to_json` never raises, calls a user
`__repr__` at most once per value, and never lets an API key or auth header through.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Keys whose values are credentials whatever they hold.
_SECRET_NAMES = (
    r"api[_-]?key|x[_-]api[_-]key|authorization|proxy[_-]authorization|password|passwd|secret|"
    r"client[_-]secret|access[_-]token|refresh[_-]token|auth[_-]token|bearer|cookie|set[_-]cookie"
)
_SECRET_KEY = re.compile(rf"^({_SECRET_NAMES})$", re.IGNORECASE)
# Credentials inside free text: provider keys, bearer/basic auth headers, and `key: value` pairs
# (JSON, query strings, headers) whose key names a credential. Separate patterns with literal prefixes
# keep this cheap; the lookahead lets the pair pattern skip most positions at once.
_PROVIDER_KEY = re.compile(r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}")
_AUTH_HEADER = re.compile(r"(?:Bearer|Basic)\s+[A-Za-z0-9._~+/\-]{8,}=*", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    rf"""(?P<key>\b(?=[apsctbxr])(?:{_SECRET_NAMES})["']?\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s"',;&}}]+)""",
    re.IGNORECASE,
)
# Cheap pre-check: most content holds none of these, and then no pattern needs to run.
_HINTS = ("sk-", "bearer", "basic", "key", "auth", "pass", "secret", "token", "cookie")
_REPR_LIMIT = 2_000


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    return _SECRET_KEY.match(key) is not None


def _redact_pair(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match['key']}{quote}{REDACTED}{quote}"


def scrub_text(text: str) -> str:
    if not _needs_scrubbing(text):
        return text
    text = _AUTH_HEADER.sub(REDACTED, _PROVIDER_KEY.sub(REDACTED, text))
    if ":" in text or "=" in text:
        text = _SECRET_PAIR.sub(_redact_pair, text)
    return text


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a user __repr__ may raise; content capture must not
        text = f"<{type(value).__qualname__} (repr failed: {type(exc).__name__})>"
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "…"


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of `value` with credentials masked; anything else becomes a safe repr."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return scrub_text(value)
    if depth > 20:
        return "…"
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _is_secret_key(str(k)) else _plain(v, depth + 1) for k, v in value.items()}
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
    return scrub_text(_safe_repr(value))


def _needs_scrubbing(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def to_json(value: Any, limit: int) -> tuple[str, bool]:
    """Serialise `value` for a span attribute. Returns (text, truncated)."""
    try:  # fast path: plain JSON data holding nothing that looks like a credential
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # other types, NaN, non-string keys: the careful walk below
        text = ""
    if not text or _needs_scrubbing(text):
        text = json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    if len(text) <= limit:
        return text, False
    return text[:limit] + f"…[truncated {len(text) - limit} chars]", True


def scrub_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """Headers and similar: credentials masked by key and by content."""
    return _plain(values)  # type: ignore[no-any-return]
