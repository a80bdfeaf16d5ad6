"""The terminal timeline: one line per step, offsets from the session start, the failing step marked.

    Session: 3f2a...c1 | Duration: 4.2s | Cost: $0.0031 | Status: Fail
    00:00.000  LLM Call (gpt-4o)  Input: "I was charged twice..."  Output: "billing"  [1.89s | 120 in/4 out | $0.0003]
    00:01.890  Action: fetch_customer_data  Input: customer_id=None  [0.5ms]
               Error: ValueError: customer_id cannot be None   <- caused the failure
    00:01.893  Session ended: Fail (ValueError: customer_id cannot be None)
               Why it failed: Step 2 (action fetch_customer_data) raised ValueError: ...
                 customer_id=None
                 <- chosen by LLM call #1 (tool call fetch_customer_data)

An error the agent dealt with reads "Handled error", in yellow, and is never the cause.

Lines are built as styled segments first; plain text joins them, colour renders them with rich
(imported only then). Content is untrusted: control characters are shown escaped, never sent to the
terminal, and rich markup in it is never interpreted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .. import semconv as sc
from .._format import usd
from ..model import Session, Step

Segment = tuple[str, str | None]  # (text, rich style)
Line = list[Segment]

_OFFSET_WIDTH = 9  # "mm:ss.mmm"
_GAP = "  "
_MIN_EXCERPT = 12
_ROOMY_EXCERPT = 20  # below this per excerpt, excerpts get a line of their own
_FAILURE_MARK = "   <- caused the failure"
_KIND_LABELS = {
    "tool": "Tool",
    "action": "Action",
    "agent": "Agent",
    "workflow": "Workflow",
    "retriever": "Retriever",
    "guardrail": "Guardrail",
    "error": "Error",
}
_KIND_STYLES = {"llm": "magenta", "tool": "cyan", "action": "blue", "agent": "yellow", "error": "red"}
_STATE_STYLES = {
    "Success": "bold green",
    "Fail": "bold red",
    "Indeterminate": "bold yellow",
    "Crashed": "bold red",
    "open": "bold cyan",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def render_timeline(session: Session, *, color: bool = False, width: int = 100) -> str:
    """The session as text lines no wider than `width`; ANSI colour when `color`."""
    width = max(width, 40)
    lines = _header(session, width)
    failing = session.failing_step
    top = min((step.depth for step in session.steps), default=1)  # 0 when a foreign root is a step too
    for step in session.steps:
        lines.extend(_step_line(step, width, top))
        if step.error is not None:
            lines.extend(_error_line(step, width, top, caused_failure=failing is not None and step is failing))
    lines.append(_end_line(session, width))
    lines.extend(_failure_lines(session, width))
    return _to_ansi(lines) if color else "\n".join("".join(text for text, _ in line) for line in lines)


# Lines


def _header(session: Session, width: int) -> list[Line]:
    """One line, or two on a narrow terminal, so the status is never cut off."""
    status = session.end_state or "open"
    name: Line = [("Session: ", "bold"), (_clean(session.session_id), "bold")]
    facts: Line = [
        (f"Duration: {'never ended' if session.crash else _duration(session.root.duration_ns)}", None),
        (f" | Cost: {_session_cost(session)}", None),
        (" | Status: ", None),
        (status, _STATE_STYLES.get(status)),
    ]
    if _length(name) + 3 + _length(facts) <= width:
        return [[*name, (" | ", None), *facts]]
    return [_fit(name, width), _fit(facts, width)]


def _step_line(step: Step, width: int, top: int) -> list[Line]:
    """The step's line; its excerpts move to a second line when the first has no room for them."""
    indent = _GAP + "  " * (step.depth - top)
    prefix: Line = [
        (_offset(step.offset_ns), "dim"),
        (indent, None),
        (_label(step), f"bold {_KIND_STYLES[step.kind]}" if step.kind in _KIND_STYLES else "bold"),
    ]
    metrics = _metrics(step)
    tail: Line = [(f"{_GAP}[{metrics}]", "dim")] if metrics else []
    excerpts = [(name, text) for name, text in _excerpts(step) if text]
    labels = sum(len(f"{_GAP}{name}: ") for name, _ in excerpts)
    room = width - _length(prefix) - _length(tail) - labels
    if room >= _ROOMY_EXCERPT * len(excerpts):
        return [_fit(prefix + _excerpt_segments(excerpts, room) + tail, width)]
    below: Line = [(" " * (_OFFSET_WIDTH + len(indent) + 2), None)]
    room = width - _length(below) - labels + len(_GAP)
    return [_fit(prefix + tail, width), _fit(below + _excerpt_segments(excerpts, room, first_gap=""), width)]


