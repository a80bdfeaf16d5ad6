"""GenAI spans for the `openai` client: chat completions, the Responses API and embeddings.

    from agentops_otel.instrumentation.openai import OpenAIInstrumentor
    OpenAIInstrumentor().instrument(tracer_provider=provider, capture_content=True)

`agentops_otel.init()` does this for you; `opentelemetry-instrument` finds it as the entry point
`agentops_openai` (so OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=agentops_openai turns it off). Sync and
async clients, `stream=True` (with or without `stream_options`), the `.stream()` and `.parse()`
helpers. Requests and return values are never changed; streams come back as transparent proxies.
"""

from __future__ import annotations

from .._base import LLMInstrumentor, Target, Traced, async_method, returned_proxy, sync_method
from .._streams import AsyncStreamProxy, HelperManagerProxy, StreamProxy
from ._chat import ChatStream, chat_outcome, describe_chat, describe_embeddings, embeddings_outcome
from ._responses import ResponseStream, describe_response, response_outcome

__all__ = ["OpenAIInstrumentor"]

_CHAT = Traced(describe_chat, chat_outcome, ChatStream)
_RESPONSES = Traced(describe_response, response_outcome, ResponseStream)
_EMBEDDINGS = Traced(describe_embeddings, embeddings_outcome)

_CHAT_MODULE = "openai.resources.chat.completions"
_BETA_CHAT_MODULE = "openai.resources.beta.chat.completions"  # parse/stream helpers before openai 1.92
_RESPONSES_MODULE = "openai.resources.responses"

_TARGETS = (
    Target(_CHAT_MODULE, "Completions.create", sync_method(_CHAT, StreamProxy)),
    Target(_CHAT_MODULE, "AsyncCompletions.create", async_method(_CHAT, AsyncStreamProxy)),
    Target(_CHAT_MODULE, "Completions.parse", sync_method(_CHAT)),
    Target(_CHAT_MODULE, "AsyncCompletions.parse", async_method(_CHAT)),
    Target(_CHAT_MODULE, "Completions.stream", returned_proxy(HelperManagerProxy)),
    Target(_CHAT_MODULE, "AsyncCompletions.stream", returned_proxy(HelperManagerProxy)),
    Target(_BETA_CHAT_MODULE, "Completions.parse", sync_method(_CHAT)),
    Target(_BETA_CHAT_MODULE, "AsyncCompletions.parse", async_method(_CHAT)),
    Target(_BETA_CHAT_MODULE, "Completions.stream", returned_proxy(HelperManagerProxy)),
    Target(_BETA_CHAT_MODULE, "AsyncCompletions.stream", returned_proxy(HelperManagerProxy)),
    Target(_RESPONSES_MODULE, "Responses.create", sync_method(_RESPONSES, StreamProxy)),
    Target(_RESPONSES_MODULE, "AsyncResponses.create", async_method(_RESPONSES, AsyncStreamProxy)),
    Target(_RESPONSES_MODULE, "Responses.parse", sync_method(_RESPONSES)),
    Target(_RESPONSES_MODULE, "AsyncResponses.parse", async_method(_RESPONSES)),
    Target(_RESPONSES_MODULE, "Responses.stream", returned_proxy(HelperManagerProxy)),
    Target(_RESPONSES_MODULE, "AsyncResponses.stream", returned_proxy(HelperManagerProxy)),
    Target("openai.resources.embeddings", "Embeddings.create", sync_method(_EMBEDDINGS)),
    Target("openai.resources.embeddings", "AsyncEmbeddings.create", async_method(_EMBEDDINGS)),
)


class OpenAIInstrumentor(LLMInstrumentor):
    """Instruments the `openai` client library (>= 1.40)."""

    provider_name = "openai"
    requirements = ("openai >= 1.40",)
    targets = _TARGETS
