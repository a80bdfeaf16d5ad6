"""The Collector configurations in collector-config/ are well formed (no collector binary can run here):
every pipeline names components that are defined and shipped by the contrib distribution, connectors join
pipelines of the right signals, and the sampling and span-metrics rules keep what the README promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agentops_otel import semconv as sc

CONFIG_DIR = Path(__file__).resolve().parents[1] / "collector-config"
STACKS = ("jaeger", "tempo")
PINNED_COLLECTOR = "otel/opentelemetry-collector-contrib:0.136.0"

# Component types of otelcol-contrib 0.136.0, from open-telemetry/opentelemetry-collector-releases
# distributions/otelcol-contrib/manifest.yaml (commit 008cde8ca78c): the ones a traces gateway uses.
# A type missing here fails the test: check it against that manifest before adding it.
CONTRIB_COMPONENTS = {
    "receivers": {"otlp", "zipkin", "jaeger", "kafka", "prometheus", "nop"},
    "processors": {
        "batch",
        "memory_limiter",
        "tail_sampling",
        "probabilistic_sampler",
        "attributes",
        "resource",
        "filter",
        "transform",
        "span",
        "groupbytrace",
        "k8sattributes",
        "resourcedetection",
        "redaction",
    },
    "exporters": {
        "otlp",
        "otlphttp",
        "debug",
        "nop",
        "prometheus",
        "prometheusremotewrite",
        "file",
        "kafka",
        "loadbalancing",
        "zipkin",
    },
    "connectors": {"spanmetrics", "servicegraph", "count", "forward", "routing", "exceptions"},
}
# What each connector consumes (as an exporter) and produces (as a receiver).
CONNECTOR_SIGNALS = {
    "spanmetrics": ("traces", "metrics"),
    "servicegraph": ("traces", "metrics"),
    "forward": (None, None),
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def component_type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


@pytest.fixture(params=STACKS)
def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(CONFIG_DIR / request.param / "otel-collector.yaml")


def test_every_component_is_a_contrib_component(config: dict[str, Any]) -> None:
    for kind, shipped in CONTRIB_COMPONENTS.items():
        for component_id in config.get(kind) or {}:
            assert component_type(component_id) in shipped, f"{kind} {component_id!r} is not in otelcol-contrib"


def test_pipelines_name_only_defined_components_and_use_all_of_them(config: dict[str, Any]) -> None:
    defined = {kind: set(config.get(kind) or {}) for kind in CONTRIB_COMPONENTS}
    connectors = defined["connectors"]
    used: set[str] = set()
    pipelines = config["service"]["pipelines"]
    assert pipelines
    for name, pipeline in pipelines.items():
        assert component_type(name) in ("traces", "metrics", "logs"), name
        assert pipeline["receivers"] and pipeline["exporters"], name
        for receiver in pipeline["receivers"]:
            assert receiver in defined["receivers"] | connectors, f"{name}: undefined receiver {receiver}"
        for processor in pipeline.get("processors", []):
            assert processor in defined["processors"], f"{name}: undefined processor {processor}"
        for exporter in pipeline["exporters"]:
            assert exporter in defined["exporters"] | connectors, f"{name}: undefined exporter {exporter}"
        used |= {*pipeline["receivers"], *pipeline.get("processors", []), *pipeline["exporters"]}
    unused = set().union(*defined.values()) - used
    assert not unused, f"defined but in no pipeline: {unused}"


def test_connectors_join_pipelines_of_the_right_signals(config: dict[str, Any]) -> None:
    pipelines = config["service"]["pipelines"]
    for connector in config.get("connectors") or {}:
        consumes, produces = CONNECTOR_SIGNALS[component_type(connector)]
        into = [component_type(n) for n, p in pipelines.items() if connector in p["exporters"]]
        out_of = [component_type(n) for n, p in pipelines.items() if connector in p["receivers"]]
        assert into and out_of, f"connector {connector} must end one pipeline and start another"
        assert consumes is None or set(into) == {consumes}, connector
        assert produces is None or set(out_of) == {produces}, connector


def test_memory_limiter_first_and_batch_last_in_every_pipeline(config: dict[str, Any]) -> None:
    for name, pipeline in config["service"]["pipelines"].items():
        processors = [component_type(p) for p in pipeline.get("processors", [])]
        assert processors[0] == "memory_limiter", name
        assert processors[-1] == "batch", name


def test_tail_sampling_keeps_every_failed_session_and_samples_the_rest(config: dict[str, Any]) -> None:
    policies = {p["type"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    failed = policies["string_attribute"]["string_attribute"]
    assert failed["key"] == sc.AGENTOPS_SESSION_END_STATE
    assert failed["values"] == [sc.SessionEndStateValues.FAIL]
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert 0 < policies["probabilistic"]["probabilistic"]["sampling_percentage"] < 100
    # Only OR-ed top-level policies: an `and` or composite wrapper would make failures conditional.
    assert set(policies) == {"string_attribute", "status_code", "probabilistic"}


def test_span_metrics_see_every_span_before_sampling(config: dict[str, Any]) -> None:
    dimensions = [d["name"] for d in config["connectors"]["spanmetrics"]["dimensions"]]
    assert sc.AGENTOPS_SESSION_END_STATE in dimensions
    pipelines = config["service"]["pipelines"].values()
    feeding = [p for p in pipelines if "spanmetrics" in p["exporters"]]
    assert feeding and all("tail_sampling" not in p.get("processors", []) for p in feeding)
    sampled = [p for p in pipelines if "tail_sampling" in p.get("processors", [])]
    assert sampled and all(p["receivers"] == ["otlp"] for p in sampled + feeding)


@pytest.mark.parametrize("stack", STACKS)
def test_compose_runs_the_pinned_collector_with_this_config(stack: str) -> None:
    compose = load(CONFIG_DIR / stack / "compose.yaml")
    services = compose["services"]
    collector = services["otel-collector"]
    assert collector["image"] == PINNED_COLLECTOR
    assert "./otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro" in collector["volumes"]
    assert {"127.0.0.1:4317:4317", "127.0.0.1:4318:4318"} <= set(collector["ports"])
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin an image version"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (CONFIG_DIR / stack / source).exists(), f"{name} mounts missing {source}"
        for dependency in service.get("depends_on", []):
            assert dependency in services
    backend = {"jaeger": "jaeger", "tempo": "tempo"}[stack]
    exporter_endpoints = [e["endpoint"] for e in load(CONFIG_DIR / stack / "otel-collector.yaml")["exporters"].values()]
    assert f"{backend}:4317" in exporter_endpoints and backend in services


def test_grafana_has_the_tempo_data_source_provisioned() -> None:
    provisioning = load(CONFIG_DIR / "tempo" / "grafana" / "provisioning" / "datasources" / "datasources.yaml")
    by_type = {source["type"]: source for source in provisioning["datasources"]}
    assert by_type["tempo"]["url"] == "http://tempo:3200"
    assert by_type["prometheus"]["url"] == "http://prometheus:9090"
    tempo = load(CONFIG_DIR / "tempo" / "tempo.yaml")
    assert tempo["server"]["http_listen_port"] == 3200
    assert "otlp" in tempo["distributor"]["receivers"]
