"""The cause behind a failure: where the failing step's argument came from.

    customer_id=None <- chosen by LLM call #3 (tool call fetch_customer_data) <- its input had no customer id

The failing step's suspect argument (named in its error message, else a None, else the first with an
origin) is followed back through the steps that ended before it: the model's tool call the step
answers (by `gen_ai.tool.call.id`, else by tool name) or any earlier output holding the value (tool
results, action returns, the model's tool-call arguments and messages). From an LLM call the trail
goes on into what the call was given: a tool result in its input leads to that tool; a value absent
from its input was the model's own choice, and the chain says so. Where no step produced the value,
the chain says that too: nothing is guessed. Walks are iterative and bounded (values nest deep).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _kinds
from .. import semconv as sc
from ._steps import Step, decode_content

_decoded = decode_content  # JSON text held in an attribute: its value, else the text

_NODE_BUDGET = 200_000  # values looked at in all, so a session of 10,000 large steps stays quick
_MISSING = object()


@dataclass(frozen=True, slots=True)
class CauseLink:
    """One link of a cause chain: what it says, and the step it points at (None: nowhere to point)."""

    text: str
    step: Step | None = None
    number: int | None = None  # the step's position in the session, from 1 (the page's `#step-N`)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "span_id": self.step.span_id if self.step else None, "step": self.number}


class _Budget:
    def __init__(self) -> None:
        self.left = _NODE_BUDGET

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _walk(value: Any, budget: _Budget) -> Iterator[tuple[Any, Any]]:
    """(key or None, value) for every value inside `value`, JSON text decoded, without recursion."""
    pending: list[tuple[Any, Any]] = [(None, value)]
    while pending and budget.spend():
        key, item = pending.pop()
        if isinstance(item, str) and item[:1] in "[{":
            item = _decoded(item)
        yield key, item
        if isinstance(item, dict):
            pending.extend(reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            pending.extend((None, v) for v in reversed(item))


def _distinctive(value: Any) -> bool:
    """A value that means something when found elsewhere (not None, True, 0 or "a")."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return abs(value) >= 10
    if isinstance(value, str):
        return len(value.strip()) >= 3
    return bool(value)


def _holds(container: Any, name: str, value: Any, budget: _Budget) -> bool:
    """`container` has `name` set to `value` somewhere, or (a distinctive value) holds it anywhere."""
    loose = _distinctive(value)
    for key, item in _walk(container, budget):
        if key == name and item == value:
            return True
        if loose and (item == value or (isinstance(value, str) and isinstance(item, str) and value in item)):
            return True
    return False


