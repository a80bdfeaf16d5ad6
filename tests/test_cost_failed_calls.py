"""A call the provider refused (HTTP error, no usage) is not billed: priced at $0 and said why."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from agentops_otel import semconv as sc
from agentops_otel.cost import CostProcessor


def _ended_call(**attrs):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CostProcessor([SimpleSpanProcessor(exporter)]))
    span = provider.get_tracer("t").start_span(
        "chat gpt-4o", attributes={sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_REQUEST_MODEL: "gpt-4o", **attrs}
    )
    span.set_status(Status(StatusCode.ERROR, "failed"))
    span.end()
    (finished,) = exporter.get_finished_spans()
    return finished.attributes


def test_a_refused_call_costs_nothing_and_says_so():
    attrs = _ended_call(**{sc.HTTP_RESPONSE_STATUS_CODE: 429, sc.ERROR_TYPE: "RateLimitError"})
    assert attrs[sc.AGENTOPS_COST_STATUS] == "priced"
    assert attrs[sc.AGENTOPS_COST_USD] == 0.0
    assert attrs[sc.AGENTOPS_COST_SOURCE] == "not billed: the provider answered HTTP 429"


def test_a_call_cut_off_without_an_answer_stays_unpriced():
    attrs = _ended_call(**{sc.ERROR_TYPE: "APIConnectionError"})  # the provider may have billed a part
    assert attrs[sc.AGENTOPS_COST_STATUS] == "unpriced"
    assert "no token usage" in attrs[sc.AGENTOPS_COST_UNPRICED_REASON]
