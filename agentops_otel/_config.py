"""Settings from `init()` arguments and environment variables (ours use the AGENTOPS_OTEL_ prefix).

A bad environment value falls back to its default with one log line, as the OpenTelemetry SDK does;
a bad `init()` argument raises ConfigurationError.
"""

from __future__ import annotations

import logging
import os
from enum import Enum
from pathlib import Path

_log = logging.getLogger("agentops_otel")

# Our own variables. Everything OpenTelemetry defines (OTEL_*) is read by the SDK or by us under its
# upstream name.
ENV_STORE = "AGENTOPS_OTEL_STORE"  # "true"/"false": the embedded local store on or off
ENV_STORE_PATH = "AGENTOPS_OTEL_STORE_PATH"
ENV_MAX_CONTENT_LENGTH = "AGENTOPS_OTEL_MAX_CONTENT_LENGTH"
ENV_URL_TEMPLATE = "AGENTOPS_OTEL_URL_TEMPLATE"  # e.g. http://localhost:16686/trace/{trace_id}
ENV_PRICES_FILE = "AGENTOPS_OTEL_PRICES_FILE"
ENV_INSTRUMENT = "AGENTOPS_OTEL_INSTRUMENT_LLM"  # "true"/"false": auto-instrument openai/anthropic
ENV_SOURCE = "AGENTOPS_OTEL_SOURCE"  # default trace source of the CLI
# Bounds of what a source reads: a backend's whole answer within the timeout, answers and JSON
# documents (a file, or one line of one) up to MAX_BYTES, gzip expanding up to MAX_DECOMPRESSED_BYTES.
ENV_SOURCE_TIMEOUT = "AGENTOPS_OTEL_SOURCE_TIMEOUT"
ENV_SOURCE_MAX_BYTES = "AGENTOPS_OTEL_SOURCE_MAX_BYTES"
ENV_SOURCE_MAX_DECOMPRESSED_BYTES = "AGENTOPS_OTEL_SOURCE_MAX_DECOMPRESSED_BYTES"
ENV_CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_DISABLED_INSTRUMENTATIONS = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"  # upstream's, parsed here only
ENV_SIGNALS = "AGENTOPS_OTEL_HANDLE_SIGNALS"  # "false": no SIGTERM/SIGHUP handlers (sessions end at exit only)
# AgentOps' own name (code written for AgentOps sets it): init() starts a session by itself unless false.
ENV_AUTO_START_SESSION = "AGENTOPS_AUTO_START_SESSION"
ENV_REDACT = "AGENTOPS_OTEL_REDACT"  # more credentials to mask: a regex, or a JSON list of them
ENV_DEBUG = "AGENTOPS_OTEL_DEBUG"  # "true": our own internal errors are raised instead of logged (our tests)
ENV_COMPAT = "AGENTOPS_OTEL_COMPAT"  # e.g. "openinference,langfuse": also write the keys those UIs read
# How long a reader waits for a sign of life from a session's writer on another host (or one it cannot
# ask) before it calls the open session Crashed: seconds, or with a unit (90s, 30m, 6h, 2d).
ENV_CRASH_GRACE = "AGENTOPS_OTEL_CRASH_GRACE"
COMPAT_TARGETS = ("openinference", "langfuse")

DEFAULT_STORE_PATH = Path(".agentops") / "traces.db"
DEFAULT_MAX_CONTENT_LENGTH = 16_384
DEFAULT_SOURCE_TIMEOUT_S = 30
DEFAULT_SOURCE_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_SOURCE_MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
DEFAULT_CRASH_GRACE_S = 3600.0
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ContentCapture(Enum):
    """Where prompt/completion/tool content goes (upstream values of the capture variable)."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self in (ContentCapture.SPAN_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentCapture.EVENT_ONLY, ContentCapture.SPAN_AND_EVENT)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    _log.warning("%s=%r is not true or false; using %s", name, raw, default)
    return default


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        _log.warning("%s=%r is not a whole number >= %d; using %d", name, raw, minimum, default)
        return default
    return value


def parse_content_capture(value: bool | str | ContentCapture | None) -> ContentCapture:
    """Read the capture setting from an argument, else the environment; content is on by default."""
    if isinstance(value, ContentCapture):
        return value
    if isinstance(value, bool):
        return ContentCapture.SPAN_ONLY if value else ContentCapture.NO_CONTENT
    from_env = value is None
    raw = (os.environ.get(ENV_CAPTURE_CONTENT, "") if from_env else str(value)).strip()
    if not raw:
        return ContentCapture.SPAN_ONLY
    if raw.lower() in _TRUE:
        return ContentCapture.SPAN_ONLY
    if raw.lower() in _FALSE:
        return ContentCapture.NO_CONTENT
    try:
        return ContentCapture(raw.upper())
    except ValueError:
        choices = "true, false, " + ", ".join(m.value for m in ContentCapture)
        if not from_env:
            from .errors import ConfigurationError

            raise ConfigurationError(f"capture_content={value!r} is not one of: {choices}") from None
        _log.warning("%s=%r is not one of: %s; capturing content on spans", ENV_CAPTURE_CONTENT, raw, choices)
        return ContentCapture.SPAN_ONLY


def disabled_instrumentations() -> frozenset[str]:
    """Instrumentor names listed in OTEL_PYTHON_DISABLED_INSTRUMENTATIONS (comma-separated)."""
    raw = os.environ.get(ENV_DISABLED_INSTRUMENTATIONS, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def debug_mode() -> bool:
    """Our bugs never break the user's program (they are logged), except in debug mode, where they surface."""
    return os.environ.get(ENV_DEBUG, "").strip().lower() in _TRUE


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get(ENV_STORE_PATH) or DEFAULT_STORE_PATH)


def compat_targets(raw: str | None = None) -> frozenset[str]:
    """The UIs whose keys to add on our spans (AGENTOPS_OTEL_COMPAT: comma-separated, or "all").

    Unknown names are ignored with one log line, as bad environment values are.
    """
    raw = os.environ.get(ENV_COMPAT, "") if raw is None else raw
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "all" in names:
        names = (names - {"all"}) | set(COMPAT_TARGETS)
    unknown = sorted(names - set(COMPAT_TARGETS))
    if unknown:
        _log.warning("%s: ignoring %s (known: %s, all)", ENV_COMPAT, ", ".join(unknown), ", ".join(COMPAT_TARGETS))
    return frozenset(names & set(COMPAT_TARGETS))


def crash_grace_s() -> float:
    """AGENTOPS_OTEL_CRASH_GRACE in seconds (default one hour); a bad value falls back with one log line."""
    raw = os.environ.get(ENV_CRASH_GRACE, "").strip().lower()
    if not raw:
        return DEFAULT_CRASH_GRACE_S
    number, unit = (raw[:-1], raw[-1]) if raw[-1] in _UNITS_S else (raw, "s")
    try:
        seconds = float(number) * _UNITS_S[unit]
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        _log.warning("%s=%r is not a duration (90s, 30m, 6h, 2d); using 1h", ENV_CRASH_GRACE, raw)
        return DEFAULT_CRASH_GRACE_S
    return seconds
