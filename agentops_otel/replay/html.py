"""The replay page: one self-contained HTML file (no network, no CDN) you can scrub step by step.

    from agentops_otel.replay.html import write_html
    write_html(session, "replay.html")

Data first, markup second: the page embeds the session as compact JSON (`_page_data`) in a
`<script type="application/json">` block that the page's script reads with JSON.parse, and the script
only ever sets text. The page without JavaScript (`_fallback`, inside <noscript>) shows every step with
its input, output and error, at the same `#step-N` anchors. A Content-Security-Policy allows only the
page's own script (by hash) and no requests at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ..model import Session
from ._fallback import render_fallback
from ._page_data import page_data

_ASSETS = Path(__file__).parent / "assets"
# replay_fail.js defines fail(error), which the others call; the whole runs inside one function.
_SCRIPTS = ("replay_fail.js", "replay_util.js", "replay_detail.js", "replay_waterfall.js", "replay_main.js")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Inside <script> only "</" (and "<!--") can end or disturb the block; escaping every <, > and & as
# \uXXXX keeps the JSON identical for JSON.parse. U+2028/9 are escaped for old JavaScript parsers.
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_NAV_SLOT = "{{nav}}"
PACK_OVER = 256 * 1024  # characters of step data above which the data block is deflated
PART = 300 * 1024  # characters of step columns per packed part
_VALUES_PER_PART = 1500


@cache
def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


@cache
def _script() -> str:
    """One script from the asset files, inside one function."""
    fail, *rest = (_asset(name) for name in _SCRIPTS)
    body = "\n".join(rest)
    return (
        f'(function () {{\n"use strict";\n{fail}try {{\n{body}\nstart();\n}} catch (error) {{ fail(error); }}\n}})();\n'
    )


@cache
def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_script().encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _plain(value: Any) -> Any:
    """JSON-safe data: JSON.parse rejects NaN and Infinity, and attributes may hold anything."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _dumps(data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError:  # NaN or Infinity somewhere: rare, so only then walk the whole tree
        return json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def embed_json(data: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = _dumps(data)
    for char, escaped in _JSON_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _parts(data: dict[str, Any]) -> list[str]:
    """The steps' columns and the values as JSON documents of about `PART` characters each, in order."""
    parts: list[str] = []
    pending: list[str] = []
    size = 0
    for name, column in data["steps"].items():
        text = f"{json.dumps(name)}:{_dumps(column)}"
        if pending and size + len(text) > PART:
            parts.append('{"steps":{' + ",".join(pending) + "}}")
            pending, size = [], 0
        pending.append(text)
        size += len(text)
    parts.append('{"shapes":' + _dumps(data["shapes"]) + ',"steps":{' + ",".join(pending) + "}}")
    values = data["values"]
    for start in range(0, len(values), _VALUES_PER_PART):
        parts.append('{"values":' + _dumps(values[start : start + _VALUES_PER_PART]) + "}")
    return parts


def data_block(data: dict[str, Any]) -> str:
    """The page's data block: `page_data` as JSON. For a big session the steps' columns and the values
    come as deflated, base64-encoded parts of about `PART` characters (together about a sixth of the
    size) that the page inflates with the browser's DecompressionStream and reads one per task, so the
    file stays self-contained and no task runs long."""
    parts = _parts(data)
    if sum(len(p) for p in parts) < PACK_OVER:
        return embed_json(data)
    packed = [base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii") for text in parts]
    head = {key: value for key, value in data.items() if key not in ("values", "shapes", "steps")}
    return embed_json({**head, "packed": {"encoding": "deflate", "parts": packed}})


def fingerprint(session: Session) -> str:
    """Changes whenever the session does (a span more, or one ended): lets a rendered page be reused."""
    latest = max((r.end_ns or 0 for r in session.spans), default=0)
    return f"{session.trace_id}:{len(session.spans)}:{session.root.end_ns or 0}:{latest}"


def nav_html(links: Sequence[tuple[str, str]]) -> str:
    """A bar of links above the page (the viewer's way back to its list and to the neighbours)."""
    if not links:
        return ""
    items = "".join(f'<a href="{html.escape(href)}">{html.escape(label)}</a>' for label, href in links)
    return f'<nav id="page-nav">{items}</nav>\n'


def render_parts(session: Session, *, backend_url: str | None = None) -> tuple[str, str]:
    """The page in two halves; a `nav_html` bar goes between them (a viewer caches the halves)."""
    parts = {
        "csp": _csp(),
        "fingerprint": html.escape(fingerprint(session)),
        "title": html.escape(f"Replay: {session.name}"),
        "style": _asset("replay.css"),
        "fallback": render_fallback(session),
        "data": data_block(page_data(session, backend_url)),
        "script": _script(),
    }
    # The template is cut where the bar goes, then each half filled in one pass, so text inside the
    # parts is never taken for a placeholder or for the cut.
    halves = _asset("replay.html").split(_NAV_SLOT)
    head, rest = (_PLACEHOLDER.sub(lambda m: parts[m.group(1)], half) for half in halves)
    return head, rest


def render_html(session: Session, *, backend_url: str | None = None, nav: Sequence[tuple[str, str]] = ()) -> str:
    """The replay page of `session` as one HTML string; pure: everything it shows comes in as arguments.

    `backend_url` links the header to the session in another UI (see `agentops_otel._links`); `nav`
    is (label, href) links shown above it.
    """
    head, rest = render_parts(session, backend_url=backend_url)
    return head + nav_html(nav) + rest


def write_html(session: Session, path: str | os.PathLike[str], *, backend_url: str | None = None) -> Path:
    """Write the replay page to `path` (parent folders are created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(session, backend_url=backend_url), encoding="utf-8")
    return target


__all__ = ["embed_json", "fingerprint", "nav_html", "page_data", "render_html", "render_parts", "write_html"]
