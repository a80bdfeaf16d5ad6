"""Which exporters run, and how OTLP is configured, from the standard OpenTelemetry variables; the
resource from the environment and `init()` arguments."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from agentops_otel import semconv as sc
from agentops_otel.export import ReliableExportProcessor, build_resource, build_span_processors
from agentops_otel.export._settings import (
    default_spool_dir,
    exit_timeout_s,
    otlp_settings_from_env,
    queue_settings_from_env,
)
from agentops_otel.export._transport import parse_retry_after
from agentops_otel.store import LocalStoreExporter, LocalStoreProcessor

OTEL_VARS = (
    "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION", "AGENTOPS_OTEL_STORE",
    "AGENTOPS_OTEL_SPOOL_DIR", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "AGENTOPS_OTEL_SPOOL", "AGENTOPS_OTEL_MAX_QUEUE_BYTES",
    "AGENTOPS_OTEL_MAX_BATCH_BYTES", "AGENTOPS_OTEL_EXIT_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARS:
        monkeypatch.delenv(name, raising=False)


def kinds(processors: list) -> list[str]:
    """Each processor by what it exports to, and shut them down (their threads stop)."""
    names = []
    for processor in processors:
        if isinstance(processor, ReliableExportProcessor):
            names.append("otlp")
        elif isinstance(processor, LocalStoreProcessor):
            names.append("store")
        else:
            exporter = processor._batch_processor._exporter
            names.append({LocalStoreExporter: "store", ConsoleSpanExporter: "console"}[type(exporter)])
        processor.shutdown()
    return names


def test_nothing_configured_means_the_local_store_only(tmp_path: Path) -> None:
    assert kinds(build_span_processors(store_path=tmp_path / "t.db")) == ["store"]


def test_an_otlp_endpoint_alone_turns_otlp_on_and_the_store_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert kinds(build_span_processors()) == ["otlp"]


@pytest.mark.parametrize(
    ("exporters", "store", "store_env", "expected"),
    [
        ("otlp", None, None, ["otlp"]),
        ("otlp,agentops_store", None, None, ["otlp", "store"]),
        ("otlp", True, None, ["otlp", "store"]),
        ("otlp,agentops_store", False, None, ["otlp"]),
        ("otlp", None, "true", ["otlp", "store"]),
        ("agentops_store", None, "false", []),
        ("none", None, None, []),
        ("none", True, None, ["store"]),
        (" OTLP , console ,otlp", None, None, ["otlp", "console"]),
    ],
)
def test_exporter_choice(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    exporters: str,
    store: bool | None,
    store_env: str | None,
    expected: list[str],
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", exporters)
    if store_env is not None:
        monkeypatch.setenv("AGENTOPS_OTEL_STORE", store_env)
    assert kinds(build_span_processors(store=store, store_path=tmp_path / "t.db")) == expected


def test_an_unknown_exporter_is_skipped_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "jaegr,otlp")
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        assert kinds(build_span_processors()) == ["otlp"]
    assert [r.getMessage() for r in caplog.records if "jaegr" in r.getMessage()] == [
        "OTEL_TRACES_EXPORTER names 'jaegr', which is not an installed exporter "
        "(use otlp, console, agentops_store or none); skipping it"
    ]


def test_the_local_store_is_also_reachable_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    (entry,) = entry_points(group="opentelemetry_traces_exporter", name="agentops_store")
    assert entry.load() is LocalStoreExporter


def test_http_settings_follow_the_sdk_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc,x-team=agents")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2.5")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "GZIP")
    settings = otlp_settings_from_env()
    assert settings.protocol == "http/protobuf"
    assert settings.endpoint == "http://collector:4318/v1/traces"  # the generic endpoint is a base URL
    assert dict(settings.headers) == {"authorization": "Bearer abc", "x-team": "agents"}
    assert (settings.timeout_s, settings.compression) == (2.5, "gzip")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:9999/custom")
    assert otlp_settings_from_env().endpoint == "http://other:9999/custom"  # the signal one is used as is


def test_grpc_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert otlp_settings_from_env().endpoint == "http://localhost:4317"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")  # signal-specific wins
    assert otlp_settings_from_env().endpoint == "http://localhost:4318/v1/traces"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTLP protocol 'http/json' is not supported"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", "OTLP compression 'brotli' is not one of"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT='soon' is not a positive number"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "-1", "is not a positive number"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318", "is not an http(s) URL"),
    ],
)
def test_bad_values_fall_back_to_defaults_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        settings = otlp_settings_from_env()
    assert len(caplog.records) == 1 and message in caplog.records[0].getMessage()
    assert settings.protocol == "http/protobuf"
    assert settings.compression == "none"
    assert settings.timeout_s == 10.0
    assert settings.endpoint.startswith("http")


def test_queue_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert queue_settings_from_env().spool_dir is None
    monkeypatch.setenv("AGENTOPS_OTEL_SPOOL_DIR", str(tmp_path))
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500")
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        settings = queue_settings_from_env()
    assert (settings.spool_dir, settings.max_queue_size, settings.max_batch_size) == (tmp_path, 100, 100)
    assert "exceeds the queue size" in caplog.text


def test_delivery_defaults_and_their_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    default = tmp_path / "spool" / "x"
    settings = queue_settings_from_env(default)
    assert (settings.spool_dir, settings.max_queue_size, settings.max_queue_bytes) == (default, None, 64 << 20)
    assert settings.max_batch_bytes is None  # the protocol's: 3 MiB gRPC, 16 MiB HTTP
    assert exit_timeout_s() == 10.0
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "4")
    assert exit_timeout_s() == 4.0  # the exit deadline follows the OTLP timeout...
    monkeypatch.setenv("AGENTOPS_OTEL_EXIT_TIMEOUT", "2.5")
    assert exit_timeout_s() == 2.5  # ...unless set on its own
    monkeypatch.setenv("AGENTOPS_OTEL_MAX_QUEUE_BYTES", "1000000")
    monkeypatch.setenv("AGENTOPS_OTEL_MAX_BATCH_BYTES", "500000")
    monkeypatch.setenv("AGENTOPS_OTEL_SPOOL", "false")
    settings = queue_settings_from_env(default)
    assert (settings.spool_dir, settings.max_queue_bytes, settings.max_batch_bytes) == (None, 1_000_000, 500_000)


def test_the_default_spool_is_one_folder_per_endpoint_beside_the_store(tmp_path: Path) -> None:
    store = tmp_path / ".agentops" / "traces.db"
    grpc = default_spool_dir(store, "http://collector:4317")
    http = default_spool_dir(store, "http://collector:4318/v1/traces")
    assert grpc.parent == http.parent == tmp_path / ".agentops" / "spool"
    assert grpc != http and grpc.name.startswith("collector_4317-")


@pytest.mark.parametrize(
    ("name", "value"),
    [("AGENTOPS_OTEL_MAX_QUEUE_BYTES", "lots"), ("AGENTOPS_OTEL_MAX_BATCH_BYTES", "0"),
     ("AGENTOPS_OTEL_EXIT_TIMEOUT", "-3"), ("AGENTOPS_OTEL_SPOOL", "perhaps")],
)  # fmt: skip
def test_bad_delivery_values_fall_back_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="agentops_otel"):
        settings = queue_settings_from_env(tmp_path)
        timeout = exit_timeout_s()
    assert len(caplog.records) == 1 and name in caplog.records[0].getMessage()
    assert (settings.spool_dir, settings.max_queue_bytes, settings.max_batch_bytes, timeout) == (
        tmp_path,
        64 << 20,
        None,
        10.0,
    )


def test_resource_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.version=0.9,deployment.environment.name=dev,team=a")
    from_env = build_resource().attributes
    assert from_env[sc.SERVICE_NAME] == "from-env"
    assert from_env[sc.SERVICE_VERSION] == "0.9"
    assert from_env[sc.DEPLOYMENT_ENVIRONMENT_NAME] == "dev"
    given = build_resource("support-bot", "1.4.0", "prod").attributes
    assert (given[sc.SERVICE_NAME], given[sc.SERVICE_VERSION], given[sc.DEPLOYMENT_ENVIRONMENT_NAME]) == (
        "support-bot",
        "1.4.0",
        "prod",
    )
    assert given["team"] == "a"  # the rest of the environment's resource stays


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0.5", 0.5), ("-5", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None),
     ("nan", None), ("", None), (None, None)],
)  # fmt: skip
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_a_future_http_date() -> None:
    from email.utils import formatdate

    delay = parse_retry_after(formatdate(time.time() + 3600, usegmt=True))
    assert delay is not None and 3500 < delay <= 3600
