"""`init()` and `shutdown()`: the whole recording lifecycle of a process.

`init()` builds the pipeline (provider, processors, exporters: `agentops_otel._pipeline`), instruments
the LLM client libraries, starts a session when asked, and makes sure open sessions end and every span
is flushed at exit, in forked children and in multiprocessing workers too.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from .. import _pipeline
from .._config import ENV_INSTRUMENT, ContentCapture, disabled_instrumentations, env_bool, parse_content_capture
from .._internal import internal_error
from ..errors import ConfigurationError
from ..instrumentation import INSTRUMENTORS, Registered

_log = logging.getLogger("agentops_otel")

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
_hooks_lock = threading.Lock()
_hooks_installed = False


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
    redact: Any = None,
    auto_start_session: bool = False,
    **agentops_kwargs: Any,
) -> Any:
    """Start recording: join the application's TracerProvider (or create one) and add our pipeline.

    Idempotent: later calls keep the same provider and exporters and only update the settings they
    name. `api_key` (and the other AgentOps init arguments) are accepted and ignored, so code written
    for AgentOps runs unchanged; `auto_start_session=True` starts a session as AgentOps' init did (off by
    default here: an OpenTelemetry application starts its own). With nothing configured, spans go to the
    local store.

    A span processor added to the provider later (`provider.add_span_processor(p)`) receives spans
    with their cost, like the processors the provider had before.

    Credentials are masked in everything recorded (see `agentops_otel._redact` for the built-in
    shapes); `redact` adds rules: regular expressions (the named group `secret`, else the whole
    match, becomes ****) and functions str -> str, one or a list; AGENTOPS_OTEL_REDACT adds more.
    """
    del api_key  # Nothing to authenticate against: the user's own OpenTelemetry stack is the backend.
    if instrument_llm is None and "instrument_llm_calls" in agentops_kwargs:  # AgentOps' name for it
        instrument_llm = bool(agentops_kwargs.pop("instrument_llm_calls"))
    unknown = set(agentops_kwargs) - _AGENTOPS_INIT_KWARGS
    if unknown:
        raise ConfigurationError(f"init() got unexpected arguments: {', '.join(sorted(unknown))}")
    if max_content_length is not None and (not isinstance(max_content_length, int) or max_content_length < 1):
        raise ConfigurationError("max_content_length must be a whole number of characters >= 1")
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
            settings.default_tags = tuple(default_tags or ()) + tuple(tags or ())
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
            if instrument_llm if instrument_llm is not None else env_bool(ENV_INSTRUMENT, True):
                instrument_llm_clients(pipeline)
            _install_exit_hooks()
    if auto_start_session:
        from ._sessions import current_handle, start_session

        if current_handle() is None:
            start_session()
    return pipeline.provider


def _redactor(redact: Any) -> Any:
    """The built-in rules, AGENTOPS_OTEL_REDACT's, then the given ones (checked now: a bad one fails init())."""
    from .. import _redact

    rules = [redact] if isinstance(redact, str) or callable(redact) else list(redact)
    try:
        return _redact.Redactor([*_redact.from_environment().rules, *rules])
    except (TypeError, re.error) as exc:
        raise ConfigurationError(f"redact: {exc}; give regular expressions or functions str -> str") from None


def ensure_started() -> _pipeline.Pipeline:
    """The current pipeline, built from the environment when `init()` was not called."""
    pipeline = _pipeline.current_pipeline()
    if pipeline is None:
        init()
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


def _instrument(pipeline: _pipeline.Pipeline, registered: Registered, _module: Any = None) -> None:
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
    """End open sessions as Indeterminate and flush everything (also runs at interpreter exit)."""
    from ._sessions import end_all_sessions

    with _pipeline._lock:
        if _pipeline.current_pipeline() is None:
            return
        end_all_sessions("Indeterminate", "process exited before the session ended")
        _pipeline.close()


def session_ended() -> None:
    """In a worker process (multiprocessing pools end theirs with SIGTERM, past every exit hook),
    a finished session is flushed right away; the main process keeps batching."""
    pipeline = _pipeline.current_pipeline()
    if pipeline is not None and pipeline.in_child_process():
        pipeline.force_flush()


def _install_exit_hooks() -> None:
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(_at_exit)
    if hasattr(os, "register_at_fork"):
        from multiprocessing import util

        os.register_at_fork(after_in_child=_forget_parent_sessions)
        util.register_after_fork(_install_exit_hooks, _flush_at_child_exit)


def _forget_parent_sessions() -> None:
    """In a forked child the parent's open sessions stay the parent's to end."""
    from ._sessions import forget_open_sessions

    forget_open_sessions()


def _flush_at_child_exit(_: object) -> None:
    """A multiprocessing child leaves through os._exit, past atexit: flush at its own exit instead."""
    from multiprocessing import util

    util.Finalize(None, _at_exit, exitpriority=10)


def _at_exit() -> None:
    pipeline = _pipeline.current_pipeline()
    try:
        shutdown()
    except KeyboardInterrupt:  # Ctrl-C while the last spans are written: one line, no traceback
        sys.stderr.write(
            "agentops_otel: interrupted while flushing traces at exit; spans not yet written were not recorded\n"
        )
        if pipeline is not None and pipeline.created_provider:  # and the SDK's own exit hook must not wait again
            atexit.unregister(pipeline.provider.shutdown)
    except Exception:
        _log.exception("agentops_otel could not flush at exit")
