"""Fixtures for tests that drive the real openai/anthropic clients against the loopback LLM server.

Load them with `pytest_plugins = ["tests._llm_fixtures"]` (in tests/conftest.py for the whole suite),
rather than importing them, so pytest registers this module as a plugin. Clients never retry, so a
scripted error is seen once, and carry the fake keys of `agentops_otel.testing.llm_server`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel.testing.llm_server import LLMServer


@pytest.fixture
def llm_server() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def openai_client(llm_server: LLMServer) -> Iterator[Any]:
    pytest.importorskip("openai")
    with llm_server.openai_client() as client:
        yield client


@pytest.fixture
def anthropic_client(llm_server: LLMServer) -> Iterator[Any]:
    pytest.importorskip("anthropic")
    with llm_server.anthropic_client() as client:
        yield client


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A private SDK provider (never the global one) that exports synchronously to `span_exporter`."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    yield provider
    provider.shutdown()


_INSTRUMENTATION_LOGGER = "agentops_otel.instrumentation"


@pytest.fixture
def instrument(tracer_provider: TracerProvider) -> Iterator[Callable[..., None]]:
    """`instrument(**options)` instruments openai and anthropic into `tracer_provider`.

    An instrumentation already installed (by `agentops_otel.init()` in an earlier test) is taken off
    for the test and put back afterwards with its own options.
    """
    from agentops_otel.instrumentation.anthropic import AnthropicInstrumentor
    from agentops_otel.instrumentation.openai import OpenAIInstrumentor

    instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    previous = {id(i): dict(getattr(i, "instrumented_with", {})) for i in instrumentors}
    was_on = {id(i) for i in instrumentors if i.is_instrumented_by_opentelemetry}

    def apply(**options: Any) -> None:
        for instrumentor in instrumentors:
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
            instrumentor.instrument(tracer_provider=tracer_provider, **options)

    yield apply
    for instrumentor in instrumentors:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        if id(instrumentor) in was_on:
            instrumentor.instrument(**previous[id(instrumentor)])


@pytest.fixture
def instrumented(instrument: Callable[..., None]) -> None:
    """openai and anthropic instrumented with default options into `tracer_provider`."""
    instrument()


@pytest.fixture
def no_instrumentation_bugs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail the test when the instrumentation logged one of its own bugs (it never raises them)."""
    caplog.set_level(logging.WARNING, logger=_INSTRUMENTATION_LOGGER)
    yield
    bugs = [r for r in caplog.records if r.name.startswith(_INSTRUMENTATION_LOGGER) and r.levelno >= logging.WARNING]
    assert not bugs, "instrumentation logged: " + "; ".join(r.getMessage() for r in bugs)
