"""Send one encoded OTLP batch (`ExportTraceServiceRequest` bytes) over HTTP/protobuf or gRPC.

A transport makes exactly one attempt and says what happened; retrying, backoff and spooling are
the processor's business. That split is why we do not call the SDK's OTLP exporters here: they
retry inside `export()` (blocking the worker for the whole timeout), cannot tell a permanent
rejection from a transient one, and take spans, not the bytes we keep on disk for the next run.
We reuse their encoder, protobuf stubs and variables, and follow the OTLP specification's rules
for which answers are retryable and for throttling (Retry-After, gRPC RetryInfo).
"""

from __future__ import annotations

import functools
import gzip
import math
import time
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .._version import __version__
from ._settings import PROTOCOL_GRPC, OtlpSettings

USER_AGENT = f"agentops-otel/{__version__}"
# OTLP spec: 429, 502, 503, 504 are retryable. We also retry 408 and 500, which proxies and
# overloaded collectors answer for transient trouble; a span retried twice beats a span lost.
RETRYABLE_HTTP_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt did. `error_type` is low-cardinality (a status code or exception class)."""

    delivered: bool
    retryable: bool = False
    retry_after_s: float | None = None
    error_type: str = ""
    detail: str = ""
    rejected_spans: int = 0  # OTLP partial success: the backend accepted the batch but not these
    too_large: bool = False  # refused for its size (HTTP 413, gRPC RESOURCE_EXHAUSTED without RetryInfo)


class Transport(Protocol):
    endpoint: str

    def send(self, payload: bytes, timeout_s: float | None = None) -> SendOutcome:
        """One attempt, given up after `timeout_s` (default: the configured OTLP timeout)."""
        ...

    def close(self) -> None: ...


def build_transport(settings: OtlpSettings) -> Transport:
    return GrpcTransport(settings) if settings.protocol == PROTOCOL_GRPC else HttpTransport(settings)


def _rejected(body: bytes) -> tuple[int, str]:
    try:
        partial = ExportTraceServiceResponse.FromString(body).partial_success
    except Exception:  # a 2xx with a body we cannot read still means "accepted"
        return 0, ""
    return partial.rejected_spans, partial.error_message


def parse_retry_after(value: str | None) -> float | None:
    """RFC 9110 Retry-After: delay in seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - time.time(), 0.0)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


_RESET_MEANS_TOO_LARGE = 1024 * 1024


