"""Tool and action playback: decorated tool and action calls answered from the recording, not run.

While `playback(tools=True)` is active, the capture decorators ask `ToolPlayer.answer` before each
`record_tool` / `record_action` call (agents always run: they are the code under playback). The call
is matched, in order, against the recorded tool and action steps by kind, name and arguments (as
JSON, the way the recording holds them) and stands in for the function:

- it returns the recorded return value, decoded from its JSON: values that were not JSON come back in
  their recorded form (a dataclass as its repr string, a tuple as a list, a pydantic model as a dict);
- or it raises the recorded exception: a builtin type (ValueError, KeyError, ...) is raised as that
  type with the recorded message; any other type as a `RecordedToolError` subclass named after it
  (`except RecordedToolError` catches them all; `.type` and `.message` hold what was recorded);
- a generator yields the recorded items (at most the first 100 were recorded), then returns or raises.

Steps that ran inside an answered call (its own tool or LLM calls) are not expected any more.
"""

from __future__ import annotations

import ast
import builtins
import json
import logging
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from .._content import to_json
from ..capture import _decorators
from ._player import PlaybackDivergence, Player
from ._recording import InRecordedOrder, RecordedStep

_log = logging.getLogger("agentops_otel.playback")

_PREVIEW = 200
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # in reprs of non-JSON arguments: differs from run to run


class RecordedToolError(Exception):
    """A recorded tool or action exception whose type playback cannot rebuild (not a builtin).

    Raised as a subclass named after the recorded type, so the replayed step fails with the same
    error type; `type` is the recorded type name, `message` the recorded message.
    """

    def __init__(self, type: str, message: str) -> None:  # the recorded exception's type
        super().__init__(message)
        self.type, self.message = type, message


_error_classes: dict[str, type[RecordedToolError]] = {}
_error_classes_lock = threading.Lock()


def _recorded_error_class(type_name: str) -> type[RecordedToolError]:
    with _error_classes_lock:
        cls = _error_classes.get(type_name)
        if cls is None:
            module, _, qualname = type_name.rpartition(".") if "." in type_name else ("", "", type_name)
            cls = type(qualname.rsplit(".", 1)[-1] or "RecordedToolError", (RecordedToolError,), {})
            # Named as recorded, so a replayed step's exception.type is the recorded one (the SDK leaves
            # out the module of builtins).
            cls.__qualname__, cls.__module__ = qualname or cls.__name__, module or "builtins"
            _error_classes[type_name] = cls
        return cls


def recorded_exception(error: dict[str, str]) -> Exception:
    """The exception to raise for a recorded error: the builtin type itself, else a RecordedToolError."""
    type_name, message = str(error.get("type") or "Exception"), str(error.get("message") or "")
    builtin = getattr(builtins, type_name, None)  # the SDK records builtin types without a module
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        if builtin is KeyError and message.startswith(("'", '"')):
            # str(KeyError("x")) is "'x'": raise KeyError("x") again, not KeyError("'x'")
            with suppress(ValueError, SyntaxError):
                message = str(ast.literal_eval(message))
        try:
            return builtin(message)
        except TypeError:  # a builtin that takes other arguments (UnicodeDecodeError, ...)
            pass
    return _recorded_error_class(type_name)(type_name, message)


def _generator_parts(step: RecordedStep) -> tuple[list[Any], Any]:
    """(yielded items, return value) of a recorded generator step."""
    returns = step.returns
    if isinstance(returns, dict) and set(returns) == {"yielded", "return"} and isinstance(returns["yielded"], list):
        return returns["yielded"], returns["return"]
    return (returns if isinstance(returns, list) else []), None


