"""The replay page without JavaScript: the header with the end state and its reason, and every step
nested under its parent with its input, output and error, at the same `#step-N` anchors.

It sits in <noscript> elements: a browser running scripts never builds it (a 10,000-step page stays
fast), one that does not shows it as it is. The steps come in chunks of about `CHUNK` characters, each
its own <noscript>, so that a browser reading the page as text (scripts on) tokenizes it in short
tasks; nesting is the steps' order and their indentation (`--d`), so a chunk can end after any step.
Everything is escaped here. A chat input shows
only the messages the previous LLM call did not already send. The page's data holds every input and
output too, so past `CONTENT_BUDGET` characters of them (sessions of thousands of steps) the plain
list keeps each step's line and error, the failing step's content, and says where it stopped. Past
`STEP_BUDGET` steps it lists only the failing step: 100,000 step lines (17 MB of <noscript> text that
Chromium tokenizes even with scripts on) held the page's ready mark back by 0.6 s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from typing import Any

from .._format import usd
from ..model import Session, Step
from ._page_data import is_chat
from ._text import duration_text, failure_note, json_in_string, offset_text, state_class, tokens_text
from ._traceback import fold_traceback

CONTENT_BUDGET = 1_200_000
STEP_BUDGET = 20_000
CHUNK = 64 * 1024
_MAX_INDENT = 40  # deeper steps are indented no further (their number of levels is shown)
_KIND_LABELS = {"llm": "LLM", "tool": "Tool", "action": "Action", "agent": "Agent", "error": "Error"}


def _text(value: str) -> str:
    return escape(value, quote=False)


def _json_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 400 else json.dumps(value, ensure_ascii=False, default=str, indent=1)


def _value(value: Any) -> str:
    if isinstance(value, str):
        parsed = json_in_string(value)
        return _text(value if parsed is None else _json_text(parsed))
    return _text(_json_text(value))


def _part(part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("content"), str):
        return f"<pre>{_text(part['content'])}</pre>"
    if isinstance(part, dict) and part.get("type") == "tool_call":
        return f"<pre>tool call {_text(str(part.get('name', '')))}({_text(_json_text(part.get('arguments')))})</pre>"
    if isinstance(part, dict) and part.get("type") == "tool_call_response":
        return f"<pre>tool result: {_value(part.get('response', part.get('result')))}</pre>"
    return f"<pre>{_value(part)}</pre>"


def _message(message: dict[str, Any]) -> str:
    role = _text(str(message.get("role")) + (f" ({message['name']})" if message.get("name") else ""))
    if isinstance(message.get("content"), str):
        body = f"<pre>{_text(message['content'])}</pre>"
    elif isinstance(message.get("parts"), list):
        body = "".join(_part(p) for p in message["parts"])
    elif "content" in message:
        body = f"<pre>{_value(message['content'])}</pre>"
    else:
        body = ""
    return f'<div class="m"><b>{role}</b>{body}</div>'


def _key(message: Any) -> str:
    return repr(message)


class _Chats:
    """The previous LLM call's input, to tell which messages a call adds to its history."""

    def __init__(self) -> None:
        self.number = 0
        self.keys: set[str] = set()

    def content(self, number: int, value: Any) -> str:
        keys = [_key(m) for m in value]
        same = 0
        while same < len(keys) and keys[same] in self.keys:
            same += 1
        note = ""
        if same > 1:
            link = f'<a href="#step-{self.number}">step {self.number}</a>'
            note = f'<p class="q">{same} earlier messages, sent in {link} too.</p>'
        else:
            same = 0
        self.number, self.keys = number, set(keys)
        return note + "".join(_message(m) for m in value[same:])


def _content(value: Any, chats: _Chats | None, number: int) -> str:
    if value is None:
        return '<span class="q">none recorded</span>'
    if not is_chat(value):
        return f"<pre>{_value(value)}</pre>"
    if chats is None:
        return "".join(_message(m) for m in value)
    return chats.content(number, value)


def _traceback(stack: str) -> str:
    parts = []
    for text, ours in fold_traceback(stack):
        if ours:
            frames = str(text).count('File "')
            label = f"{frames} frame{'s' if frames != 1 else ''} inside agentops-otel\u2019s wrappers"
            parts.append(f"<details><summary>{label}</summary><pre>{_text(str(text))}</pre></details>")
        else:
            parts.append(f"<pre>{_text(str(text))}</pre>")
    return "".join(parts)


def _line(number: int, step: Step, level: int) -> str:
    facts = [_KIND_LABELS.get(step.kind, step.kind), f"+{offset_text(step.offset_ns)}", duration_text(step.duration)]
    if step.kind == "llm":
        facts.append(tokens_text(step.usage.input_tokens, step.usage.output_tokens))
        facts.append(usd(step.cost) if step.cost is not None or step.priced else "cost unknown")
    kind = step.kind if step.kind in _KIND_LABELS else "other"
    if level > _MAX_INDENT:
        facts.append(f"{level} levels deep")
    css = f"s {kind}" + (" failed" if step.error else "")
    meta = _text(" \u00b7 ".join(facts))
    indent = f' style="--d:{min(level, _MAX_INDENT)}"' if level else ""
    return (
        f'<div id="step-{number}" class="{css}"{indent}><p><small>{number}</small> <b>{_text(step.name)}</b> '
        f"<small>{meta}</small></p>"
    )


