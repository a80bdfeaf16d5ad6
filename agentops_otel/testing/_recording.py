"""What the pytest plugin records per test: the test's own session and every session started meanwhile.

Imported lazily by the plugin (it needs OpenTelemetry), only when recording is on.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from .. import _pipeline
from .. import semconv as sc
from ..capture import SessionHandle, start_session
from ..capture._lifecycle import ensure_started
from ..model import Session, build_session


class SessionWatcher(SpanProcessor):
    """Notes the trace id of every session root started while a test runs, in whatever thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: list[str] | None = None

    def begin(self) -> list[str]:
        with self._lock:
            self._current = []
            return self._current

    def finish(self) -> None:
        with self._lock:
            self._current = None

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        current = self._current
        if current is not None and span.attributes.get(sc.AGENTOPS_SPAN_TYPE) == sc.SpanTypeValues.SESSION:
            current.append(format(span.context.trace_id, "032x"))

    def on_end(self, span: ReadableSpan) -> None:
        pass


class ChildWatcher(SpanProcessor):
    """Notes the sessions started inside watched sessions (by parent session id, at any depth)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[str, list[str]] = {}  # session id -> the trace ids of its descendants

    def watch(self, session_id: str) -> list[str]:
        with self._lock:
            return self._watched.setdefault(session_id, [])

    def unwatch(self, session_id: str) -> None:
        with self._lock:
            found = self._watched.pop(session_id, [])
            # Descendants were watched under their own ids too (to catch their children).
            for key in [k for k, v in self._watched.items() if v is found]:
                del self._watched[key]

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        attributes = span.attributes
        if attributes.get(sc.AGENTOPS_SPAN_TYPE) != sc.SpanTypeValues.SESSION:
            return
        parent = attributes.get(sc.AGENTOPS_SESSION_PARENT_ID)
        with self._lock:
            found = self._watched.get(str(parent)) if parent else None
            if found is not None:
                found.append(format(span.context.trace_id, "032x"))
                self._watched[str(attributes.get(sc.SESSION_ID))] = found

    def on_end(self, span: ReadableSpan) -> None:
        pass


_child_watchers: weakref.WeakKeyDictionary[Any, ChildWatcher] = weakref.WeakKeyDictionary()
_child_lock = threading.Lock()


def child_watcher() -> ChildWatcher:
    """The watcher on the current pipeline's provider, added once per provider."""
    pipeline = ensure_started()
    with _child_lock:
        watcher = _child_watchers.get(pipeline.provider)
        if watcher is None:
            watcher = _child_watchers[pipeline.provider] = ChildWatcher()
            pipeline.provider.add_span_processor(watcher)
        return watcher


def recorded_session(trace_id: str) -> Session | None:
    """A session as the in-process recorder holds it now, or None when it holds nothing of it."""
    pipeline = _pipeline.current_pipeline()
    records = pipeline.recorder.records(trace_id) if pipeline is not None else []
    return build_session(records) if records else None


class RecordedSessions:
    """The sessions started during the current test (not the test's own), oldest first.

    A live view: each access reads the recorder again, so sessions that end later show their end.
    """

    def __init__(self, trace_ids: list[str]) -> None:
        self._trace_ids = trace_ids

    def _sessions(self) -> list[Session]:
        found = (recorded_session(t) for t in list(self._trace_ids))
        return [s for s in found if s is not None]

    def __iter__(self) -> Iterator[Session]:
        return iter(self._sessions())

    def __len__(self) -> int:
        return len(self._sessions())

    def __getitem__(self, index: int) -> Session:
        return self._sessions()[index]

    def __repr__(self) -> str:
        return f"<RecordedSessions {len(self._trace_ids)} session(s)>"


class TestRecording:
    """One test's session and the sessions started during it."""

    __test__ = False  # not a test class, whatever pytest's naming rules say

    def __init__(self, watcher: SessionWatcher, nodeid: str, run: tuple[int, int] | None = None) -> None:
        """`run` is (index, count) for one of the repeated runs of the test: tagged `run:<index>`."""
        self.started = watcher.begin()
        tags = [nodeid]
        attributes: dict[str, Any] = {sc.AGENTOPS_TEST_NODE_ID: nodeid}
        if run is not None:
            tags.append(f"run:{run[0]}")
            attributes.update({sc.AGENTOPS_RUN_INDEX: run[0], sc.AGENTOPS_RUN_COUNT: run[1]})
        self.handle: SessionHandle = start_session(tags=tags, name=nodeid, **attributes)
        # The test's own session is the harness, not one of "the sessions recorded during the test".
        own = self.handle.trace_id
        if own in self.started:
            self.started.remove(own)
        self.sessions = RecordedSessions(self.started)


def ensure_watcher(watchers: dict[int, SessionWatcher]) -> SessionWatcher:
    """The watcher on the current pipeline's provider, added once per provider."""
    pipeline = ensure_started()
    watcher = watchers.get(id(pipeline.provider))
    if watcher is None:
        watcher = watchers[id(pipeline.provider)] = SessionWatcher()
        pipeline.provider.add_span_processor(watcher)
    return watcher


def session_facts(session: Session, *, link: bool) -> dict[str, Any]:
    """Plain data about one session for the end-of-run summary (travels in reports, also over xdist)."""
    from ._describe import replay_link

    usage = session.usage
    return {
        "session_id": session.session_id,
        "name": session.name,
        "end_state": session.end_state,
        "url": replay_link(session) if link else None,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "llm_calls": session.llm_calls,
        "cost": session.cost_lower_bound,
        "cost_complete": session.cost_complete,
    }