def stand_in(step: RecordedStep, shape: str) -> Callable[..., Any]:
    """A function of the decorated function's shape that gives the recorded answer."""
    error = step.error

    def outcome() -> Any:
        if error is not None:
            raise recorded_exception(error)
        return step.returns

    if shape == "async":

        async def answered_async(*args: Any, **kwargs: Any) -> Any:
            return outcome()

        return answered_async
    if shape == "generator":

        def answered_generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items, value = _generator_parts(step)
            yield from items
            if error is not None:
                raise recorded_exception(error)
            return value

        return answered_generator
    if shape == "async_generator":

        async def answered_async_generator(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            for item in _generator_parts(step)[0]:
                yield item
            if error is not None:
                raise recorded_exception(error)

        return answered_async_generator

    def answered(*args: Any, **kwargs: Any) -> Any:
        return outcome()

    return answered


def _canonical(value: Any) -> str:
    return _ADDRESS.sub(" at 0x…", json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def _identity(step: RecordedStep) -> tuple[str, str, str]:
    return step.kind, step.name, _canonical(step.params)


def _preview(kind: str, name: str, params: Any) -> str:
    text = f"{kind} {name}({_canonical(params)})"
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…"


class ToolPlayer(InRecordedOrder):
    """Matches decorated tool and action calls against a Player's recording. Thread-safe.

    Calls are matched in recorded order, except that calls which ran concurrently in the recording
    may arrive in either order. Divergences go to the Player's list (one list for the whole playback).
    In lenient mode a call of the expected tool with other arguments runs for real in place of the
    recorded one; a call of another tool runs for real and the recorded call is still expected.
    """

    def __init__(self, player: Player) -> None:
        self.player = player
        self.recording = player.recording
        self.answered = 0  # calls answered from the recording
        self.live_calls = 0  # calls that ran for real in lenient mode
        super().__init__(self.recording.tool_steps)

    def answer(self, kind: str, name: str, params: dict[str, Any], shape: str) -> Callable[..., Any] | None:
        """A stand-in giving the recorded answer for this call, or None to run the function (lenient miss)."""
        actual = json.loads(to_json(params, sys.maxsize)[0])  # the arguments as the recording holds them
        with self._lock:
            if not self._unused:
                self._diverge(
                    "more tool and action calls than recorded", "(no more)", _preview(kind, name, actual), None
                )
                return None
            candidates = self._candidates()
            wanted = (kind, name, _canonical(actual))
            chosen = next((i for i in candidates if _identity(self._calls[i]) == wanted), None)
            if chosen is None:
                step = self._calls[candidates[0]]
                same_tool = (step.kind, step.name) == (kind, name)
                what = "the arguments differ" if same_tool else "another tool or action was called"
                self._diverge(what, _preview(step.kind, step.name, step.params), _preview(kind, name, actual), step)
                if same_tool:  # lenient: the live call takes the recorded one's place
                    self._unused.remove(candidates[0])
                return None
            self._unused.remove(chosen)
            self.answered += 1
            step = self._calls[chosen]
            inner = self.recording.inside(step)
            self._skip(inner)
        self.player.skip(inner)
        return stand_in(step, shape)

    def _skip(self, steps: list[RecordedStep]) -> None:
        indexes = {s.index for s in steps}
        kept = [i for i in self._unused if self._calls[i].index not in indexes]
        self._skipped += len(self._unused) - len(kept)
        self._unused = kept

    def _diverge(self, what: str, recorded: str, actual: str, step: RecordedStep | None) -> None:
        call_number = self.answered + self.live_calls + 1
        at = step.label if step else "beyond the end of the recording"
        message = (
            f"playback of session {self.recording.session_id} diverged at tool/action call {call_number} of "
            f"{len(self._calls) - self._skipped} ({at}): {what}\n  recorded: {recorded}\n"
            f"  actual:   {actual}\n"
            "The code no longer makes the recorded call. If the change is intended, record the session again "
            "and export it (agentops-otel export ID -o FILE.json); playback(strict=False) runs such calls "
            "for real instead."
        )
        divergence = PlaybackDivergence(message, call_number=call_number, step=step, recorded=recorded, actual=actual)
        self.player.divergences.append(divergence)
        if self.player.strict:
            raise divergence
        _log.warning("%s", message)
        self.live_calls += 1

    def finish(self) -> None:
        """At the end of playback: in strict mode, recorded tool and action calls not made are a divergence."""
        if not self.remaining:
            return
        step = self.remaining[0]
        if not self.player.strict:
            _log.warning("playback ended with %d recorded tool/action call(s) not made", len(self.remaining))
            return
        with self._lock:
            self._diverge(
                "fewer tool and action calls than recorded",
                f"{len(self._calls) - self._skipped} call(s), the next is {step.label}",
                f"{self.answered} call(s), then the code finished",
                step,
            )


@contextmanager
def answering(tools: ToolPlayer) -> Iterator[ToolPlayer]:
    """Route decorated tool and action calls through `tools` while the block runs (one playback at a time)."""
    _decorators._step_answer = tools.answer
    try:
        yield tools
    finally:
        _decorators._step_answer = None
