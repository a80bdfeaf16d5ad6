"""`init()` and `shutdown()`: the whole recording lifecycle of a process.

`init()` builds the pipeline (provider, processors, exporters: `agentops_otel._pipeline`), instruments
the LLM client libraries, starts a session as AgentOps does (`_agentops_init`), and makes sure open
sessions end and every span is flushed at exit, in forked children and in multiprocessing workers too.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from .. import _pipeline
from .._config import ENV_INSTRUMENT, ContentCapture, disabled_instrumentations, env_bool, parse_content_capture
from .._internal import internal_error
from ..errors import ConfigurationError
from ..instrumentation import INSTRUMENTORS, Registered
from ._exit import end_recording, session_ended
from ._exit import install_exit_hooks as _install_exit_hooks

_log = logging.getLogger("agentops_otel")

_instrumenting_stopped = False
__all__ = ["ensure_started", "init", "instrument_llm_clients", "session_ended", "shutdown", "stop_instrumenting"]


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
    auto_start_session: bool | None = None,
    trace_name: str | None = None,
    inherited_session_id: str | None = None,
    exporter: Any = None,
    processor: Any = None,
    redact: Any = None,
    **agentops_kwargs: Any,
) -> Any:
    """Start recording: join the application's TracerProvider (or create one) and add our pipeline.

    Idempotent: later calls keep the same provider and exporters and only update the settings they
    name. As AgentOps does, the call that starts recording also starts a session (named `trace_name`,
    tagged with the default tags) and returns it; `auto_start_session=False` or
    `AGENTOPS_AUTO_START_SESSION=false` turn that off, and `init()` then returns the TracerProvider (as
    a later call does, unless it passes `auto_start_session=True` with no session current). That
    session gives way to the first session the application starts while nothing was recorded in it,
    and ends Indeterminate at exit otherwise. `api_key` and AgentOps' other init arguments are accepted
    (`exporter=` / `processor=` get the spans too), so code written for AgentOps runs unchanged. With
    nothing configured, spans go to the local store.

    A span processor added to the provider later (`provider.add_span_processor(p)`) receives spans
    with their cost, like the processors the provider had before.

    Credentials are masked in everything recorded (see `agentops_otel._redact` for the built-in
    shapes); `redact` adds rules: regular expressions (the named group `secret`, else the whole
    match, becomes ****) and functions str -> str, one or a list; AGENTOPS_OTEL_REDACT adds more.
    """
    from . import _agentops_init as agentops

    agentops.set_api_key(api_key)  # kept for get_api_key(); nothing to authenticate against here
    agentops.check_keywords(agentops_kwargs)
    given = agentops_kwargs.pop("instrument_llm_calls", None)
    instrument_llm_calls = agentops.configured("instrument_llm_calls", given)
    if instrument_llm is None and instrument_llm_calls is not None:  # AgentOps' name for it
        instrument_llm = bool(instrument_llm_calls)
    default_tags = agentops.configured("default_tags", default_tags)
    auto_start_session = agentops.configured("auto_start_session", auto_start_session)
    if max_content_length is not None and (not isinstance(max_content_length, int) or max_content_length < 1):
        raise ConfigurationError("max_content_length must be a whole number of characters >= 1")
    started = False
    redactor = _redactor(redact) if redact is not None else None
    with _pipeline._lock:
        pipeline = _pipeline.current_pipeline()
        settings = pipeline.settings if pipeline is not None else _pipeline.Settings.from_env()
        if redactor is not None:
            settings.redactor = redactor
        if capture_content is not None:
            settings.capture = parse_content_capture(capture_content)
        if max_content_length is not None:
            settings.max_content_length = max_content_length
        if url_template is not None:
            settings.url_template = url_template
        if prices_file is not None:
            settings.prices_file = os.fspath(prices_file)
        if default_tags is not None or tags is not None:
            settings.default_tags = tuple(_tag_list(default_tags)) + tuple(_tag_list(tags))
        if pipeline is not None:
            _pipeline.update(pipeline, tracer_provider, store_path, prices_file)
        else:
            if store_path is not None:
                settings.store_path = Path(store_path)
            pipeline = _pipeline.build(
                settings,
                tracer_provider,
                store=store,
                service_name=service_name,
                service_version=service_version,
                environment=environment,
            )
            started = True
            if instrument_llm if instrument_llm is not None else env_bool(ENV_INSTRUMENT, True):
                instrument_llm_clients(pipeline)
            _install_exit_hooks()
        agentops.add_span_sinks(pipeline, exporter, processor)
    if agentops.auto_start_wanted(auto_start_session) if started else agentops.auto_start_asked(auto_start_session):
        return agentops.start_auto_session(trace_name, inherited_session_id)
    return pipeline.provider


def _tag_list(tags: Any) -> list[str]:
    if tags is None:
        return []
    return [tags] if isinstance(tags, str) else [str(t) for t in tags]


def _redactor(redact: Any) -> Any:
    """The built-in rules, AGENTOPS_OTEL_REDACT's, then the given ones (checked now: a bad one fails init())."""
    from .. import _redact

    rules = [redact] if isinstance(redact, str) or callable(redact) else list(redact)
    try:
        return _redact.Redactor([*_redact.from_environment().rules, *rules])
    except (TypeError, re.error) as exc:
        raise ConfigurationError(f"redact: {exc}; give regular expressions or functions str -> str") from None


def ensure_started() -> _pipeline.Pipeline:
    """The current pipeline, built from the environment when `init()` was not called (no session is
    started unless AGENTOPS_AUTO_START_SESSION asks)."""
    pipeline = _pipeline.current_pipeline()
    if pipeline is None:
        from ._agentops_init import implicit_auto_start

        init(auto_start_session=implicit_auto_start())
        pipeline = _pipeline.current_pipeline()
    assert pipeline is not None  # init() either builds one or raises
    return pipeline


def instrument_llm_clients(pipeline: _pipeline.Pipeline) -> None:
    """Instrument openai / anthropic, once each, unless disabled by name.

    A library already imported is instrumented now; any other when (and if) the application imports
    it: importing a client library costs up to a second, which an application that never uses it
    should not pay in init().
    """
    import wrapt

    disabled = disabled_instrumentations()
    for registered in INSTRUMENTORS:
        if registered.name in disabled or importlib.util.find_spec(registered.library) is None:
            continue
        instrument = functools.partial(_instrument, pipeline, registered)
        if registered.library in sys.modules:
            instrument()
        else:
            wrapt.register_post_import_hook(instrument, registered.library)


def stop_instrumenting() -> None:
    """AgentOps' `stop_instrumenting()`: take our instrumentation off openai / anthropic; later calls
    go unrecorded (libraries imported later are left alone too)."""
    global _instrumenting_stopped
    _instrumenting_stopped = True
    for registered in INSTRUMENTORS:
        if registered.library not in sys.modules:
            continue
        try:
            instrumentor = registered.load()()
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
        except Exception:
            internal_error(f"uninstrument {registered.library}")


def _instrument(pipeline: _pipeline.Pipeline, registered: Registered, _module: Any = None) -> None:
    if _instrumenting_stopped:
        return
    try:
        instrumentor = registered.load()()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(
                tracer_provider=pipeline.provider,
                capture_content=pipeline.settings.capture,
                max_content_length=pipeline.settings.max_content_length,
            )
    except Exception:  # an instrumentation bug must not stop the user's program
        internal_error(f"instrument {registered.library}")


def shutdown() -> None:
    """End open sessions as Indeterminate and flush everything within the exit deadline (also runs at
    interpreter exit, on SIGTERM/SIGHUP, and when a multiprocessing worker ends)."""
    end_recording()