def _words(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip()


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    if value is None:
        text = "None"
    return text if len(text) <= 60 else text[:57] + "..."


class _Session:
    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = steps
        self.number = {step.span_id: i + 1 for i, step in enumerate(steps)}
        self.budget = _Budget()
        self._ended = sorted(
            (s for s in steps if s.record.end_ns is not None), key=lambda s: s.record.end_ns or 0, reverse=True
        )

    def label(self, step: Step) -> str:
        number = self.number.get(step.span_id)
        if step.kind == _kinds.LLM:
            return f"LLM call #{number}"
        kind = step.kind if step.kind in _kinds.STEP_KINDS and step.kind != _kinds.OTHER else "step"
        return f"{kind} {step.name} #{number}"

    def link(self, text: str, step: Step | None) -> CauseLink:
        return CauseLink(text, step, self.number.get(step.span_id) if step else None)

    def before(self, step: Step) -> list[Step]:
        """The steps that ended before `step` started, nearest first (its own ancestors have not)."""
        start = step.record.start_ns
        return [s for s in self._ended if (s.record.end_ns or 0) <= start and s is not step]


def _tool_calls(step: Step) -> Iterator[tuple[Any, Any, Any]]:
    """(id, name, arguments) of each tool call in an LLM step's output (GenAI parts or OpenAI's shape)."""
    for _, item in _walk(step.returns, _Budget()):
        if not isinstance(item, dict):
            continue
        if item.get("type") == "tool_call":
            yield item.get("id"), item.get("name"), _decoded(item.get("arguments"))
        function = item.get("function")
        if isinstance(function, dict) and "name" in function:
            yield item.get("id"), function.get("name"), _decoded(function.get("arguments"))


def _tool_results(step: Step) -> Iterator[tuple[Any, Any]]:
    """(tool call id, result) of each tool result in an LLM step's input."""
    for _, item in _walk(step.params, _Budget()):
        if isinstance(item, dict):
            if item.get("type") == "tool_call_response":
                yield item.get("id"), item.get("response")
            elif item.get("role") == "tool" and "tool_call_id" in item:
                yield item.get("tool_call_id"), item.get("content")


def _answered_call(session: _Session, step: Step, name: str) -> tuple[Step, Any] | None:
    """The LLM step whose tool call `step` answers, and that call's arguments."""
    call_id = step.attributes.get(sc.GEN_AI_TOOL_CALL_ID)
    for earlier in session.before(step):
        if earlier.kind != _kinds.LLM:
            continue
        for found_id, tool, arguments in _tool_calls(earlier):
            if (call_id and found_id == call_id) or (not call_id and tool == step.name):
                return earlier, arguments
    return None


def _from_llm(session: _Session, llm: Step, name: str, value: Any, links: list[CauseLink]) -> None:
    """Follow `value` into what the LLM call was given: a tool's result, the prompt, or nothing."""
    for call_id, result in _tool_results(llm):
        if _holds(result, name, value, session.budget):
            for earlier in session.before(llm):
                if earlier.kind != _kinds.LLM and (
                    (call_id and earlier.attributes.get(sc.GEN_AI_TOOL_CALL_ID) == call_id)
                    or _holds(earlier.returns, name, value, session.budget)
                ):
                    links.append(session.link(f"from its input, returned by {session.label(earlier)}", earlier))
                    return
            links.append(session.link("from a tool result in its input that no step recorded", None))
            return
    if value is None:
        if _mentions(llm.params, name, session.budget):
            links.append(session.link(f"its input mentions {_words(name)} but gives none", llm))
        else:
            links.append(session.link(f"its input had no {_words(name)}", llm))
    elif _holds(llm.params, name, value, session.budget):
        links.append(session.link(f"given in its input ({_shown(value)})", llm))
    else:
        links.append(session.link(f"its input did not hold {_shown(value)}: the model chose it", llm))


def _mentions(messages: Any, name: str, budget: _Budget) -> bool:
    wanted = {name.lower(), _words(name).lower()}
    for key, item in _walk(messages, budget):
        if isinstance(key, str) and key.lower() in wanted:
            return True
        if isinstance(item, str) and any(w in item.lower() for w in wanted):
            return True
    return False


def _origin(session: _Session, step: Step, name: str, value: Any, links: list[CauseLink]) -> bool:
    """Add the links that say where `step`'s argument came from; False when no earlier step holds it."""
    if step.kind == _kinds.TOOL:
        answered = _answered_call(session, step, name)
        if answered is not None:
            llm, arguments = answered
            given = arguments.get(name, _MISSING) if isinstance(arguments, dict) else _MISSING
            tool = f"tool call {step.name}"
            if given is _MISSING:
                links.append(session.link(f"{session.label(llm)} ({tool}) gave no {name}", llm))
            else:
                links.append(session.link(f"chosen by {session.label(llm)} ({tool})", llm))
            _from_llm(session, llm, name, value if given is _MISSING else given, links)
            return True
    for earlier in session.before(step):
        if session.budget.left <= 0:
            break
        if earlier.kind == _kinds.LLM:
            for _, tool, arguments in _tool_calls(earlier):
                if _holds(arguments, name, value, session.budget):
                    links.append(session.link(f"chosen by {session.label(earlier)} (tool call {tool})", earlier))
                    _from_llm(session, earlier, name, value, links)
                    return True
            if _distinctive(value) and _holds(earlier.returns, name, value, session.budget):
                links.append(session.link(f"written by {session.label(earlier)} in its answer", earlier))
                _from_llm(session, earlier, name, value, links)
                return True
        elif earlier.returns is not None and _holds(earlier.returns, name, value, session.budget):
            links.append(session.link(f"returned by {session.label(earlier)}", earlier))
            return True
    return False


def _arguments(step: Step) -> dict[str, Any]:
    params = step.params
    if isinstance(params, dict):
        if set(params) == {"args", "kwargs"} and isinstance(params.get("kwargs"), dict):
            return dict(params["kwargs"])
        return params
    return {}


def _suspects(step: Step) -> list[tuple[str, Any]]:
    """Arguments in the order to look into: named in the error message, None, then as passed."""
    message = f"{step.error.message if step.error else ''}".lower()
    items = list(_arguments(step).items())

    def rank(item: tuple[int, tuple[str, Any]]) -> tuple[bool, bool, int]:
        position, (name, value) = item
        named = name.lower() in message or _words(name).lower() in message
        return (not named, value is not None, position)

    return [item for _, item in sorted(enumerate(items), key=rank)]


def cause_chain(steps: Sequence[Step], index: int) -> tuple[CauseLink, ...]:
    """Where the failing step's suspect argument came from, link by link (see the module docstring)."""
    session = _Session(steps)
    step = steps[index]
    if step.kind == _kinds.LLM:
        return (session.link("an LLM call failed: the provider's error, no argument to trace", step),)
    suspects = _suspects(step)
    if not suspects:
        return (session.link(f"{step.name} took no arguments: nothing to trace back", step),)
    for name, value in suspects:
        links = [session.link(f"{name}={_shown(value)}", step)]
        if _origin(session, step, name, value, links):
            return tuple(links)
    name, value = suspects[0]
    return (
        session.link(f"{name}={_shown(value)}", step),
        session.link("no earlier step's output holds it: it came from the agent's own code", None),
    )
