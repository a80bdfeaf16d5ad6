"""The pipeline: joins or builds the TracerProvider and puts our processors on it.

Order on the provider (see HACKING.md):
  the redaction net (on end: credentials masked in every span, before anything below sees it)
  SessionContextProcessor (on start: stamp `session.id` on every span inside a session)
  -> CostProcessor (on end: price LLM spans, roll totals up to the session root, hand a copy on)
     -> downstream, one multi-span processor: the user's own processors (when we joined their
        provider), our in-process Recorder (for get_session()), the exporters (local store and/or
        OTLP), and any processor added to the provider later.

We never take over a user's telemetry: an existing SDK provider keeps every processor it had; they
only receive spans enriched with cost. We create (and set globally) a provider only when there is none.
The session lifecycle (starting, ending at exit, forks) is capture's; this layer only wires and flushes.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, SynchronousMultiSpanProcessor
from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider

from . import _redact
from . import semconv as sc
from ._config import (
    DEFAULT_MAX_CONTENT_LENGTH,
    ENV_MAX_CONTENT_LENGTH,
    ENV_PRICES_FILE,
    ENV_URL_TEMPLATE,
    ContentCapture,
    compat_targets,
    env_int,
    parse_content_capture,
    store_path,
)
from ._context import SESSION_ID_KEY
from ._internal import internal_error
from ._recorder import Recorder
from ._redact_spans import redacted
from ._version import __version__
from .cost import CostProcessor
from .errors import ConfigurationError

_log = logging.getLogger("agentops_otel")


@dataclass
class Settings:
    """Settings read at use time, so a later `init()` call can change them."""

    capture: ContentCapture = ContentCapture.SPAN_ONLY
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    url_template: str | None = None
    prices_file: str | None = None
    store_path: Path = field(default_factory=store_path)
    default_tags: tuple[str, ...] = ()
    compat: frozenset[str] = frozenset()  # AGENTOPS_OTEL_COMPAT: the UIs whose keys we add (see _compat)
    redactor: _redact.Redactor = field(default_factory=_redact.from_environment)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            capture=parse_content_capture(None),
            max_content_length=env_int(ENV_MAX_CONTENT_LENGTH, DEFAULT_MAX_CONTENT_LENGTH),
            url_template=os.environ.get(ENV_URL_TEMPLATE) or None,
            prices_file=os.environ.get(ENV_PRICES_FILE) or None,
            compat=compat_targets(),
        )


class SessionContextProcessor(SpanProcessor):
    """Stamps `session.id` on every span started inside a session, whoever creates it.

    (Spans nested in an LLM call's span are the cost processor's: it marks them part of that call.)
    """

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        try:
            session_id = otel_context.get_value(SESSION_ID_KEY, parent_context)
            if session_id is None:
                return
            given = getattr(getattr(span, "_attributes", None), "_dict", None)  # the SDK's plain dict
            if given is None or given.get(sc.SESSION_ID) != session_id:  # our steps pass it at start
                span.set_attribute(sc.SESSION_ID, session_id)
        except Exception:  # runs in the application's thread, inside its start_span()
            internal_error("stamp a span with its session")

    def on_end(self, span: Any) -> None:
        pass


class _PipelineProcessor(SynchronousMultiSpanProcessor):
    """The provider's active processor once we are on it: the redaction net, session stamping, then
    cost over the rest.

    Every ended span is redacted before any processor sees it, so nothing below (the recorder, the
    store, OTLP, the application's own processors) ever holds a credential. A processor the
    application adds to the provider later (`provider.add_span_processor(p)`) goes downstream of the
    cost processor, so it receives spans with their cost like every other.
    """

    redacts_ended_spans = True  # spans ending through it need no redaction where they are made

    def __init__(self, cost: CostProcessor, settings: Settings) -> None:
        super().__init__()
        self.cost = cost
        self.before_shutdown: Callable[[], None] | None = None  # capture ends open sessions there
        self.retired = False
        self.settings = settings
        self._stamp = SessionContextProcessor()
        super().add_span_processor(self._stamp)
        super().add_span_processor(cost)

    # Until retired it holds exactly (stamping, cost): called directly, without the SDK's loop.
    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        if self.retired:
            super().on_start(span, parent_context=parent_context)
            return
        self._stamp.on_start(span, parent_context)
        self.cost.on_start(span, parent_context)

    def _on_ending(self, span: Any) -> None:
        if self.retired:
            super()._on_ending(span)
        else:
            self.cost._on_ending(span)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        if self.retired:
            super().add_span_processor(span_processor)
        else:
            self.cost.add_span_processor(span_processor)

    def retire(self, own: tuple[SpanProcessor, ...]) -> None:
        """After our shutdown: keep only the processors the application added, called directly."""
        users = tuple(p for p in self.downstream() if p not in own)
        with self._lock:
            self._span_processors = users
        self.retired = True
        self.before_shutdown = None

    def downstream(self) -> tuple[SpanProcessor, ...]:
        return tuple(self.cost.downstream._span_processors)  # type: ignore[attr-defined]

    def shutdown(self) -> None:
        """The provider is shut down (by the application, or by its own exit hook, which may run before
        ours): open sessions end first, then every processor finishes within the exit deadline."""
        if self.retired:
            super().shutdown()
            return
        if self.before_shutdown is not None:
            try:
                self.before_shutdown()
            except Exception:
                internal_error("end open sessions before the provider shuts down")
        from ._finish import finish
        from .export import exit_timeout_s

        finish(self.downstream(), exit_timeout_s())

    def on_end(self, span: Any) -> None:
        try:
            span = redacted(span, self.settings.redactor)
        except Exception:
            internal_error(f"redact span {span.name!r}")
        if self.retired:
            super().on_end(span)
        else:
            self.cost.on_end(span)


@dataclass
class Pipeline:
    provider: SDKTracerProvider
    settings: Settings
    recorder: Recorder
    cost: CostProcessor
    created_provider: bool
    own: tuple[SpanProcessor, ...] = ()  # the processors we added downstream (recorder, exporters)
    replaced: Any = None  # the joined provider's own active processor, put back at shutdown
    original: tuple[Any, ...] | None = None  # the processors it held, given back to it at shutdown
    original_holder: Any = None  # the multi-span processor that holds them downstream of cost meanwhile
    pid: int = field(default_factory=os.getpid)

    @functools.cached_property
    def tracer(self) -> trace.Tracer:
        return self.provider.get_tracer("agentops_otel", __version__)

    def in_child_process(self) -> bool:
        return os.getpid() != self.pid

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.cost.force_flush(timeout_millis)

    def flush_soon(self) -> None:
        """Ask our exporters to send what they hold now, without waiting for them."""
        for processor in self.own:
            request = getattr(processor, "request_flush", None)
            if request is not None:
                request()

    def shutdown(self, timeout_s: float | None = None, *, keep_current: bool = False) -> None:
        """Deliver and shut down what we started, all within one deadline (`timeout_s`, else
        AGENTOPS_OTEL_EXIT_TIMEOUT or the OTLP timeout): every processor of the provider when it is
        ours, else only our own (the application's provider gets its processors back, flushed, not
        shut down)."""
        from ._finish import finish
        from .export import exit_timeout_s

        timeout_s = exit_timeout_s() if timeout_s is None else timeout_s
        active = self.provider._active_span_processor
        if self.created_provider:
            processors = active.downstream() if isinstance(active, _PipelineProcessor) else ()
            if isinstance(active, _PipelineProcessor) and not keep_current:
                # Tracers keep the processor they were made with: it stays, passing spans straight to
                # what the application added, so a later init() joins this provider cleanly.
                active.retire(self.own)
        else:
            if self.original is not None:
                # Tracers made before init() hold the provider's own multi-span processor: it gets its
                # processors back, and those the application added while we were on it.
                ours = (*self.own, self.original_holder)
                later = tuple(p for p in getattr(self.cost.downstream, "_span_processors", ()) if p not in ours)
                with self.replaced._lock:
                    self.replaced._span_processors = (*self.original, *later)
            self.provider._active_span_processor = self.replaced
            processors = self.own
            # What they already hold is delivered too: flushed, not shut down (the provider is theirs).
            finish(processors, timeout_s, flush_only=self.original if self.original is not None else (self.replaced,))
            return
        finish(processors, timeout_s)


_lock = threading.RLock()
_pipeline: Pipeline | None = None


def current_pipeline() -> Pipeline | None:
    return _pipeline


def current_settings() -> Settings:
    return _pipeline.settings if _pipeline is not None else Settings()


def build(
    settings: Settings,
    given: Any = None,
    *,
    store: bool | None = None,
    service_name: str | None = None,
    service_version: str | None = None,
    environment: str | None = None,
) -> Pipeline:
    """Put our processors on the given provider, the global SDK one, or a new one; make it current."""
    from .export import build_resource, build_span_processors

    global _pipeline
    given = sdk_provider_behind(given) if given is not None else None
    if given is not None and not isinstance(given, SDKTracerProvider):
        raise ConfigurationError(
            "tracer_provider must be an opentelemetry.sdk.trace.TracerProvider "
            f"(got {type(given).__name__}); we add span processors to it"
        )
    pricer = None
    if settings.prices_file:  # the user's file is checked now, so a mistake in it fails init()
        from .cost import Pricer

        pricer = Pricer(settings.prices_file)
    extra_keys = None
    if settings.compat:
        from ._compat import CompatKeys

        extra_keys = CompatKeys(settings.compat)
    with _lock:
        candidate = given if given is not None else sdk_provider_behind(trace.get_tracer_provider())
        created = not isinstance(candidate, SDKTracerProvider)
        recorder = Recorder()
        own = (recorder, *build_span_processors(store=store, store_path=settings.store_path))
        replaced = original = holder = None
        if created:
            cost = CostProcessor(own, pricer=pricer, extra_keys=extra_keys)
            provider = SDKTracerProvider(
                resource=build_resource(service_name, service_version, environment),
                active_span_processor=_PipelineProcessor(cost, settings),
                shutdown_on_exit=False,  # capture flushes at exit, after the application's own exit hooks
            )
            if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
                trace.set_tracer_provider(provider)
            else:
                _log.warning(
                    "the global TracerProvider is not an SDK provider (%s); agentops_otel records with its own",
                    type(candidate).__name__,
                )
        else:
            provider = candidate  # type: ignore[assignment]  # an SDK provider, checked above
            if service_name or service_version or environment:
                _log.warning("service_name/service_version/environment are ignored: the given provider has a resource")
            # The provider's processors go downstream of our cost processor, so their exporters get cost too.
            replaced = provider._active_span_processor
            original = getattr(replaced, "_span_processors", None)
            if isinstance(original, tuple) and hasattr(replaced, "_lock"):
                # Tracers made before init() keep the provider's multi-span processor: it passes to us.
                holder = SynchronousMultiSpanProcessor()
                holder._span_processors = original
                cost = CostProcessor([holder, *own], pricer=pricer, extra_keys=extra_keys)
                active = _PipelineProcessor(cost, settings)
                with replaced._lock:
                    replaced._span_processors = (active,)
            else:  # another kind of active processor: tracers made from now on reach us
                original = None
                cost = CostProcessor([replaced, *own], pricer=pricer, extra_keys=extra_keys)
                active = _PipelineProcessor(cost, settings)
            provider._active_span_processor = active
        _pipeline = Pipeline(provider, settings, recorder, cost, created, own, replaced, original, holder)
    # genai-prices and its tables load here, once per process (0.2-0.3 s), so that no span of the
    # agent waits for them; outside the lock, which a signal arriving meanwhile may need. Not on a
    # thread: an import still running at exit makes CPython forget an uncaught Ctrl-C (the process
    # exits 1, not by SIGINT), and a first LLM call soon after init() would wait for it anyway.
    try:
        cost.pricer.warm_up()
    except Exception:
        internal_error("load the price tables (LLM calls are priced when they end instead)", _log)
    return _pipeline


def sdk_provider_behind(provider: Any) -> Any:
    """The SDK TracerProvider a proxy stands for, else the provider itself.

    Logfire's global provider is a proxy (`logfire._internal.tracer.ProxyTracerProvider`, not an SDK
    provider) whose `.provider` is the SDK TracerProvider that holds its processors; joining that one
    puts us in front of logfire's processors, so `init()` after `logfire.configure()` records. (A
    later `logfire.configure()` builds a new provider: call `init()` after the last one.)
    """
    if isinstance(provider, SDKTracerProvider):
        return provider
    behind = getattr(provider, "provider", None)
    return behind if isinstance(behind, SDKTracerProvider) else provider


def update(pipeline: Pipeline, tracer_provider: Any, store_path: Any, prices_file: Any) -> None:
    """What a later init() call can still change, and a warning for what it cannot."""
    if tracer_provider is not None and sdk_provider_behind(tracer_provider) is not pipeline.provider:
        _log.warning("init() was already called with another TracerProvider; keeping the first")
    if store_path is not None and Path(store_path) != pipeline.settings.store_path:
        _log.warning(
            "init() was already called: spans keep going to %s (store_path is set by the first call)",
            pipeline.settings.store_path,
        )
    if prices_file is not None:
        from .cost import Pricer

        pipeline.cost.pricer = Pricer(prices_file)  # a bad file raises here, in the caller's init()


def close(timeout_s: float | None = None, *, keep_current: bool = False) -> Pipeline | None:
    """Flush and shut down the current pipeline within the exit deadline; returns it (None when there
    was none). `keep_current`: it stays current (at exit: a later exit hook's spans still reach our
    exporters, which keep them) instead of a later call building a new one."""
    global _pipeline
    with _lock:
        pipeline = _pipeline
        if not keep_current:
            _pipeline = None
    if pipeline is not None:
        pipeline.shutdown(timeout_s, keep_current=keep_current)
    return pipeline
