"""Every credential shape is masked in every form it takes, keeping its shape; ordinary text is not."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

import agentops_otel
from agentops_otel import _pipeline
from agentops_otel._redact import DEFAULT, MASK, Redactor, from_environment, is_secret_name
from agentops_otel.errors import ConfigurationError
from tests._secret_shapes import ORDINARY, SHAPE_IDS, SHAPES, Shape

pytest_plugins = ["tests._llm_fixtures"]

FORMS = {
    "text": lambda v: f"here: {v} (end)" if isinstance(v, str) else str(v),
    "json": json.dumps,
    "json-in-json": lambda v: json.dumps(json.dumps(v)),
    "three-deep": lambda v: json.dumps(json.dumps(json.dumps(v))),
    "log-line": lambda v: f"2026-11-24 ERROR connect failed with {v}; retrying",
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_every_shape_is_masked_in_every_form(shape: Shape, form: str) -> None:
    text = FORMS[form](shape.planted("unit"))
    masked = DEFAULT.text(text)
    assert shape.secret("unit") not in masked
    if form == "json":
        json.loads(masked)  # JSON stays JSON
    if form == "text" and not shape.as_dict:
        assert shape.masked in masked  # the shape stays readable: sk-proj-****


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_plain_data_is_masked_by_key_and_by_content(shape: Shape) -> None:
    masked = json.dumps(DEFAULT.plain({"args": [shape.planted("plain")], "ok": 1}))
    assert shape.secret("plain") not in masked and '"ok": 1' in masked


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert DEFAULT.text(text) == text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("db.password", True),
        ("x-api-key", True),
        ("OPENAI_API_KEY", True),
        ("apiKey", True),
        ("Authorization", True),
        ("aws_secret_access_key", True),
        ("refresh_token", True),
        ("max_tokens", False),
        ("gen_ai.usage.input_tokens", False),
        ("tokenizer", False),
        ("token_count", False),
        ("secretary", False),
        ("keyboard", False),
        ("session.id", False),
    ],
)
def test_names_that_hold_credentials(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_nested_values_under_a_credentials_name_are_masked_whole() -> None:
    text = json.dumps({"credentials": {"aws": {"id": "x1", "key": "plain-key-value"}}, "user": "ada"})
    masked = DEFAULT.text(text)
    assert "plain-key-value" not in masked and json.loads(masked) == {"credentials": MASK, "user": "ada"}


def test_user_rules_patterns_named_groups_and_functions() -> None:
    redactor = Redactor([r"acme-\d{8}", r"order (?P<secret>\d{6})", lambda t: t.replace("Ada Lovelace", "A. L.")])
    assert redactor.text("acme-12345678 order 654321 for Ada Lovelace") == "**** order **** for A. L."


def test_a_failing_user_rule_masks_the_whole_value() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("bug in the user's rule")

    assert Redactor([broken]).text("anything at all").startswith(MASK)


def test_patterns_from_the_environment(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AGENTOPS_OTEL_REDACT", '["acme-[0-9]{4}", "EMP[0-9]+"]')
    assert from_environment().text("acme-1234 EMP77") == "**** ****"
    monkeypatch.setenv("AGENTOPS_OTEL_REDACT", "acme-[0-9]{4}")
    assert from_environment().text("id acme-1234") == "id ****"
    monkeypatch.setenv("AGENTOPS_OTEL_REDACT", "(unclosed")
    with caplog.at_level(logging.ERROR, "agentops_otel"):
        assert from_environment().text("sk-proj-" + "Ab1" * 8) == "sk-proj-****"  # built-ins still apply
    assert "AGENTOPS_OTEL_REDACT" in caplog.text


def test_init_rejects_a_rule_it_cannot_use() -> None:
    for bad in (["(unclosed"], [42]):
        with pytest.raises(ConfigurationError, match="redact"):
            agentops_otel.init(redact=bad)


def test_the_net_masks_what_other_code_sets_on_spans() -> None:
    """Attributes, events, links and status set by any code on any span are redacted at the end."""
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _pipeline.close()
    agentops_otel.init(tracer_provider=provider, store=False, instrument_llm=False, redact=[r"EMP\d{5}"])
    try:
        tracer = provider.get_tracer("someone-else")
        with tracer.start_as_current_span("call https://ada:hunter2pw@db.example/x") as span:
            span.set_attribute("db.password", "hunter2pw")
            span.set_attribute("note", "user EMP12345 used AKIAABCDEFGHIJKLMNOP")
            span.set_attribute("lines", ("ok", "token=abcdef123"))
            span.add_event("login", {"header": "Authorization: Bearer zzzzzzzzzzzz"})
            span.set_status(Status(StatusCode.ERROR, "failed for EMP12345"))
    finally:
        _pipeline.close()
    (span,) = exporter.get_finished_spans()
    everything = json.dumps([span.name, dict(span.attributes), [dict(e.attributes) for e in span.events]])
    everything += str(span.status.description)
    for secret in ("hunter2pw", "EMP12345", "ABCDEFGHIJKLMNOP", "abcdef123", "zzzzzzzzzzzz"):
        assert secret not in everything
    assert "AKIA****" in everything and "https://ada:****@db.example/x" in span.name


def test_llm_spans_on_a_provider_without_our_pipeline_are_masked_where_made(
    instrument, llm_server, openai_client, span_exporter
) -> None:
    """No init(): the instrumentor's own spans never pass the net, so content and errors are masked
    where they are recorded."""
    from agentops_otel.testing.llm_server import ErrorReply

    instrument(capture_content=True)
    leaked = "sk-proj-" + "Zq7" * 16
    llm_server.queue(ErrorReply(401, f"Incorrect API key provided: {leaked}"))
    with pytest.raises(Exception, match="Incorrect API key"):
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": leaked}])
    (span,) = span_exporter.get_finished_spans()
    recorded = json.dumps([dict(span.attributes), [dict(e.attributes) for e in span.events]]) + str(span.status)
    assert leaked not in recorded and "sk-proj-****" in recorded
