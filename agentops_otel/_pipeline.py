"""The pipeline: `init()` joins or builds the TracerProvider and puts our processors on it.

Order on the provider (see HACKING.md):
  SessionContextProcessor (on start: stamp `session.id` on every span inside a session)
  -> CostProcessor (on end: price LLM spans, roll totals up to the session root, hand a copy on)
     -> the user's own processors (when we joined their provider), our in-process Recorder
        (for get_session()), and the exporters (local store and/or OTLP).

We never take over a user's telemetry: an existing SDK provider keeps every processor it had; they
only receive spans enriched with cost. We create (and set globally) a provider only when there is none.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import sys
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, SynchronousMultiSpanProcessor
from opentelemetry.sdk.trace import TracerProvider as SDKTracerProvider

from . import semconv as sc
from ._config import (
    DEFAULT_MAX_CONTENT_LENGTH,
    ENV_INSTRUMENT,
    ENV_MAX_CONTENT_LENGTH,
    ENV_PRICES_FILE,
    ENV_URL_TEMPLATE,
    ContentCapture,
    debug_mode,
    env_bool,
    env_int,
    parse_content_capture,
    store_path,
)
from .errors import ConfigurationError
from .model import SpanRecord, from_readable_span

_log = logging.getLogger("agentops_otel")

# The OpenTelemetry context key under which the active session's id travels with the context.
SESSION_ID_KEY = otel_context.create_key("agentops_otel.session_id")

# Keyword arguments of AgentOps' init() that mean nothing here; accepted so AgentOps code runs unchanged.
_AGENTOPS_INIT_KWARGS = frozenset(
    {
        "endpoint",
        "max_wait_time",
        "max_queue_size",
        "skip_auto_end_session",
        "env_data_opt_out",
        "inherited_session_id",
        "log_level",
        "fail_safe",
        "trace_sampling",
        "parent_key",
        "exporter_endpoint",
        "app_url",
        "export_flush_interval",
    }
)
_INSTRUMENTORS = (
    ("agentops_openai", "agentops_otel.instrumentation.openai", "OpenAIInstrumentor"),
    ("agentops_anthropic", "agentops_otel.instrumentation.anthropic", "AnthropicInstrumentor"),
)
_RECORDER_MAX_SPANS = 500  # of sessions nobody holds a handle to any more


@dataclass
class Settings:
    """Settings read at use time, so a later `init()` call can change them."""

    capture: ContentCapture = ContentCapture.SPAN_ONLY
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    url_template: str | None = None
    prices_file: str | None = None
    store_path: Path = field(default_factory=store_path)
    default_tags: tuple[str, ...] = ()


_LLM_OPERATIONS = frozenset(
    op.value
    for op in (
        sc.GenAiOperationNameValues.CHAT,
        sc.GenAiOperationNameValues.TEXT_COMPLETION,
        sc.GenAiOperationNameValues.EMBEDDINGS,
        sc.GenAiOperationNameValues.GENERATE_CONTENT,
    )
)


class SessionContextProcessor(SpanProcessor):
    """Stamps `session.id` on every span started inside a session, whoever creates it.

    It also marks spans started inside an LLM span as `other`: a client library that traces itself
    (anthropic >= 2 does) would otherwise make one call count, and cost, twice.
    """

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        session_id = otel_context.get_value(SESSION_ID_KEY, parent_context)
        if session_id is not None:
            span.set_attribute(sc.SESSION_ID, session_id)
        parent_attributes = getattr(trace.get_current_span(parent_context), "attributes", None)
        if parent_attributes and parent_attributes.get(sc.GEN_AI_OPERATION_NAME) in _LLM_OPERATIONS:
            span.set_attribute(sc.AGENTOPS_SPAN_TYPE, sc.SpanTypeValues.OTHER.value)

    def on_end(self, span: ReadableSpan) -> None:
        pass


class Recorder(SpanProcessor):
    """Keeps the spans of recent sessions in memory, open ones included, for `get_session()`.

    Cheap on the hot path: an ended span is kept as it is and converted only when read back. Bounded:
    the traces of sessions whose handle the application still holds are kept whole (they can still be
    read back); of the others only the newest, up to `max_spans` spans in all.
    """

    def __init__(self, max_spans: int = _RECORDER_MAX_SPANS) -> None:
        # Re-entrant: a handle's finalizer may run (garbage collection) while this thread holds it.
        self._lock = threading.RLock()
        self._ended: OrderedDict[int, list[ReadableSpan]] = OrderedDict()  # trace id -> spans
        self._open: dict[int, Any] = {}  # span id -> live span
        self._held: dict[int, int] = {}  # trace id -> live handles of that session
        self._count = 0
        self._max_spans = max_spans

    def hold(self, trace_id: int, owner: object) -> None:
        """Keep this trace while `owner` (a session handle) is alive."""
        with self._lock:
            self._held[trace_id] = self._held.get(trace_id, 0) + 1
        weakref.finalize(owner, self._release, trace_id)

    def _release(self, trace_id: int) -> None:
        with self._lock:  # evicted later, by the next span that ends
            left = self._held.pop(trace_id, 1) - 1
            if left:
                self._held[trace_id] = left

    def _evict(self) -> None:
        if self._count <= self._max_spans:
            return
        for trace_id in [t for t in self._ended if t not in self._held]:
            self._count -= len(self._ended.pop(trace_id, ()))
            if self._count <= self._max_spans:
                return

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        if span.attributes.get(sc.SESSION_ID) is not None:
            with self._lock:
                self._open[span.context.span_id] = span

    def on_end(self, span: ReadableSpan) -> None:
        if span.attributes is None or span.attributes.get(sc.SESSION_ID) is None:
            return
        context = span.context
        with self._lock:
            self._open.pop(context.span_id, None)
            spans = self._ended.get(context.trace_id)
            if spans is None:
                spans = self._ended[context.trace_id] = []
            spans.append(span)
            self._count += 1
            if self._count > self._max_spans:
                self._evict()

    def records(self, trace_id: int | str) -> list[SpanRecord]:
        """Every span of one trace seen so far: ended ones as exported, open ones as they are now."""
        key = int(trace_id, 16) if isinstance(trace_id, str) else trace_id
        with self._lock:
            ended = list(self._ended.get(key, ()))
            live = [s for s in self._open.values() if s.context.trace_id == key]
        records = {r.span_id: r for r in map(from_readable_span, ended)}
        for span in live:
            record = from_readable_span(span)
            records.setdefault(record.span_id, record)
        return list(records.values())


@dataclass
class Pipeline:
    provider: SDKTracerProvider
    settings: Settings
    recorder: Recorder
    processors: tuple[SpanProcessor, ...]
    created_provider: bool
    pid: int = field(default_factory=os.getpid)

    def session_ended(self) -> None:
        """In a worker process (multiprocessing pools end theirs with SIGTERM, past every exit hook),
        a finished session is flushed right away; the main process keeps batching."""
        if os.getpid() != self.pid:
            self.force_flush()

    @functools.cached_property
    def tracer(self) -> trace.Tracer:
        return self.provider.get_tracer("agentops_otel", _version())

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self.processors)


_lock = threading.RLock()
_pipeline: Pipeline | None = None


def current_pipeline() -> Pipeline | None:
    return _pipeline


def current_settings() -> Settings:
    return _pipeline.settings if _pipeline is not None else Settings()


def _version() -> str:
    from . import __version__

    return __version__


def init(
    api_key: str | None = None,
    *,
    tracer_provider: Any = None,
    service_name: str | None = None,
    service_version: str | None = None,
    environment: str | None = None,
    capture_content: bool | str | ContentCapture | None = None,
    max_content_length: int | None = None,
    instrument_llm: bool | None = None,
    store: bool | None = None,
    store_path: str | os.PathLike[str] | None = None,
    url_template: str | None = None,
    prices_file: str | os.PathLike[str] | None = None,
    default_tags: list[str] | tuple[str, ...] | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    auto_start_session: bool = False,
    **agentops_kwargs: Any,
) -> SDKTracerProvider:
    """Start recording: join the application's TracerProvider (or create one) and add our pipeline.

    Idempotent: later calls keep the same provider and exporters and only update the settings they
    name. `api_key` (and the other AgentOps init arguments) are accepted and ignored, so code written
    for AgentOps runs unchanged; `auto_start_session=True` starts a session as AgentOps' init did (off by
    default here: an OpenTelemetry application starts its own). With nothing configured, spans go to the
    local store.
    """
    del api_key  # Nothing to authenticate against: the user's own OpenTelemetry stack is the backend.
    if instrument_llm is None and "instrument_llm_calls" in agentops_kwargs:  # AgentOps' name for it
        instrument_llm = bool(agentops_kwargs.pop("instrument_llm_calls"))
    unknown = set(agentops_kwargs) - _AGENTOPS_INIT_KWARGS
    if unknown:
        raise ConfigurationError(f"init() got unexpected arguments: {', '.join(sorted(unknown))}")
    if max_content_length is not None and (not isinstance(max_content_length, int) or max_content_length < 1):
        raise ConfigurationError("max_content_length must be a whole number of characters >= 1")
    global _pipeline
    with _lock:
        settings = (
            _pipeline.settings
            if _pipeline is not None
            else Settings(
                capture=parse_content_capture(None),
                max_content_length=env_int(ENV_MAX_CONTENT_LENGTH, DEFAULT_MAX_CONTENT_LENGTH),
                url_template=os.environ.get(ENV_URL_TEMPLATE) or None,
                prices_file=os.environ.get(ENV_PRICES_FILE) or None,
            )
        )
        if capture_content is not None:
            settings.capture = parse_content_capture(capture_content)
        if max_content_length is not None:
            settings.max_content_length = max_content_length
        if url_template is not None:
            settings.url_template = url_template
        if prices_file is not None:
            settings.prices_file = os.fspath(prices_file)
        if default_tags is not None or tags is not None:
            settings.default_tags = tuple(default_tags or ()) + tuple(tags or ())
        if _pipeline is not None:
            _update(_pipeline, tracer_provider, store_path, prices_file)
            _auto_start(auto_start_session)
            return _pipeline.provider
        if store_path is not None:
            settings.store_path = Path(store_path)
        _pipeline = _build(settings, tracer_provider, store, service_name, service_version, environment)
        if instrument_llm if instrument_llm is not None else env_bool(ENV_INSTRUMENT, True):
            instrument_llm_clients(_pipeline)
        _auto_start(auto_start_session)
        atexit.register(_at_exit)
        if hasattr(os, "register_at_fork"):
            from multiprocessing import util

            os.register_at_fork(after_in_child=_forget_parent_sessions)
            util.register_after_fork(_pipeline, _flush_at_child_exit)
        return _pipeline.provider


def _update(pipeline: Pipeline, tracer_provider: Any, store_path: Any, prices_file: Any) -> None:
    """What a later init() call can still change, and a warning for what it cannot."""
    if tracer_provider is not None and tracer_provider is not pipeline.provider:
        _log.warning("init() was already called with another TracerProvider; keeping the first")
    if store_path is not None and Path(store_path) != pipeline.settings.store_path:
        _log.warning(
            "init() was already called: spans keep going to %s (store_path is set by the first call)",
            pipeline.settings.store_path,
        )
    if prices_file is not None:
        from .cost import CostProcessor, Pricer

        pricer = Pricer(prices_file)  # a bad file raises here, in the caller's init()
        for processor in pipeline.processors:
            if isinstance(processor, CostProcessor):
                processor.pricer = pricer


def _auto_start(wanted: bool) -> None:
    from .capture import current_handle, start_session

    if wanted and current_handle() is None:
        start_session()


def _build(
    settings: Settings,
    given: Any,
    store: bool | None,
    service_name: str | None,
    service_version: str | None,
    environment: str | None,
) -> Pipeline:
    from .cost import CostProcessor
    from .export import build_resource, build_span_processors

    candidate = given if given is not None else trace.get_tracer_provider()
    if given is not None and not isinstance(given, SDKTracerProvider):
        raise ConfigurationError(
            "tracer_provider must be an opentelemetry.sdk.trace.TracerProvider "
            f"(got {type(given).__name__}); we add span processors to it"
        )
    created = not isinstance(candidate, SDKTracerProvider)
    if created:
        provider = SDKTracerProvider(resource=build_resource(service_name, service_version, environment))
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

    recorder = Recorder()
    exporters = build_span_processors(store=store, store_path=settings.store_path)
    users = _take_user_processors(provider) if not created else []
    pricer = None
    if settings.prices_file:  # the user's file is checked now, so a mistake in it fails init()
        from .cost import Pricer

        pricer = Pricer(settings.prices_file)
    cost = CostProcessor([*users, recorder, *exporters], pricer=pricer)
    # genai-prices and its tables load off the application's thread (about 0.2 s + 0.5 s of CPU).
    threading.Thread(target=lambda: cost.pricer.warm_up(), name="agentops-otel-prices", daemon=True).start()
    provider.add_span_processor(SessionContextProcessor())
    provider.add_span_processor(cost)
    return Pipeline(provider, settings, recorder, (cost,), created)


def _take_user_processors(provider: SDKTracerProvider) -> list[SpanProcessor]:
    """Move the user's processors under our cost processor so their exporters get cost too."""
    multi = getattr(provider, "_active_span_processor", None)
    if not isinstance(multi, SynchronousMultiSpanProcessor):
        return []
    with multi._lock:
        users = list(multi._span_processors)
        multi._span_processors = ()
    return users