def _was_reset(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(8):  # requests -> urllib3 -> the socket error, through args and causes
        if seen is None:
            return False
        if isinstance(seen, ConnectionResetError | BrokenPipeError):
            return True
        inner = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = inner or getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False


class HttpTransport:
    def __init__(self, settings: OtlpSettings) -> None:
        import requests

        self.endpoint = settings.endpoint
        self._timeout = settings.timeout_s
        self._compression = settings.compression
        self._session = requests.Session()
        self._session.headers.update({"Content-Type": "application/x-protobuf", "User-Agent": USER_AGENT})
        self._session.headers.update(settings.headers)
        if settings.compression != "none":
            self._session.headers["Content-Encoding"] = settings.compression
        if settings.certificate_file:
            self._session.verify = settings.certificate_file
        if settings.client_certificate_file and settings.client_key_file:
            self._session.cert = (settings.client_certificate_file, settings.client_key_file)

    def send(self, payload: bytes, timeout_s: float | None = None) -> SendOutcome:
        import requests

        if self._compression == "gzip":
            payload = gzip.compress(payload, compresslevel=6)
        elif self._compression == "deflate":
            payload = zlib.compress(payload)
        try:
            with suppress_instrumentation():  # never trace our own export requests
                response = self._session.post(self.endpoint, data=payload, timeout=timeout_s or self._timeout)
        except requests.RequestException as error:
            # requests wraps urllib3's MaxRetryError; its `reason` is the readable part.
            reason = getattr(error.args[0], "reason", None) if error.args else None
            return SendOutcome(
                False,
                retryable=True,
                error_type=type(error).__name__,
                detail=str(reason or error),
                # A receiver that stops reading an oversized body may reset the connection before
                # its 413 arrives: a large batch cut off that way is split like one refused with 413.
                too_large=len(payload) >= _RESET_MEANS_TOO_LARGE and _was_reset(error),
            )
        status = response.status_code
        if 200 <= status < 300:
            rejected, message = _rejected(response.content)
            return SendOutcome(True, rejected_spans=rejected, detail=message)
        return SendOutcome(
            False,
            retryable=status in RETRYABLE_HTTP_STATUS,
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            error_type=str(status),
            detail=f"HTTP {status} {response.reason}: {response.text[:200]}",
            too_large=status == 413,
        )

    def close(self) -> None:
        self._session.close()


class GrpcTransport:
    def __init__(self, settings: OtlpSettings) -> None:
        import grpc
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

        self.endpoint = settings.endpoint
        parts = urlsplit(settings.endpoint if "://" in settings.endpoint else f"//{settings.endpoint}")
        target = parts.netloc or settings.endpoint
        secure = parts.scheme == "https" or (parts.scheme not in ("http", "https") and not settings.insecure)
        compression = {"gzip": grpc.Compression.Gzip, "deflate": grpc.Compression.Deflate}.get(
            settings.compression, grpc.Compression.NoCompression
        )
        # Reconnect soon after the backend comes back (gRPC's default backoff grows to two minutes).
        options = [
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.min_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 5_000),
            ("grpc.primary_user_agent", USER_AGENT),
        ]
        if secure:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(settings.certificate_file),
                private_key=_read(settings.client_key_file),
                certificate_chain=_read(settings.client_certificate_file),
            )
            self._channel = grpc.secure_channel(target, credentials, options, compression)
        else:
            self._channel = grpc.insecure_channel(target, options, compression)
        self._stub = TraceServiceStub(self._channel)
        self._metadata = tuple((key.lower(), value) for key, value in settings.headers.items())
        self._timeout = settings.timeout_s

    def send(self, payload: bytes, timeout_s: float | None = None) -> SendOutcome:
        import grpc

        try:
            with suppress_instrumentation():
                response = self._stub.Export(
                    ExportTraceServiceRequest.FromString(payload),
                    metadata=self._metadata,
                    timeout=timeout_s or self._timeout,
                )
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
            retry_after = _grpc_retry_delay(error)
            return SendOutcome(
                False,
                retryable=code in _retryable_grpc_codes(),
                retry_after_s=retry_after,
                error_type=code.name,
                detail=f"gRPC {code.name}: {error.details() if isinstance(error, grpc.Call) else error}",
                # Throttling comes with RetryInfo (OTLP spec); without it, it is the receiver's size limit.
                too_large=code is grpc.StatusCode.RESOURCE_EXHAUSTED and retry_after is None,
            )
        partial = response.partial_success
        return SendOutcome(True, rejected_spans=partial.rejected_spans, detail=partial.error_message)

    def close(self) -> None:
        self._channel.close()


@functools.cache
def _retryable_grpc_codes() -> frozenset:
    """The OTLP specification's retryable gRPC codes (grpc is imported only when gRPC is used)."""
    import grpc

    codes = grpc.StatusCode
    return frozenset(
        {
            codes.CANCELLED,
            codes.DEADLINE_EXCEEDED,
            codes.RESOURCE_EXHAUSTED,
            codes.ABORTED,
            codes.OUT_OF_RANGE,
            codes.UNAVAILABLE,
            codes.DATA_LOSS,
        }
    )


def _grpc_retry_delay(error: object) -> float | None:
    """The server's RetryInfo (OTLP throttling), from the `grpc-status-details-bin` trailer."""
    try:
        from google.rpc import error_details_pb2, status_pb2

        for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
            if key != "grpc-status-details-bin":
                continue
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    info = error_details_pb2.RetryInfo()
                    detail.Unpack(info)
                    return info.retry_delay.ToTimedelta().total_seconds()
    except Exception:  # throttling hints are optional; our own backoff applies without them
        return None
    return None


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as file:
        return file.read()
