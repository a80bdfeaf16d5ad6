"""AgentOps' Session (0.3) and TraceContext (0.4) methods on our session handle.

    session = agentops.start_session(tags=["a"])      # or agentops.init(), agentops.start_trace(...)
    session.record(ActionEvent(action_type="x"))      # into this session, whichever is current
    session.patch(client.chat.completions.create)(model=..., messages=...)
    session.add_tags(["b"]); session.get_analytics(); session.session_url
    cost = session.end_session("Success")             # Decimal, as AgentOps 0.3 returned
    with agentops.start_trace("work") as trace: ...   # Success, or Fail with the exception as reason

Cloud-only facts map onto ours: `session_url` is the local replay link (or the configured backend's),
`get_analytics()` and `token_cost` come from the session's own recorded totals.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import _pipeline
from .. import semconv as sc

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span

    from ..model import Session


def _iso(ns: int | None) -> str | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat()


def _tag_list(tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]
    return [str(t) for t in tags]


def format_duration(seconds: float) -> str:
    """AgentOps' analytics spelling: `0.9s`, `2m 3.4s`, `1h 2m 3.4s`."""
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{int(hours)}h"] if hours >= 1 else []
    if minutes >= 1:
        parts.append(f"{int(minutes)}m")
    parts.append(f"{rest:.1f}s")
    return " ".join(parts)


def format_cost(cost: float) -> str:
    """AgentOps' analytics spelling: `0.00` for nothing, else six decimals."""
    return "0.00" if cost == 0 else f"{cost:.6f}"


class AgentOpsSession:
    """The AgentOps-compatible half of `SessionHandle`."""

    video: str | None = None

    if TYPE_CHECKING:  # provided by SessionHandle
        session_id: str
        tags: list[str]
        end_state: str | None
        auto_started: bool
        context: Context
        _start_ns: int
        _end_ns: int | None

        @property
        def span(self) -> Span: ...
        @property
        def ended(self) -> bool: ...
        @property
        def url(self) -> str: ...
        def get(self) -> Session: ...
        def close(self, end_state: Any = ..., end_state_reason: str | None = ...) -> None: ...
        def close_after(self, exc: BaseException | None) -> None: ...
        def recorded_cost(self) -> float: ...
        def activate(self) -> AbstractContextManager[Any]: ...
        def set_root_attributes(self, attributes: dict[str, Any]) -> bool: ...

    # AgentOps 0.3 Session attributes
    @property
    def is_running(self) -> bool:
        return not self.ended

    @property
    def init_timestamp(self) -> str:
        return _iso(self._start_ns) or ""

    @property
    def end_timestamp(self) -> str | None:
        return _iso(self._end_ns)

    @property
    def session_url(self) -> str:
        """The replay of this session: the configured backend's link, else a local page written on demand."""
        return self.url

    @property
    def token_cost(self) -> Decimal:
        """The session's cost so far in USD (the priced part when a model could not be priced)."""
        return Decimal(repr(self.get().cost_lower_bound))

    @property
    def event_counts(self) -> dict[str, int]:
        llms, tools, actions, errors = _counts(self.get())
        return {"llms": llms, "tools": tools, "actions": actions, "errors": errors, "apis": 0}

    # AgentOps 0.4 TraceContext attributes
    @property
    def trace_context(self) -> AgentOpsSession:
        return self

    @property
    def is_init_trace(self) -> bool:
        return self.auto_started

    @property
    def token(self) -> None:
        """AgentOps' context token; our sessions restore their context themselves when they end."""
        return None

    def end_session(
        self, end_state: Any = "Indeterminate", end_state_reason: str | None = None, video: str | None = None, **_: Any
    ) -> Decimal | None:
        """End this session; returns its cost as a Decimal (AgentOps 0.3), None if it had already ended.
        The cost is the total the cost processor kept on the root: O(1) whatever the session's size."""
        if self.ended:
            return None
        if video is not None:
            self.video = video
        self.close(end_state, end_state_reason)
        return Decimal(repr(self.recorded_cost()))

    def record(self, event: Any) -> Any:
        """Record an event in this session, whichever session is current; nothing once it has ended."""
        if self.ended:
            return event
        from ._events import record

        return record(event, context=self.context)

    def add_tags(self, tags: str | Sequence[str]) -> None:
        """Add tags (a string is one tag); those it has already are kept once."""
        self.set_tags([*self.tags, *_tag_list(tags)])

    def set_tags(self, tags: str | Sequence[str]) -> None:
        """Replace the session's tags."""
        redactor = _pipeline.current_settings().redactor  # an open root is stored as it is
        wanted = list(dict.fromkeys(redactor.text(t) for t in _tag_list(tags)))
        if self.set_root_attributes({sc.AGENTOPS_SESSION_TAGS: tuple(wanted)}):
            self.tags = wanted

    def get_analytics(self) -> dict[str, Any]:
        """AgentOps' six figures, from what this session recorded."""
        session = self.get()
        llms, tools, actions, errors = _counts(session)
        return {
            "LLM calls": llms,
            "Tool calls": tools,
            "Actions": actions,
            "Errors": errors,
            "Duration": format_duration(session.duration if session.duration is not None else _open_for(session)),
            "Cost": format_cost(session.cost_lower_bound),
        }

    def patch(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """`func` recorded into this session: `session.patch(client.chat.completions.create)(...)`."""

        @functools.wraps(func)
        def patched(*args: Any, **kwargs: Any) -> Any:
            with self.activate():
                result = func(*args, **kwargs)
            if inspect.isawaitable(result):  # an async client: the call happens when awaited
                return self._awaited_here(result)
            return result

        return patched

    async def _awaited_here(self, awaitable: Any) -> Any:
        with self.activate():
            return await awaitable

    def create_agent(self, name: str, agent_id: str | None = None) -> str:
        """Record an agent's creation (`create_agent {name}`) in this session; returns its id."""
        from ._agents import record_agent_created

        with self.activate():
            return record_agent_created(name, agent_id)

    def set_video(self, video: str) -> None:
        self.video = video

    # `with start_trace(...) as trace:` and `with existing_trace:`
    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.close_after(exc)

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)


def _counts(session: Session) -> tuple[int, int, int, int]:
    """LLM calls, tool calls, actions and errors, as AgentOps counts its events."""
    return len(session.llm_events), len(session.tool_events), len(session.action_events), len(session.error_events)


def _open_for(session: Session) -> float:
    return max(0.0, datetime.now(tz=UTC).timestamp() - session.root.start_ns / 1e9)
