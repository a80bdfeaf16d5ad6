"""Where spans go: OTLP (gRPC or HTTP/protobuf, retrying, bounded, optionally spooled to disk), the
local store, the console, chosen by the standard OpenTelemetry variables.

    OTEL_TRACES_EXPORTER=otlp,agentops_store      # comma list: otlp, console, agentops_store, none
                                                  # (or any installed opentelemetry_traces_exporter)
    OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf     # or grpc (endpoint http://collector:4317)
    OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT (seconds) / _COMPRESSION (gzip, deflate, none)
    AGENTOPS_OTEL_SPOOL_DIR=/var/spool/agent      # where spans wait while the backend is unreachable
                                                  # (default: .agentops/spool/<endpoint>, beside the
                                                  # store); the next run sends them. AGENTOPS_OTEL_SPOOL=false:
                                                  # in memory only
    AGENTOPS_OTEL_MAX_QUEUE_BYTES / _MAX_BATCH_BYTES / _SPOOL_MAX_BYTES / _EXIT_TIMEOUT (seconds)

With nothing configured, spans go to the local store only. Setting an OTLP endpoint without
`OTEL_TRACES_EXPORTER` turns OTLP on (and the store off). `init(store=True/False)` or
`AGENTOPS_OTEL_STORE` adds or removes the store whatever else is configured.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from .. import semconv as sc
from .._config import ENV_STORE, env_bool
from .._config import store_path as default_store_path
from .._liveness import writer_identity
from ._processor import ReliableExportProcessor
from ._settings import (
    ENV_SPOOL_DIR,
    OtlpSettings,
    QueueSettings,
    default_spool_dir,
    exit_timeout_s,
    exporter_names,
    otlp_endpoint_configured,
    otlp_settings_from_env,
    queue_settings_from_env,
)
from ._transport import build_transport

__all__ = [
    "ENV_SPOOL_DIR",
    "OtlpSettings",
    "QueueSettings",
    "ReliableExportProcessor",
    "build_otlp_processor",
    "build_resource",
    "build_span_processors",
    "exit_timeout_s",
]

_log = logging.getLogger("agentops_otel")

OTLP, CONSOLE, NONE, STORE = "otlp", "console", "none", "agentops_store"


def build_resource(
    service_name: str | None = None, service_version: str | None = None, environment: str | None = None
) -> Resource:
    """The SDK's resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, telemetry.sdk.*), with the
    `init()` arguments on top: an argument wins over the environment. Below both, this process
    (`process.pid`, `host.name`, `process.creation.time`): where a session's root never arrives (the
    process was killed), readers ask whether the process that sent its steps still runs."""
    given = {
        sc.SERVICE_NAME: service_name,
        sc.SERVICE_VERSION: service_version,
        sc.DEPLOYMENT_ENVIRONMENT_NAME: environment,
    }
    made = Resource.create({key: value for key, value in given.items() if value})
    return Resource(writer_identity()).merge(made)


def build_otlp_processor(
    otlp: OtlpSettings | None = None, queue: QueueSettings | None = None, *, store_path: Path | None = None
) -> ReliableExportProcessor:
    """The OTLP exporter from the given settings, else from the environment; its spool defaults to
    `spool/<endpoint>` beside the local store (`store_path`, else the configured one)."""
    otlp = otlp or otlp_settings_from_env()
    if queue is None:
        queue = queue_settings_from_env(default_spool_dir(store_path or default_store_path(), otlp.endpoint))
    return ReliableExportProcessor(build_transport(otlp), queue)


def build_span_processors(*, store: bool | None = None, store_path: Path | None = None) -> list[SpanProcessor]:
    """The export processors the configuration asks for; the pipeline puts them after the cost processor.

    Never raises for a bad environment: an unknown exporter name is skipped with one log line.
    """
    names = exporter_names()
    if not names and otlp_endpoint_configured():
        names = [OTLP]
    store_default = STORE in names or not names
    if store is None:
        store = env_bool(ENV_STORE, store_default)
    processors: list[SpanProcessor] = []
    for name in dict.fromkeys(names):  # each exporter once, in the order given
        if name in (NONE, STORE):
            continue
        if name == OTLP:
            processors.append(build_otlp_processor(store_path=store_path))
        elif name == CONSOLE:
            processors.append(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            processor = _processor_from_entry_point(name)
            if processor is not None:
                processors.append(processor)
    if store:
        from ..store import LocalStoreExporter, LocalStoreProcessor

        processors.append(LocalStoreProcessor(LocalStoreExporter(store_path)))
    return processors


def _processor_from_entry_point(name: str) -> SpanProcessor | None:
    """Any other `opentelemetry_traces_exporter` installed (zipkin, ...), batched by the SDK."""
    found = entry_points(group="opentelemetry_traces_exporter", name=name)
    if not found:
        _log.warning(
            "OTEL_TRACES_EXPORTER names %r, which is not an installed exporter (use otlp, console, %s or none); "
            "skipping it",
            name,
            STORE,
        )
        return None
    try:
        return BatchSpanProcessor(next(iter(found)).load()())
    except Exception as error:  # a broken third-party exporter must not stop the application
        _log.warning("could not start the %r traces exporter: %s", name, error)
        return None