def _error(step: Step, failing: Step | None) -> str:
    assert step.error is not None
    cause = '<p class="cause">\u2190 this step caused the failure</p>' if step is failing else ""
    if step.handled and step is not failing:
        cause = '<p class="handled-note">Handled: the agent dealt with this error</p>'
    stack = _traceback(step.error.stacktrace) if step.error.stacktrace else ""
    return f'<div class="er">{cause}<b>{_text(str(step.error))}</b>{stack}</div>'


class _Steps:
    """Each step's piece of the list, and how much content the page has shown so far."""

    def __init__(self, session: Session) -> None:
        self.failing = session.failing_step
        self.chats = _Chats()
        self.spent = 0
        self.stopped_at: int | None = None
        self.steps_cut = 0  # steps past STEP_BUDGET, listed with JavaScript only

    def item(self, number: int, step: Step, level: int) -> str:
        parts = [_line(number, step, level)]
        is_chat_input = step.kind == "llm" and is_chat(step.params)
        if self.spent <= CONTENT_BUDGET or step is self.failing:
            chats = self.chats if is_chat_input else None
            io = (
                f'<div class="io"><i>Input</i>{_content(step.params, chats, number)}</div>'
                f'<div class="io"><i>Output</i>{_content(step.returns, None, number)}</div>'
            )
            self.spent += len(io)
            parts.append(io)
        elif self.stopped_at is None:
            self.stopped_at = number
        if step.error:
            parts.append(_error(step, self.failing))
        parts.append("</div>")
        return "".join(parts)


def _facts(session: Session) -> str:
    usage = session.usage
    rows = [
        ("Start", session.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Duration", duration_text(session.duration)),
        ("Cost", usd(session.cost)),
        ("Tokens in/out", f"{usage.input_tokens} / {usage.output_tokens}"),
        ("LLM calls", str(session.llm_calls)),
        ("Steps", str(len(session.steps))),
        ("Service", session.service or "\u2013"),
    ]
    cells = "".join(f"<div><dt>{_text(k)}</dt><dd>{_text(v)}</dd></div>" for k, v in rows)
    if session.tags:
        tags = "".join(f'<span class="tag">{_text(t)}</span>' for t in session.tags)
        cells += f"<div><dt>Tags</dt><dd>{tags}</dd></div>"
    return f"<dl>{cells}</dl>"


def _header(session: Session) -> str:
    failing = session.failing_step
    number = next((i + 1 for i, s in enumerate(session.steps) if s is failing), None)
    note = _text(failure_note(session, number))
    if number is not None:
        note = f'<a href="#step-{number}">{note}</a>'
    reason = session.end_state_reason
    return (
        f"<header><h1>{_text(session.name)}</h1>"
        f'<p><span class="badge {state_class(session.end_state)}">{_text(session.end_state or "open")}</span>'
        + (f" {_text(reason)}" if reason else "")
        + f'</p><p class="failure">{note}</p>'
        f"<p>Session <code>{_text(session.session_id)}</code> \u00b7 trace <code>{_text(session.trace_id)}</code></p>"
        f"{_facts(session)}</header>"
    )


def _tree_order(session: Session) -> Iterator[tuple[int, int]]:
    """(step index, nesting level) depth first, children in start order; each step once, even in a
    corrupt trace whose parent ids form a cycle. Iterative: an agent may nest thousands deep."""
    steps = session.steps
    index_of = {s.span_id: i for i, s in enumerate(steps)}
    children: list[list[int]] = [[] for _ in steps]
    roots = []
    for i, s in enumerate(steps):
        parent = index_of.get(s.parent_span_id) if s.parent_span_id else None
        if parent is None or parent == i:
            roots.append(i)
        else:
            children[parent].append(i)
    seen = [False] * len(steps)
    for top in [*roots, *range(len(steps))]:
        pending = [(top, 0)]
        while pending:
            index, level = pending.pop()
            if seen[index]:
                continue
            seen[index] = True
            yield index, level
            pending.extend((child, level + 1) for child in reversed(children[index]))


def _chunks(session: Session, items: _Steps) -> Iterator[str]:
    chunk: list[str] = []
    size = 0
    for listed, (index, level) in enumerate(_tree_order(session)):
        step = session.steps[index]
        if listed >= STEP_BUDGET and step is not items.failing:
            items.steps_cut += 1
            continue
        item = items.item(index + 1, step, level)
        chunk.append(item)
        size += len(item)
        if size >= CHUNK:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


def render_fallback(session: Session) -> str:
    """The no-JavaScript page: <noscript> elements, the header first, then the steps in chunks."""
    items = _Steps(session)
    chunks = list(_chunks(session, items)) if session.steps else ['<p class="q">No steps recorded.</p>']
    note = "JavaScript is off, so this is the plain list of steps."
    if items.stopped_at is not None:
        note += (
            f" From step {items.stopped_at} on, inputs and outputs are shown with JavaScript only (and for the"
            " failing step): the page holds them once, in its data."
        )
    if items.steps_cut:
        note += (
            f" The last {items.steps_cut:,} of {len(session.steps):,} steps are listed with JavaScript only (but for"
            " the failing step); `agentops-otel replay ID` prints every one."
        )
    head = f'<noscript><div id="fallback">{_header(session)}<p class="q">{_text(note)}</p></div></noscript>'
    return head + "".join(f'<noscript><div class="steps">{c}</div></noscript>' for c in chunks)


__all__ = ["CONTENT_BUDGET", "STEP_BUDGET", "render_fallback"]