def instrument_llm_clients(pipeline: Pipeline) -> None:
    """Instrument openai / anthropic, once each, unless disabled by name.

    A library already imported is instrumented now; any other when (and if) the application imports
    it: importing a client library costs up to a second, which an application that never uses it
    should not pay in init().
    """
    import importlib.util

    import wrapt

    disabled = {name.strip() for name in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    for name, module_name, class_name in _INSTRUMENTORS:
        library = name.removeprefix("agentops_")
        if name in disabled or importlib.util.find_spec(library) is None:
            continue
        instrument = functools.partial(_instrument, pipeline, library, module_name, class_name)
        if library in sys.modules:
            instrument()
        else:
            wrapt.register_post_import_hook(instrument, library)


def _instrument(pipeline: Pipeline, library: str, module_name: str, class_name: str, _module: Any = None) -> None:
    import importlib

    try:
        instrumentor = getattr(importlib.import_module(module_name), class_name)()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(
                tracer_provider=pipeline.provider,
                capture_content=pipeline.settings.capture,
                max_content_length=pipeline.settings.max_content_length,
            )
    except Exception:  # an instrumentation bug must not stop the user's program
        if debug_mode():
            raise
        _log.exception("could not instrument %s", library)


def shutdown() -> None:
    """End open sessions as Indeterminate and flush everything (also runs at interpreter exit)."""
    global _pipeline
    with _lock:
        pipeline = _pipeline
        if pipeline is None:
            return
        from .capture import end_all_sessions

        end_all_sessions("Indeterminate", "process exited before the session ended")
        pipeline.force_flush()
        if pipeline.created_provider:
            pipeline.provider.shutdown()
        else:
            for processor in pipeline.processors:
                processor.shutdown()
        _pipeline = None


def _forget_parent_sessions() -> None:
    """In a forked child the parent's open sessions stay the parent's to end."""
    from .capture import _sessions

    _sessions.forget_open_sessions()


def _flush_at_child_exit(_: Pipeline) -> None:
    """A multiprocessing child leaves through os._exit, past atexit: flush at its own exit instead."""
    from multiprocessing import util

    util.Finalize(None, _at_exit, exitpriority=10)


def _at_exit() -> None:
    try:
        shutdown()
    except Exception:
        _log.exception("agentops_otel could not flush at exit")
