"""A Recording: the content of one session that playback needs, read from a Session or a small JSON file.

The file form (`agentops-otel export ID -o session.json`) holds each step's kind, name,
inputs, outputs, error and the LLM facts (provider, operation, models, response id, finish reasons,
usage) and nothing else: no resource, no headers, credentials scrubbed. Commit it beside a test.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import _pipeline
from .. import semconv as sc
from .._content import scrub_mapping
from ..errors import AgentOpsOtelError, ConfigurationError
from ..model import Session, Step, decode_content

FORMAT = "agentops-otel-recording"
VERSION = 1


class PlaybackError(AgentOpsOtelError):
    """A session cannot be played back (no content recorded, truncated content, unreadable file)."""


@dataclass(frozen=True)
class RecordedStep:
    """One step of the recorded trajectory. LLM steps carry the provider facts; others params/returns."""

    index: int  # 1-based position among the session's steps
    kind: str
    name: str
    params: Any = None
    returns: Any = None
    error: dict[str, str] | None = None
    provider: str | None = None
    operation: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    system_instructions: Any = None
    finish_reasons: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    start_ns: int | None = None  # from the session's start, to tell which calls ran concurrently
    end_ns: int | None = None
    tools: list[str] | None = None  # names of the tools offered to the model; None when not known
    parent: int | None = None  # index of the recorded step this one ran inside (a tool's own LLM calls, say)
    truncated: bool = False  # some content of this tool or action step was cut at the configured length

    @property
    def label(self) -> str:
        return f"step {self.index}, {self.kind} {self.name!r}"

    @property
    def has_content(self) -> bool:
        """LLM steps need their request messages, and an answer (output messages or an error)."""
        return isinstance(self.params, list) and (isinstance(self.returns, list) or self.error is not None)


@dataclass(frozen=True)
class Recording:
    session_id: str
    name: str
    end_state: str | None
    steps: tuple[RecordedStep, ...]

    @property
    def llm_steps(self) -> list[RecordedStep]:
        return [s for s in self.steps if s.kind == "llm"]

    @property
    def tool_steps(self) -> list[RecordedStep]:
        """The tool and action steps: what playback(tools=True) answers."""
        return [s for s in self.steps if s.kind in ("tool", "action")]

    def inside(self, step: RecordedStep) -> list[RecordedStep]:
        """The steps that ran inside `step`, at any depth."""
        by_index = {s.index: s for s in self.steps}

        def within(candidate: RecordedStep) -> bool:
            parent = candidate.parent
            while parent is not None:
                if parent == step.index:
                    return True
                parent = by_index[parent].parent if parent in by_index else None
            return False

        return [s for s in self.steps if within(s)]

    def to_dict(self) -> dict[str, Any]:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "session_id": self.session_id,
            "name": self.name,
            "end_state": self.end_state,
            "steps": [asdict(s) for s in self.steps],
        }
        return scrub_mapping(data, _pipeline.current_settings().redactor)  # credentials never leave in a file

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return target

    @classmethod
    def from_dict(cls, data: Any, origin: str = "recording") -> Recording:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PlaybackError(
                f"{origin} is not an agentops-otel recording (make one with `agentops-otel export ID -o FILE.json`)"
            )
        if data.get("version") != VERSION:
            raise PlaybackError(f"{origin} has recording version {data.get('version')!r}; this version reads {VERSION}")
        known = set(RecordedStep.__dataclass_fields__)
        try:
            steps = tuple(RecordedStep(**{k: v for k, v in s.items() if k in known}) for s in data["steps"])
            return cls(str(data["session_id"]), str(data.get("name") or ""), data.get("end_state"), steps)
        except (KeyError, TypeError, AttributeError) as exc:
            raise PlaybackError(f"{origin} is not a valid recording ({exc}); export it again") from exc

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Recording:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"cannot read recording {path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise PlaybackError(f"recording {path} is not valid JSON ({exc})") from exc
        return cls.from_dict(data, origin=f"recording {path}")

    @classmethod
    def from_session(cls, session: Session) -> Recording:
        llm_calls = _one_step_per_llm_call(session)
        kept = {s.span_id: i for i, s in enumerate(session.steps, start=1) if s.kind != "llm" or s.span_id in llm_calls}
        parents = {r.span_id: r.parent_span_id for r in session.spans}

        def enclosing(span_id: str) -> int | None:
            current = parents.get(span_id)
            while current is not None and current not in kept:
                current = parents.get(current)
            return None if current is None else kept[current]

        steps = tuple(
            replace(_recorded_step(i, s), parent=enclosing(s.span_id))
            for i, s in enumerate(session.steps, start=1)
            if s.span_id in kept
        )
        return cls(session.session_id, session.name, session.end_state, steps)


def _one_step_per_llm_call(session: Session) -> set[str]:
    """Span ids of the LLM steps that stand for one call each.

    One call can leave nested LLM spans (our instrumentation's, the client library's own, a
    framework's); the outermost LLM step and its LLM descendants are one call, represented by the
    first of them that holds the content.
    """
    parents = {r.span_id: r.parent_span_id for r in session.spans}
    llm = {s.span_id: s for s in session.steps if s.kind == "llm"}

    def outermost(span_id: str) -> str:
        top, current = span_id, parents.get(span_id)
        while current is not None:
            if current in llm:
                top = current
            current = parents.get(current)
        return top

    calls: dict[str, list[Step]] = {}
    for step in session.steps:
        if step.kind == "llm":
            calls.setdefault(outermost(step.span_id), []).append(step)
    chosen = set()
    for members in calls.values():
        with_content = [m for m in members if isinstance(m.params, list)]
        chosen.add((with_content or members)[0].span_id)
    return chosen


def _recorded_step(index: int, step: Step) -> RecordedStep:
    error = None if step.error is None else {"type": step.error.type, "message": step.error.message}
    duration = step.record.duration_ns
    end_ns = None if duration is None else step.offset_ns + duration
    if step.kind != "llm":
        return RecordedStep(
            index,
            step.kind,
            step.name,
            step.params,
            step.returns,
            error,
            start_ns=step.offset_ns,
            end_ns=end_ns,
            truncated=bool(step.attributes.get(sc.AGENTOPS_STEP_TRUNCATED)),
        )
    attrs = step.attributes
    reasons = attrs.get(sc.GEN_AI_RESPONSE_FINISH_REASONS) or ()
    usage = step.usage
    # Capture mode EVENT_ONLY puts content on the upstream details event instead of the span.
    details = next(
        (e.attributes for e in step.record.events if e.name == sc.EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS), {}
    )
    return RecordedStep(
        index,
        "llm",
        step.name,
        step.params if step.params is not None else decode_content(details.get(sc.GEN_AI_INPUT_MESSAGES)),
        step.returns if step.returns is not None else decode_content(details.get(sc.GEN_AI_OUTPUT_MESSAGES)),
        error,
        provider=step.provider,
        operation=_text(attrs.get(sc.GEN_AI_OPERATION_NAME)),
        request_model=_text(attrs.get(sc.GEN_AI_REQUEST_MODEL)),
        response_model=_text(attrs.get(sc.GEN_AI_RESPONSE_MODEL)),
        response_id=_text(attrs.get(sc.GEN_AI_RESPONSE_ID)),
        system_instructions=decode_content(
            attrs.get(sc.GEN_AI_SYSTEM_INSTRUCTIONS, details.get(sc.GEN_AI_SYSTEM_INSTRUCTIONS))
        ),
        finish_reasons=[str(r) for r in reasons] if isinstance(reasons, list | tuple) else [str(reasons)],
        usage={
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
        },
        start_ns=step.offset_ns,
        end_ns=end_ns,
        tools=tool_names(
            decode_content(attrs.get(sc.GEN_AI_TOOL_DEFINITIONS, details.get(sc.GEN_AI_TOOL_DEFINITIONS)))
        ),
    )


def tool_names(definitions: Any) -> list[str] | None:
    """Sorted names of tool definitions (OpenAI chat / responses or Anthropic form); None if unreadable.

    No definitions at all means no tools were offered: content capture records them whenever it
    records the messages, which playback needs anyway. A truncated value cannot be read.
    """
    if definitions is None:
        return []
    if not isinstance(definitions, list):
        return None
    names = []
    for definition in definitions:
        if isinstance(definition, dict):
            function = definition.get("function")
            name = definition.get("name") or (function.get("name") if isinstance(function, dict) else None)
            names.append(str(name or definition.get("type") or "?"))
    return sorted(names)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def check_playable(recording: Recording, tools: bool = False) -> None:
    """Raise a PlaybackError that says what to do when the steps lack the content playback needs.

    With `tools`, the tool and action steps need their arguments and results too.
    """
    for step in recording.tool_steps if tools else ():
        if step.params is None:
            raise PlaybackError(
                f"session {recording.session_id} was recorded without content ({step.label} has no arguments): "
                "playback(tools=True) needs content capture on. Record it again with "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (or init(capture_content=True)), "
                "or play back with tools=False to run the tools for real."
            )
        if step.truncated:
            raise PlaybackError(
                f"session {recording.session_id}: the content of {step.label} was truncated, so playback cannot "
                "answer it. Record it again with a larger AGENTOPS_OTEL_MAX_CONTENT_LENGTH, or play back with "
                "tools=False."
            )
    for step in recording.llm_steps:
        if step.has_content:
            continue
        if step.params is None and step.returns is None:
            raise PlaybackError(
                f"session {recording.session_id} was recorded without message content ({step.label} has no "
                "prompt or completion): playback needs content capture on. Record it again with "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (or init(capture_content=True))."
            )
        raise PlaybackError(
            f"session {recording.session_id}: the content of {step.label} is incomplete or truncated, so it "
            "cannot be played back. Record it again with a larger AGENTOPS_OTEL_MAX_CONTENT_LENGTH."
        )


class InRecordedOrder:
    """The recorded calls not made yet, in recorded order; calls that ran concurrently in the recording
    (one started before the other ended, e.g. under `asyncio.gather`) may arrive in either order.
    Shared by the LLM player and the tool player."""

    def __init__(self, calls: list[RecordedStep]) -> None:
        self._calls = calls
        self._unused = list(range(len(calls)))  # indexes into _calls, in recorded order
        self._skipped = 0  # recorded calls that will never be made (inside an answered tool)
        self._lock = threading.Lock()

    @property
    def remaining(self) -> list[RecordedStep]:
        return [self._calls[i] for i in self._unused]

    def skip(self, steps: list[RecordedStep]) -> None:
        """Drop recorded calls that will not be made: they ran inside a tool that playback answered."""
        indexes = {s.index for s in steps}
        with self._lock:
            kept = [i for i in self._unused if self._calls[i].index not in indexes]
            self._skipped += len(self._unused) - len(kept)
            self._unused = kept

    def _candidates(self) -> list[int]:
        """The next recorded call, and the unused calls that ran concurrently with it."""
        first_end = self._calls[self._unused[0]].end_ns
        if first_end is None:
            return self._unused[:1]
        starts = [(i, self._calls[i].start_ns) for i in self._unused]
        return [i for n, (i, start) in enumerate(starts) if n == 0 or (start is not None and start < first_end)]
