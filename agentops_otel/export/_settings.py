"""Export settings from the standard OpenTelemetry variables (and our AGENTOPS_OTEL_ ones).

Bad values fall back to their defaults with one log line, as the OpenTelemetry SDK does. The OTLP
variables are read exactly as the Python OTLP exporters read them (`OTEL_EXPORTER_OTLP_TIMEOUT` in
seconds, signal-specific variables before the generic ones), so a setup that works with the SDK
exporters works here.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.environment_variables import OTEL_TRACES_EXPORTER
from opentelemetry.sdk import environment_variables as env
from opentelemetry.util.re import parse_env_headers

from .._config import env_bool

_log = logging.getLogger("agentops_otel")

ENV_SPOOL = "AGENTOPS_OTEL_SPOOL"  # "false": spans waiting for delivery stay in memory (lost at exit)
ENV_SPOOL_DIR = "AGENTOPS_OTEL_SPOOL_DIR"  # where they wait on disk (default: spool/ beside the store)
ENV_SPOOL_MAX_BYTES = "AGENTOPS_OTEL_SPOOL_MAX_BYTES"
ENV_MAX_QUEUE_BYTES = "AGENTOPS_OTEL_MAX_QUEUE_BYTES"  # encoded spans waiting in memory
ENV_MAX_BATCH_BYTES = "AGENTOPS_OTEL_MAX_BATCH_BYTES"  # the largest request we send
ENV_EXIT_TIMEOUT = "AGENTOPS_OTEL_EXIT_TIMEOUT"  # seconds the whole exit flush may take

PROTOCOL_GRPC = "grpc"
PROTOCOL_HTTP = "http/protobuf"
DEFAULT_HTTP_ENDPOINT = "http://localhost:4318/v1/traces"
DEFAULT_GRPC_ENDPOINT = "http://localhost:4317"
COMPRESSIONS = ("none", "gzip", "deflate")

MIB = 1024 * 1024
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BATCH_SIZE = 512
DEFAULT_SCHEDULE_DELAY_S = 5.0
DEFAULT_SPOOL_MAX_BYTES = 256 * MIB
# Encoded bytes held in memory: 16 minutes of a busy agent (bench/run.py --only busy-agent: 4.1 MB a minute).
DEFAULT_MAX_QUEUE_BYTES = 64 * MIB
# Under the Collector's default receive limits: 4 MiB per gRPC message, 20 MiB per HTTP body.
DEFAULT_MAX_BATCH_BYTES = {PROTOCOL_GRPC: 3 * MIB, PROTOCOL_HTTP: 16 * MIB}


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
    """How many spans wait in memory, how they are batched, and where they wait on disk.

    The memory bound is in encoded bytes (`max_queue_bytes`); `max_queue_size` adds a bound in spans
    only when given (OTEL_BSP_MAX_QUEUE_SIZE). A batch holds at most `max_batch_size` spans and
    `max_batch_bytes` bytes (default: under the receiver limit of the protocol).
    """

    max_queue_size: int | None = None
    max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_batch_bytes: int | None = None
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


def default_spool_dir(store_file: Path, endpoint: str) -> Path:
    """`spool/<endpoint>` beside the local store (.agentops/spool/...): one folder per backend, so two
    programs run from the same folder never send each other's spans to the wrong place."""
    where = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
    readable = "".join(c if c.isalnum() else "_" for c in f"{where.hostname or 'otlp'}_{where.port or ''}")
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:8]
    return store_file.parent / "spool" / f"{readable}-{digest}"


def queue_settings_from_env(default_spool: Path | None = None) -> QueueSettings:
    """Batching from the standard OTEL_BSP_* variables; the byte bounds and the spool from ours.

    The spool is on unless AGENTOPS_OTEL_SPOOL=false: in AGENTOPS_OTEL_SPOOL_DIR, else `default_spool`.
    """

    def whole(name: str, default: int) -> int:
        return int(_positive_number(name, _first(name), default))

    def optional_whole(name: str) -> int | None:
        raw = _first(name)
        if raw is None:
            return None
        try:
            value = int(float(raw))
        except ValueError:
            value = 0
        if value <= 0:
            _log.warning("%s=%r is not a positive number; ignoring it", name, raw)
            return None
        return value

    max_queue = optional_whole(env.OTEL_BSP_MAX_QUEUE_SIZE)
    batch = whole(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, DEFAULT_MAX_BATCH_SIZE)
    if max_queue is not None and batch > max_queue:
        _log.warning(
            "%s=%d exceeds the queue size %d; using %d", env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, batch, max_queue, max_queue
        )
        batch = max_queue
    spool_dir: Path | None = None
    if env_bool(ENV_SPOOL, True):
        given = _first(ENV_SPOOL_DIR)
        spool_dir = Path(given) if given else default_spool
    return QueueSettings(
        max_queue_size=max_queue,
        max_queue_bytes=whole(ENV_MAX_QUEUE_BYTES, DEFAULT_MAX_QUEUE_BYTES),
        max_batch_size=batch,
        max_batch_bytes=optional_whole(ENV_MAX_BATCH_BYTES),
        schedule_delay_s=whole(env.OTEL_BSP_SCHEDULE_DELAY, int(DEFAULT_SCHEDULE_DELAY_S * 1000)) / 1000,
        spool_dir=spool_dir,
        spool_max_bytes=whole(ENV_SPOOL_MAX_BYTES, DEFAULT_SPOOL_MAX_BYTES),
    )


def exit_timeout_s() -> float:
    """How long the whole exit flush may take: AGENTOPS_OTEL_EXIT_TIMEOUT, else the OTLP timeout."""
    otlp = _positive_number(
        env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
        _first(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, env.OTEL_EXPORTER_OTLP_TIMEOUT),
        DEFAULT_TIMEOUT_S,
    )
    return _positive_number(ENV_EXIT_TIMEOUT, _first(ENV_EXIT_TIMEOUT), otlp)