def _excerpt_segments(excerpts: list[tuple[str, str]], room: int, *, first_gap: str = _GAP) -> Line:
    line: Line = []
    budgets = _share(room, [len(t) for _, t in excerpts])
    for i, ((name, text), budget) in enumerate(zip(excerpts, budgets, strict=True)):
        line += [(f"{first_gap if i == 0 else _GAP}{name}: ", "dim"), (_shorten(text, budget), None)]
    return line


def _error_line(step: Step, width: int, top: int, *, caused_failure: bool) -> list[Line]:
    """The step's error; one the agent handled reads "Handled error", in yellow, never the cause."""
    indent = " " * _OFFSET_WIDTH + _GAP + "  " * (step.depth - top)
    if step.handled and not caused_failure:
        room = width - len(indent) - len("Handled error: ")
        text = _shorten(_clean(str(step.error)), max(room, _MIN_EXCERPT))
        return [_fit([(indent, None), ("Handled error: ", "bold yellow"), (text, "yellow")], width)]
    mark: Line = [(_FAILURE_MARK, "bold red")] if caused_failure else []
    room = width - len(indent) - len("Error: ") - _length(mark)
    if room < _MIN_EXCERPT and mark:  # too narrow for both: the mark goes on a line of its own
        return [
            *_error_line(step, width, top, caused_failure=False),
            [(indent, None), (_FAILURE_MARK.strip(), "bold red")],
        ]
    error = [(indent, None), ("Error: ", "bold red"), (_shorten(_clean(str(step.error)), room), "red"), *mark]
    return [_fit(error, width)]


def _end_line(session: Session, width: int) -> Line:
    last = max((s.offset_ns for s in session.steps), default=0)
    if session.is_open and session.crash is None:
        return [(_offset(last), "dim"), (_GAP + "Session still open", _STATE_STYLES["open"])]
    state = session.end_state or "Indeterminate"
    reason = session.end_state_reason
    line: Line = [
        (_offset(last if session.is_open else session.root.duration_ns or 0), "dim"),
        (_GAP + ("Session never ended: " if session.is_open else "Session ended: "), None),
        (state, _STATE_STYLES.get(state)),
    ]
    if reason:
        room = width - _length(line) - 3
        line.append((f" ({_shorten(_clean(reason), room)})", None))
    return _fit(line, width)


def _failure_lines(session: Session, width: int) -> list[Line]:
    """Why the session failed: which step (or none, and why), then where its argument came from."""
    failure = session.failure
    if failure is None:
        return []
    indent = " " * _OFFSET_WIDTH + _GAP
    lines = [_fit([(indent, None), ("Why it failed: ", "bold red"), (_clean(failure.summary), None)], width)]
    for i, link in enumerate(failure.cause_chain):
        arrow = "  " if i == 0 else "  <- "
        lines.append(_fit([(indent + arrow, "dim"), (_clean(link.text), "red" if i == 0 else None)], width))
    if failure.handled:
        names = ", ".join(_clean(step.name) for step in failure.handled)
        lines.append(
            _fit([(indent, None), (f"Handled on the way ({len(failure.handled)}): ", "yellow"), (names, None)], width)
        )
    return lines


# Pieces


def _label(step: Step) -> str:
    name = _clean(step.name)
    if step.kind == "llm":  # the model asked for, as the user wrote it; the response model is in --json
        model = step.record.attributes.get(sc.GEN_AI_REQUEST_MODEL) or step.model or step.name
        return f"LLM Call ({_clean(str(model))})"
    if step.kind in _KIND_LABELS:
        return f"{_KIND_LABELS[step.kind]}: {name}"
    return name


def _excerpts(step: Step) -> list[tuple[str, str]]:
    if step.kind == "llm":
        return [("Input", _message_text(step.params, last=True)), ("Output", _message_text(step.returns, last=False))]
    if step.kind == "error":
        details = step.record.attributes.get(sc.AGENTOPS_ERROR_DETAILS)
        return [("Details", _clean(str(details)) if details else "")]
    return [("Input", _arguments(step.params)), ("Output", _value(step.returns) if step.returns is not None else "")]


def _metrics(step: Step) -> str:
    parts = [_duration(step.record.duration_ns)]
    if step.kind == "llm":
        usage = step.usage
        if usage.input_tokens or usage.output_tokens:
            parts.append(f"{usage.input_tokens} in/{usage.output_tokens} out")
        parts.append(usd(step.cost) if step.priced and step.cost is not None else "cost unknown")
    return " | ".join(parts)


