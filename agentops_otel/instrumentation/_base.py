"""The instrumentor base: one table of methods drives both wrapping and unwrapping.

A provider subclass lists `Target`s (module, `Class.method`, how to trace it). `instrument()` wraps
every target that exists in the installed client version (newer APIs are skipped on older clients)
and remembers what it wrapped; `uninstrument()` puts back exactly those originals.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from opentelemetry import context, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from .._config import DEFAULT_MAX_CONTENT_LENGTH, ENV_MAX_CONTENT_LENGTH, env_int, parse_content_capture
from .._internal import guarded
from .._version import __version__
from ._call import LLMCall, Outcome, Request, Telemetry
from ._messages import server_of

_log = logging.getLogger("agentops_otel.instrumentation")

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


@dataclass(frozen=True)
class Traced:
    """How to trace one API method: read the request, read the response, accumulate a stream."""

    describe: Callable[[Mapping[str, Any]], Request]
    outcome: Callable[[Any], Outcome]
    accumulator: Callable[[], Any] | None = None


@dataclass(frozen=True)
class Target:
    """One method to wrap: `module` + `Class.method`, and a factory of its wrapper."""

    module: str
    method: str
    wrapper: Callable[[Telemetry], Wrapper]

    def owner(self) -> tuple[Any, str] | None:
        """The class holding the method and its name, or None when this client version lacks it."""
        class_name, _, name = self.method.rpartition(".")
        try:
            owner = getattr(importlib.import_module(self.module), class_name)
        except (ImportError, AttributeError):
            return None
        return (owner, name) if name in vars(owner) else None


class LLMInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Base of our instrumentors. Keyword arguments of `instrument()`:

    - `tracer_provider`: where spans go (default: the global provider);
    - `capture_content`: bool, a ContentCapture, or an upstream value; default: the
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT variable, else content on spans;
    - `max_content_length`: characters kept per content attribute (default from
      AGENTOPS_OTEL_MAX_CONTENT_LENGTH, else 16384).
    """

    provider_name: ClassVar[str]
    requirements: ClassVar[tuple[str, ...]]
    targets: ClassVar[tuple[Target, ...]]

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.requirements

    def _instrument(self, **kwargs: Any) -> None:
        self.instrumented_with = dict(kwargs)  # lets a caller re-instrument with the same options
        limit = kwargs.get("max_content_length")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            limit = env_int(ENV_MAX_CONTENT_LENGTH, DEFAULT_MAX_CONTENT_LENGTH)
        telemetry = Telemetry(
            tracer=trace.get_tracer(
                "agentops_otel.instrumentation." + self.provider_name,
                __version__,
                tracer_provider=kwargs.get("tracer_provider"),
            ),
            provider_name=self.provider_name,
            capture=parse_content_capture(kwargs.get("capture_content")),
            max_content_length=limit,
        )
        self._wrapped: list[tuple[Any, str]] = []
        for target in self.targets:
            found = target.owner()
            if found is None:
                _log.debug("%s.%s not in this client version; not traced", target.module, target.method)
                continue
            if found in self._wrapped:  # one class exported under two module paths
                continue
            owner, name = found
            wrap_function_wrapper(owner, name, target.wrapper(telemetry))
            self._wrapped.append(found)

    def _uninstrument(self, **kwargs: Any) -> None:
        for owner, name in getattr(self, "_wrapped", ()):
            unwrap(owner, name)
        self._wrapped = []
        self.instrumented_with = {}


def _start(telemetry: Telemetry, traced: Traced, instance: Any, kwargs: Mapping[str, Any]) -> LLMCall | None:
    def start() -> LLMCall:
        return telemetry.start(traced.describe(kwargs), server_of(getattr(instance, "_client", None)))

    return guarded("start an LLM span", start, None)


def _finish(call: LLMCall, traced: Traced, result: Any, stream_proxy: type | None) -> Any:
    """The value to hand back: the result itself, or a proxy of it when it is a stream."""
    if not call.recording:
        call.finish(None)
        return result
    iterable = hasattr(result, "__next__") or hasattr(result, "__anext__")
    if call.streaming and iterable and traced.accumulator is not None and stream_proxy is not None:
        accumulator = guarded("start reading a stream", traced.accumulator, None)
        if accumulator is not None:
            return stream_proxy(result, call, accumulator)
    parsed = _parsed(result, call.streaming)
    call.finish(guarded("read an LLM response", lambda: traced.outcome(parsed), None) if parsed else None)
    return result


def _parsed(result: Any, streaming: bool) -> Any:
    """The response model; for `with_raw_response`, the parsed body when it is already read."""
    if hasattr(result, "model_dump"):
        return result
    http_response = getattr(result, "http_response", None)
    if streaming or not callable(getattr(result, "parse", None)) or not getattr(http_response, "is_closed", False):
        return None
    try:
        return result.parse()
    except Exception:  # the body the provider sent, not our bug: the call returns it unparsed
        _log.debug("could not parse a raw LLM response for its span", exc_info=True)
        return None


def _session_context(kwargs: dict[str, Any]) -> context.Context | None:
    """AgentOps 0.3's `create(..., session=s)`: the call goes to that session, and the client never sees
    the argument. Only a session object (one with an OpenTelemetry `context`) is taken out."""
    found = getattr(kwargs.get("session"), "context", None) if "session" in kwargs else None
    if not isinstance(found, context.Context):
        return None
    del kwargs["session"]
    return found


@contextmanager
def _in_session(kwargs: dict[str, Any]) -> Iterator[None]:
    found = _session_context(kwargs) if kwargs else None
    token = context.attach(found) if found is not None else None
    try:
        yield
    finally:
        if token is not None:
            context.detach(token)


def sync_method(traced: Traced, stream_proxy: type | None = None) -> Callable[[Telemetry], Wrapper]:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            with _in_session(kwargs):
                call = _start(telemetry, traced, instance, kwargs)
                if call is None:
                    return wrapped(*args, **kwargs)
                try:
                    with call.activated():
                        result = wrapped(*args, **kwargs)
                except BaseException as exc:
                    call.fail(exc)
                    raise
                return _finish(call, traced, result, stream_proxy)

        return wrapper

    return factory


def async_method(traced: Traced, stream_proxy: type | None = None) -> Callable[[Telemetry], Wrapper]:
    def factory(telemetry: Telemetry) -> Wrapper:
        async def wrapper(
            wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            with _in_session(kwargs):
                call = _start(telemetry, traced, instance, kwargs)
                if call is None:
                    return await wrapped(*args, **kwargs)
                try:
                    with call.activated():
                        result = await wrapped(*args, **kwargs)
                except BaseException as exc:
                    call.fail(exc)
                    raise
                return _finish(call, traced, result, stream_proxy)

        return wrapper

    return factory


def started_on_enter(traced: Traced, manager_proxy: Callable[..., Any]) -> Callable[[Telemetry], Wrapper]:
    """A stream-helper method whose manager sends the request on `__enter__`: the span starts there."""

    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            manager = wrapped(*args, **kwargs)
            return manager_proxy(manager, lambda: _start(telemetry, traced, instance, kwargs), traced.outcome)

        return wrapper

    return factory


def returned_proxy(proxy: Callable[[Any], Any]) -> Callable[[Telemetry], Wrapper]:
    """Wrap what a method returns (a stream-helper manager) without tracing the method itself."""

    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return proxy(wrapped(*args, **kwargs))

        return wrapper

    return factory
