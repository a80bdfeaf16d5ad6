"""Zero-code setup: `opentelemetry-instrument python app.py`, configured by environment variables only.

Entry points in pyproject.toml make the OpenTelemetry launcher use:

- `AgentOpsConfigurator` (`opentelemetry_configurator` agentops_otel): calls `agentops_otel.init()`, so the
  whole pipeline (session stamping, cost, in-process recorder, local store and/or OTLP export) is built
  from OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*,
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT and our AGENTOPS_OTEL_* variables.
- `AgentOpsDistro` (`opentelemetry_distro` agentops_otel): loads the instrumentors. Ours
  (`agentops_openai`, `agentops_anthropic`) get the pipeline's provider and content settings and are
  skipped when `init()` already installed them or AGENTOPS_OTEL_INSTRUMENT_LLM=false. Every other
  instrumentor loads as usual; one that instruments the same client library as ours (such as the
  contrib `openai` one) is loaded too, with a warning: each call would be recorded twice, so disable
  one of them with OTEL_PYTHON_DISABLED_INSTRUMENTATIONS.

If other distros or configurators are installed, pick ours with OTEL_PYTHON_DISTRO=agentops_otel and
OTEL_PYTHON_CONFIGURATOR=agentops_otel.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _BaseConfigurator

from ._config import ENV_DISABLED_INSTRUMENTATIONS, ENV_INSTRUMENT, disabled_instrumentations, env_bool
from .instrumentation import INSTRUMENTORS

__all__ = ["AgentOpsConfigurator", "AgentOpsDistro"]

_log = logging.getLogger("agentops_otel")


class AgentOpsConfigurator(_BaseConfigurator):
    """Builds the agentops_otel pipeline from the environment (as `agentops_otel.init()` does)."""

    def _configure(self, **kwargs: Any) -> None:
        from .capture._lifecycle import ensure_started

        ensure_started()  # as init() does, but no session of its own unless AGENTOPS_AUTO_START_SESSION asks


def _libraries(instrumentor: Any) -> set[str]:
    """The distribution names an instrumentor instruments, from its declared requirements."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = set()
    for requirement in instrumentor.instrumentation_dependencies() or ():
        try:
            names.add(Requirement(requirement).name.lower())
        except InvalidRequirement:
            continue
    return names


class AgentOpsDistro(BaseDistro):  # type: ignore[misc]
    """Loads instrumentors for `opentelemetry-instrument`, ours with the pipeline's settings."""

    def _configure(self, **kwargs: Any) -> None:
        # Client libraries our instrumentors will cover in this process, to spot a second instrumentation.
        disabled = disabled_instrumentations()
        self._ours = set()
        if env_bool(ENV_INSTRUMENT, True):
            for registered in INSTRUMENTORS:
                if registered.name not in disabled:
                    self._ours |= _libraries(registered.load()())

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        from ._pipeline import current_pipeline
        from .instrumentation._base import LLMInstrumentor

        instrumentor = entry_point.load()()
        if not isinstance(instrumentor, LLMInstrumentor):
            doubled = _libraries(instrumentor) & getattr(self, "_ours", set())
            if doubled:
                _log.warning(
                    "%s and agentops_otel both instrument %s: every call would be recorded twice; "
                    "disable one with %s=%s",
                    entry_point.name,
                    ", ".join(sorted(doubled)),
                    ENV_DISABLED_INSTRUMENTATIONS,
                    entry_point.name,
                )
            instrumentor.instrument(**kwargs)
            return
        if not env_bool(ENV_INSTRUMENT, True):
            return
        if instrumentor.is_instrumented_by_opentelemetry:  # init() did it
            return
        pipeline = current_pipeline()
        if pipeline is not None:
            kwargs.update(
                tracer_provider=pipeline.provider,
                capture_content=pipeline.settings.capture,
                max_content_length=pipeline.settings.max_content_length,
            )
        instrumentor.instrument(**kwargs)
