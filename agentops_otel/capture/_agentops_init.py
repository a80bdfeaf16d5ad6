"""What `init()` does for AgentOps code: its keywords, `configure()`, the API key, the auto-started session.

AgentOps starts a session in `init()` by default (0.3's `auto_start_session=True`, 0.4's default
trace). So do we, when `init()` builds the pipeline: `auto_start_session=False` or
`AGENTOPS_AUTO_START_SESSION=false` turn it off. The implicit start of recording (`start_session()`
without `init()`, the pytest plugin, `opentelemetry-instrument`) starts none unless that variable
asks. The auto-started session is deferred (`_handle`): while nothing is recorded in it, a session the
application starts takes its place, and at exit it leaves no trace.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import _pipeline
from .._config import ENV_AUTO_START_SESSION, env_bool
from ..errors import ConfigurationError
from . import _scope
from ._handle import SessionHandle

_log = logging.getLogger("agentops_otel")

# Keywords of AgentOps' init() and configure() (0.3 and 0.4) that mean nothing here; accepted so their
# code runs unchanged.
IGNORED_KEYWORDS = frozenset(
    {
        "endpoint",
        "max_wait_time",
        "max_queue_size",
        "skip_auto_end_session",
        "env_data_opt_out",
        "log_level",
        "fail_safe",
        "trace_sampling",
        "parent_key",
        "exporter_endpoint",
        "app_url",
        "export_flush_interval",
        "auto_init",
        "prefetch_jwt_token",
        "log_session_replay_url",
    }
)
_CONFIGURABLE = frozenset({"default_tags", "instrument_llm_calls", "auto_start_session", "api_key"})

_configured: dict[str, Any] = {}
_api_key: str | None = None
_sinks: set[tuple[int, int]] = set()  # (pipeline, exporter or processor) already added


def check_keywords(keywords: dict[str, Any], function: str = "init") -> None:
    unknown = set(keywords) - IGNORED_KEYWORDS - _CONFIGURABLE
    if unknown:
        raise ConfigurationError(f"{function}() got unexpected arguments: {', '.join(sorted(unknown))}")


def configured(name: str, given: Any) -> Any:
    """An init() argument, else what `configure()` set before init()."""
    return given if given is not None else _configured.get(name)


def configure(**keywords: Any) -> None:
    """AgentOps' `configure(...)`: before `init()`, defaults for it; after, `default_tags` are added."""
    check_keywords(keywords, "configure")
    if "api_key" in keywords:
        set_api_key(keywords.pop("api_key"))
    pipeline = _pipeline.current_pipeline()
    if pipeline is None:
        _configured.update(keywords)
        return
    tags = keywords.get("default_tags")
    if tags:
        tags = [tags] if isinstance(tags, str) else list(tags)
        pipeline.settings.default_tags = tuple(dict.fromkeys((*pipeline.settings.default_tags, *map(str, tags))))


def set_api_key(api_key: Any) -> None:
    """Kept for `get_api_key()` only: nothing here authenticates, and a key is never recorded."""
    global _api_key
    if api_key is not None:
        _api_key = str(api_key)


def get_api_key() -> str | None:
    return _api_key


def set_parent_key(parent_key: Any) -> None:
    """AgentOps 0.3's parent key: accepted, nothing to share sessions with."""
    del parent_key


def auto_start_wanted(given: bool | None) -> bool:
    if given is not None:
        return bool(given)
    return env_bool(ENV_AUTO_START_SESSION, True)


def auto_start_asked(given: bool | None) -> bool:
    """A later init() call starts a session only when told to and none is current here."""
    return given is True and _scope.current_handle() is None


def implicit_auto_start() -> bool:
    """Recording started without init(): an auto-started session only when the environment asks."""
    return env_bool(ENV_AUTO_START_SESSION, False)


def start_auto_session(name: str | None, session_id: Any) -> SessionHandle:
    """The session init() starts by itself, current in the caller's context (deferred: see `_handle`)."""
    handle = SessionHandle(name, (), {}, auto_started=True, session_id=session_id)
    _scope.enter(handle)
    return handle


def add_span_sinks(pipeline: _pipeline.Pipeline, exporter: Any, processor: Any) -> None:
    """AgentOps 0.4's `init(exporter=..., processor=...)`: spans (with their cost) go there too."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    for given, wrap in ((exporter, BatchSpanProcessor), (processor, None)):
        if given is None or (id(pipeline), id(given)) in _sinks:
            continue
        if wrap is not None and not all(callable(getattr(given, m, None)) for m in ("export", "shutdown")):
            raise ConfigurationError(f"exporter= must be an OpenTelemetry SpanExporter (got {type(given).__name__})")
        sink = wrap(given) if wrap is not None else given
        try:
            pipeline.cost.add_span_processor(sink)
        except ValueError as exc:
            raise ConfigurationError(f"processor= must be an OpenTelemetry SpanProcessor: {exc}") from None
        pipeline.own = (*pipeline.own, sink)
        _sinks.add((id(pipeline), id(given)))
