"""Export settings from the standard OpenTelemetry variables (and our AGENTOPS_OTEL_ ones).

Bad values fall back to their defaults with one log line, as the OpenTelemetry SDK does. The OTLP
variables are read exactly as the Python OTLP exporters read them (`OTEL_EXPORTER_OTLP_TIMEOUT` in
seconds, signal-specific variables before the generic ones), so a setup that works with the SDK
exporters works here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.environment_variables import OTEL_TRACES_EXPORTER
from opentelemetry.sdk import environment_variables as env
from opentelemetry.util.re import parse_env_headers

_log = logging.getLogger("agentops_otel")

ENV_SPOOL_DIR = "AGENTOPS_OTEL_SPOOL_DIR"  # set: spans waiting for delivery survive the process on disk
ENV_SPOOL_MAX_BYTES = "AGENTOPS_OTEL_SPOOL_MAX_BYTES"

PROTOCOL_GRPC = "grpc"
PROTOCOL_HTTP = "http/protobuf"
DEFAULT_HTTP_ENDPOINT = "http://localhost:4318/v1/traces"
DEFAULT_GRPC_ENDPOINT = "http://localhost:4317"
COMPRESSIONS = ("none", "gzip", "deflate")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_QUEUE_SIZE = 2048
DEFAULT_MAX_BATCH_SIZE = 512
DEFAULT_SCHEDULE_DELAY_S = 5.0
DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class OtlpSettings:
    """Where and how OTLP batches are sent."""

    protocol: str = PROTOCOL_HTTP
    endpoint: str = DEFAULT_HTTP_ENDPOINT
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    compression: str = "none"
    certificate_file: str | None = None
    client_key_file: str | None = None
    client_certificate_file: str | None = None
    insecure: bool = False  # gRPC only, for endpoints without a scheme


@dataclass(frozen=True)
class QueueSettings:
    """How many spans wait in memory, how they are batched, and where they wait on disk."""

    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    schedule_delay_s: float = DEFAULT_SCHEDULE_DELAY_S
    spool_dir: Path | None = None
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES


def _first(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _positive_number(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        _log.warning("%s=%r is not a positive number; using %s", name, raw, default)
        return default
    return value


def exporter_names() -> list[str]:
    """`OTEL_TRACES_EXPORTER` as a list of lower-case names; empty when unset."""
    raw = os.environ.get(OTEL_TRACES_EXPORTER, "")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def otlp_endpoint_configured() -> bool:
    return _first(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT) is not None


def otlp_settings_from_env() -> OtlpSettings:
    protocol = _first(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, env.OTEL_EXPORTER_OTLP_PROTOCOL) or PROTOCOL_HTTP
    protocol = protocol.lower()
    if protocol not in (PROTOCOL_GRPC, PROTOCOL_HTTP):
        _log.warning(
            "OTLP protocol %r is not supported (use grpc or http/protobuf); sending over http/protobuf", protocol
        )
        protocol = PROTOCOL_HTTP
    compression = (
        _first(env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION, env.OTEL_EXPORTER_OTLP_COMPRESSION) or "none"
    ).lower()
    if compression not in COMPRESSIONS:
        _log.warning("OTLP compression %r is not one of %s; sending uncompressed", compression, COMPRESSIONS)
        compression = "none"
    timeout_name = env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT
    raw_timeout = _first(timeout_name, env.OTEL_EXPORTER_OTLP_TIMEOUT)
    insecure = (_first(env.OTEL_EXPORTER_OTLP_TRACES_INSECURE, env.OTEL_EXPORTER_OTLP_INSECURE) or "").lower()
    return OtlpSettings(
        protocol=protocol,
        endpoint=_endpoint(protocol),
        headers=dict(
            parse_env_headers(
                _first(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, env.OTEL_EXPORTER_OTLP_HEADERS) or "", liberal=True
            )
        ),
        timeout_s=_positive_number(timeout_name, raw_timeout, DEFAULT_TIMEOUT_S),
        compression=compression,
        certificate_file=_first(env.OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE, env.OTEL_EXPORTER_OTLP_CERTIFICATE),
        client_key_file=_first(env.OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY, env.OTEL_EXPORTER_OTLP_CLIENT_KEY),
        client_certificate_file=_first(
            env.OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE, env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
        ),
        insecure=insecure == "true",
    )


def _endpoint(protocol: str) -> str:
    """The signal-specific variable is the full URL; the generic one is a base that gets /v1/traces (HTTP)."""
    specific = _first(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    generic = _first(env.OTEL_EXPORTER_OTLP_ENDPOINT)
    if protocol == PROTOCOL_GRPC:
        endpoint = specific or generic or DEFAULT_GRPC_ENDPOINT
    elif specific:
        endpoint = specific
    elif generic:
        endpoint = generic.rstrip("/") + "/v1/traces"
    else:
        endpoint = DEFAULT_HTTP_ENDPOINT
    if protocol == PROTOCOL_HTTP and urlsplit(endpoint).scheme not in ("http", "https"):
        _log.warning("OTLP endpoint %r is not an http(s) URL; using %s", endpoint, DEFAULT_HTTP_ENDPOINT)
        return DEFAULT_HTTP_ENDPOINT
    return endpoint


def queue_settings_from_env() -> QueueSettings:
    """Batching from the standard OTEL_BSP_* variables; the spool from ours."""

    def whole(name: str, default: int) -> int:
        return int(_positive_number(name, _first(name), default))

    spool_dir = _first(ENV_SPOOL_DIR)
    max_queue = whole(env.OTEL_BSP_MAX_QUEUE_SIZE, DEFAULT_MAX_QUEUE_SIZE)
    batch = whole(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, DEFAULT_MAX_BATCH_SIZE)
    if batch > max_queue:
        _log.warning(
            "%s=%d exceeds the queue size %d; using %d", env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, batch, max_queue, max_queue
        )
        batch = max_queue
    return QueueSettings(
        max_queue_size=max_queue,
        max_batch_size=batch,
        schedule_delay_s=whole(env.OTEL_BSP_SCHEDULE_DELAY, int(DEFAULT_SCHEDULE_DELAY_S * 1000)) / 1000,
        spool_dir=Path(spool_dir) if spool_dir else None,
        spool_max_bytes=whole(ENV_SPOOL_MAX_BYTES, DEFAULT_SPOOL_MAX_BYTES),
    )
