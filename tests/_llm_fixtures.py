"""Fixtures for tests that drive the real openai/anthropic clients against the loopback LLM server.

Load them with `pytest_plugins = ["tests._llm_fixtures"]` (in tests/conftest.py for the whole suite),
rather than importing them, so pytest registers this module as a plugin. Clients never retry, so a
scripted error is seen once, and carry the fake keys of `agentops_otel.testing.llm_server`.
"""

from __future__ import annotations

from collections.abc import Iterator
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
