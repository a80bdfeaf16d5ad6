"""Differences between the oldest and newest openai/anthropic releases we support, for tests."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors = []
    for name in ("httpx", "httpx2"):
        if importlib.util.find_spec(name) is not None:
            errors.append(importlib.import_module(name).TransportError)
    return tuple(errors)


# A connection cut mid-stream: newer clients raise APIConnectionError, older ones the transport error.
TRANSPORT_ERRORS = _transport_errors()

needs_responses_api = pytest.mark.skipif(
    importlib.util.find_spec("openai.resources.responses") is None, reason="this openai has no Responses API"
)


def chat_stream(client: Any, **kwargs: Any) -> Any:
    """`client.chat.completions.stream(...)`, which lived under `client.beta` before openai 1.92."""
    completions = client.chat.completions
    helper = completions if hasattr(completions, "stream") else client.beta.chat.completions
    return helper.stream(**kwargs)


def cached_tokens(usage: Any) -> Any:
    """`usage.prompt_tokens_details.cached_tokens`; older clients keep the details as a dict."""
    details = usage.prompt_tokens_details
    return details["cached_tokens"] if isinstance(details, dict) else details.cached_tokens
