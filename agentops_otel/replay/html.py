"""The replay page: one self-contained HTML file (no network, no CDN) you can scrub step by step.

    from agentops_otel.replay.html import write_html
    write_html(session, "replay.html")

Data first, markup second: the page embeds `Session.to_dict()` as JSON in a
`<script type="application/json">` block that the page's script reads with JSON.parse, and the
script only ever sets text. A plain list of the steps, escaped here, is readable without JavaScript.
A Content-Security-Policy allows only the page's own script (by hash) and no requests at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from .. import semconv as sc
from .._format import usd
from ..model import Session

_ASSETS = Path(__file__).parent / "assets"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Inside <script> only "</" (and "<!--") can end or disturb the block; escaping every <, > and & as
# \uXXXX keeps the JSON identical for JSON.parse. U+2028/9 are escaped for old JavaScript parsers.
_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@cache
def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


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


def embed_json(data: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError:  # NaN or Infinity somewhere: rare, so only then walk the whole tree
        text = json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JSON_ESCAPES)


# Content attributes the page shows decoded as a step's Input and Output; kept once, not twice.
_CONTENT_ATTRIBUTES = (
    (sc.GEN_AI_INPUT_MESSAGES, "params"),
    (sc.GEN_AI_OUTPUT_MESSAGES, "returns"),
    (sc.GEN_AI_TOOL_CALL_ARGUMENTS, "params"),
    (sc.GEN_AI_TOOL_CALL_RESULT, "returns"),
    (sc.AGENTOPS_STEP_PARAMS, "params"),
    (sc.AGENTOPS_STEP_RETURNS, "returns"),
)


def page_data(session: Session, backend_url: str | None = None) -> dict[str, Any]:
    """What the page's script reads: `Session.to_dict()`, minus content it would show twice."""
    data = session.to_dict()
    for step in data["steps"]:
        attributes = step["attributes"]
        for key, shown_as in _CONTENT_ATTRIBUTES:
            if key in attributes and step[shown_as] is not None:
                del attributes[key]
    data["backend_url"] = backend_url
    return data


def fingerprint(session: Session) -> str:
    """Changes whenever the session does (more spans, or it ended): lets a written page be reused."""
    return f"{session.trace_id}:{len(session.spans)}:{session.root.end_ns or 0}"


def _fallback(session: Session) -> str:
    e = html.escape
    cost = usd(session.cost)
    duration = "running" if session.duration is None else f"{session.duration:.3f}s"
    lines = [
        f"<h1>Session {e(session.session_id)}</h1>",
        f"<p>Status: {e(session.end_state or 'Open')} | Duration: {duration} | Cost: {cost} | "
        f"LLM calls: {session.llm_calls} | Service: {e(session.service or '-')}</p>",
        "<p>Turn on JavaScript for the scrubbable timeline.</p>",
        "<ol>",
    ]
    failing = session.failing_step
    for number, step in enumerate(session.steps, start=1):
        error = f" - error: {e(str(step.error))}" if step.error else ""
        marker = " &lt;- caused the failure" if step is failing else ""
        css = ' class="failed"' if step.error else ""
        lines.append(
            f'<li id="fallback-step-{number}"{css}>+{step.offset_ns / 1e9:.3f}s '
            f"[{e(step.kind)}] {e(step.name)}{error}{marker}</li>"
        )
    lines.append("</ol>")
    return "\n".join(lines)


def render_html(session: Session, *, backend_url: str | None = None) -> str:
    """The replay page of `session` as one HTML string; pure: everything it shows comes in as arguments.

    `backend_url` links the header to the session in another UI (see `agentops_otel._links`).
    """
    script = _asset("replay.js")
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    parts = {
        "csp": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'",
        "fingerprint": html.escape(fingerprint(session)),
        "title": html.escape(f"Replay: {session.name}"),
        "style": _asset("replay.css"),
        "fallback": _fallback(session),
        "data": embed_json(page_data(session, backend_url)),
        "script": script,
    }
    # One pass, so text inside the parts is never taken for a placeholder.
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _asset("replay.html"))


def write_html(session: Session, path: str | os.PathLike[str], *, backend_url: str | None = None) -> Path:
    """Write the replay page to `path` (parent folders are created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(session, backend_url=backend_url), encoding="utf-8")
    return target


__all__ = ["render_html", "write_html"]