def _message_text(messages: Any, *, last: bool) -> str:
    """The last (input) or first (output) message, in upstream or OpenAI message shapes.

    The last input message is what the model just saw: the user's words on the first call, a tool's
    result inside an agent loop.
    """
    if messages is None:
        return ""
    if isinstance(messages, str):
        return _quoted(messages)
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return _value(messages)
    if not messages:
        return ""
    message = messages[-1] if last else messages[0]
    content = message.get("parts", message.get("content"))
    texts: list[str] = ["tool result:"] if message.get("role") == "tool" else []
    if isinstance(content, str):
        return " ".join([*texts, _json_or_quoted(content) if texts else _quoted(content)])
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            texts.append(_value(part))
        elif part.get("type") == "text" or "text" in part:
            texts.append(_quoted(str(part.get("content", part.get("text", "")))))
        elif part.get("type") == "tool_call":
            texts.append(f"{_clean(str(part.get('name', '?')))}({_arguments(part.get('arguments'))})")
        elif part.get("type") == "tool_call_response":
            response = part.get("response")
            texts.append(_json_or_quoted(response) if isinstance(response, str) else _value(response))
        else:
            texts.append(f"[{_clean(str(part.get('type', 'part')))}]")
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):  # OpenAI's own message shape
        for call in tool_calls:
            function = call.get("function", {}) if isinstance(call, dict) else {}
            texts.append(f"{_clean(str(function.get('name', '?')))}({_clean(str(function.get('arguments', '')))})")
    return " ".join(texts) if texts else _value(content)


def _json_or_quoted(text: str) -> str:
    """Tool results often arrive as JSON text: show the value, else the quoted text."""
    try:
        return _value(json.loads(text))
    except ValueError:
        return _quoted(text)


def _arguments(params: Any) -> str:
    """Keyword arguments as `name=value, ...`, as a Python call would read."""
    if isinstance(params, dict):
        return ", ".join(f"{_clean(str(k))}={_value(v)}" for k, v in params.items())
    return "" if params is None else _value(params)


def _value(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, int | float):
        return repr(value)
    return _clean(json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str))


def _quoted(text: str) -> str:
    return '"' + _clean(text) + '"'


def _clean(text: str) -> str:
    """One line, no control characters: escapes stay visible and inert on a terminal."""
    text = _SPACES.sub(" ", text).strip()
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _shorten(text: str, budget: int) -> str:
    budget = max(budget, _MIN_EXCERPT)
    if len(text) <= budget:
        return text
    if text.endswith('"') and text.startswith('"'):
        return text[: budget - 4] + '..."'
    return text[: budget - 3] + "..."


def _share(room: int, wants: list[int]) -> list[int]:
    """Split `room` between excerpts: short ones take what they need, long ones share the rest."""
    budgets = [0] * len(wants)
    left, pending = room, sorted(range(len(wants)), key=lambda i: wants[i])
    while pending:
        fair = left // len(pending)
        i = pending.pop(0)
        budgets[i] = min(wants[i], max(fair, _MIN_EXCERPT))
        left -= budgets[i]
    return budgets


def _offset(ns: int) -> str:
    sign = "-" if ns < 0 else ""
    ms = abs(ns) // 1_000_000
    return f"{sign}{ms // 60_000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _duration(ns: int | None) -> str:
    if ns is None:
        return "running"
    if ns < 100_000:
        return f"{ns / 1e3:.0f}us"
    if ns < 10_000_000:
        return f"{ns / 1e6:.1f}ms"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.0f}ms"
    if ns < 60_000_000_000:
        return f"{ns / 1e9:.2f}s"
    seconds = ns // 1_000_000_000
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _session_cost(session: Session) -> str:
    if session.cost is not None:
        return usd(session.cost)
    lower = session.cost_lower_bound
    return f"unknown (>= {usd(lower)})" if lower else "unknown"


def _length(line: Line) -> int:
    return sum(len(text) for text, _ in line)


def _fit(line: Line, width: int) -> Line:
    """Crop a line to `width`, marking the cut."""
    if _length(line) <= width:
        return line
    fitted: Line = []
    left = width - 3
    for text, style in line:
        if len(text) >= left:
            fitted.append((text[:left] + "...", style))
            break
        fitted.append((text, style))
        left -= len(text)
    return fitted


def _to_ansi(lines: list[Line]) -> str:
    # rich's styles give the escape codes; its Console layout is skipped, as the lines already fit
    # (and printing 10,000 lines through it takes seconds).
    from functools import cache

    from rich.color import ColorSystem
    from rich.style import Style

    @cache
    def parsed(style: str) -> Style:
        return Style.parse(style)

    return "\n".join(
        "".join(
            parsed(style).render(text, color_system=ColorSystem.STANDARD) if style else text for text, style in line
        )
        for line in lines
    )
