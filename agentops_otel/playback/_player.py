"""The Player: answers each OpenAI / Anthropic request from the next recorded LLM call, or reports divergence.

Requests are matched in order against the recording's LLM steps by provider, operation, model and
the conversation sent (see `_conversation`). A match is answered with the recorded output, rebuilt as
the provider's HTTP response; anything else is a `PlaybackDivergence`: raised in strict mode, logged
and sent live in lenient mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import AgentOpsOtelError
from . import _conversation as conv
from . import _responses as responses
from ._recording import InRecordedOrder, PlaybackError, RecordedStep, Recording, tool_names

if TYPE_CHECKING:
    from ._tools import ToolPlayer

_log = logging.getLogger("agentops_otel.playback")

_RETRY_HEADER = "x-stainless-retry-count"  # both client libraries number their retries with it
_UNSUPPORTED_PATHS = ("/embeddings", "/completions", "/messages/count_tokens")


_LIVE_ENTRIES = {
    "chat": conv.openai_chat_entries,
    "responses": conv.openai_responses_entries,
    "messages": conv.anthropic_entries,
}


class PlaybackDivergence(AgentOpsOtelError):
    """The code under playback made an LLM call the recording does not hold at that point.

    `call_number` is the 1-based number of the LLM call that diverged; `step` the recorded step it was
    matched against (None when the recording has no more calls); `recorded` / `actual` say what differs.
    """

    def __init__(
        self, message: str, *, call_number: int, step: RecordedStep | None, recorded: str, actual: str
    ) -> None:
        super().__init__(message)
        self.call_number, self.step, self.recorded, self.actual = call_number, step, recorded, actual


_provider_divergences: dict[str, type[PlaybackDivergence]] = {}


def _passable(divergence: PlaybackDivergence, provider: str) -> PlaybackDivergence:
    """The divergence as a subclass of the client library's own base error too.

    The Anthropic client wraps any foreign exception from its HTTP layer in APIConnectionError (and
    retries it); its own errors pass through unchanged, so the user sees the PlaybackDivergence.
    """
    if provider != "anthropic":
        return divergence  # the OpenAI client lets exceptions other than httpx's through as they are
    cls = _provider_divergences.get(provider)
    if cls is None:
        import anthropic

        cls = type("PlaybackDivergence", (PlaybackDivergence, anthropic.AnthropicError), {})
        cls.__module__ = __name__
        _provider_divergences[provider] = cls
    return cls(
        str(divergence),
        call_number=divergence.call_number,
        step=divergence.step,
        recorded=divergence.recorded,
        actual=divergence.actual,
    )


def classify(path: str, headers: Any) -> tuple[str, str] | None:
    """(provider, api) of an LLM request by its path, or None for traffic playback leaves alone."""
    if path.endswith("/chat/completions"):
        return "openai", "chat"
    if path.endswith("/v1/messages") or (path.endswith("/messages") and "anthropic-version" in headers):
        return "anthropic", "messages"
    if path.endswith("/responses") and "x-stainless-lang" in headers and "anthropic-version" not in headers:
        return "openai", "responses"
    if path.endswith(_UNSUPPORTED_PATHS) and ("x-stainless-lang" in headers or "anthropic-version" in headers):
        return ("anthropic" if "anthropic-version" in headers else "openai"), "unsupported"
    return None


def _provider_family(value: str | None) -> str | None:
    text = (value or "").lower()
    return "anthropic" if "anthropic" in text else "openai" if "openai" in text else None


class Player(InRecordedOrder):
    """Matches requests against one Recording. Thread-safe.

    Calls are matched in recorded order, except that calls which ran concurrently in the recording
    (one started before the other ended, e.g. under `asyncio.gather`) may arrive in either order.
    """

    def __init__(self, recording: Recording, *, strict: bool = True) -> None:
        self.recording = recording
        self.strict = strict
        self.divergences: list[PlaybackDivergence] = []
        self.live_calls = 0  # calls sent to the network in lenient mode
        super().__init__(recording.llm_steps)
        self._last_failed: RecordedStep | None = None
        self.tools: ToolPlayer | None = None  # set by playback(tools=True)

    @property
    def answered(self) -> int:
        """How many recorded LLM calls were played back."""
        return len(self._calls) - len(self._unused) - self._skipped

    # Matching

    def _mismatch(
        self, step: RecordedStep, provider: str, api: str, body: dict[str, Any]
    ) -> tuple[str, str, str] | None:
        family = _provider_family(step.provider)
        if family is not None and family != provider:
            return "provider", family, provider
        if step.operation not in (None, "chat", "generate_content", "text_completion"):
            return "operation", step.operation, "chat"
        model = str(body.get("model") or "")
        if step.request_model and step.request_model != model:
            return "model", step.request_model, model
        offered = tool_names(body.get("tools"))
        if step.tools is not None and offered != step.tools:
            return "the tools offered", ", ".join(step.tools) or "(none)", ", ".join(offered or ()) or "(none)"
        recorded = conv.recorded_entries(step.params, step.system_instructions)
        actual = _LIVE_ENTRIES[api](body)
        return conv.first_difference(recorded, actual)

    def _diverge(self, provider: str, where: str, recorded: str, actual: str, step: RecordedStep | None) -> None:
        call_number = self.answered + 1
        total = len(self._calls)
        at = f"{step.label}" if step else "beyond the end of the recording"
        message = (
            f"playback of session {self.recording.session_id} diverged at LLM call {call_number} of {total} "
            f"({at}): {where} differs\n  recorded: {recorded}\n  actual:   {actual}\n"
            "The code no longer makes the recorded call. If the change is intended, record the session again "
            "and export it (agentops-otel export ID -o FILE.json); playback(strict=False) sends such calls "
            "live instead."
        )
        divergence = PlaybackDivergence(message, call_number=call_number, step=step, recorded=recorded, actual=actual)
        self.divergences.append(divergence)
        if self.strict:
            raise _passable(divergence, provider)
        _log.warning("%s", message)
        self.live_calls += 1

    def match(self, provider: str, api: str, body: dict[str, Any], retry: bool = False) -> RecordedStep | None:
        """The recorded step answering this request, or None to send it live (lenient mode)."""
        with self._lock:
            if retry and self._last_failed is not None:
                return self._last_failed  # the client retrying a recorded failure gets the same failure
            if api == "unsupported":
                if self.strict:
                    raise PlaybackError(
                        f"playback answers OpenAI chat completions and responses and Anthropic messages; a {provider} "
                        f"{body.get('_path', 'request')} call cannot be played back yet "
                        "(use strict=False to send it live)"
                    )
                self.live_calls += 1
                return None
            if not self._unused:
                summary = f"{provider} call to model {body.get('model')!r}"
                self._diverge(provider, "the number of LLM calls", "(no more LLM calls)", summary, None)
                return None
            candidates = self._candidates()
            chosen = next((i for i in candidates if self._mismatch(self._calls[i], provider, api, body) is None), None)
            if chosen is None:
                step = self._calls[candidates[0]]
                where, recorded, actual = self._mismatch(step, provider, api, body) or ("request", "", "")
                self._diverge(provider, where, recorded, actual, step)
                return None
            self._unused.remove(chosen)
            step = self._calls[chosen]
            self._last_failed = step if step.error is not None and step.returns is None else None
            return step

    def finish(self) -> None:
        """At the end of playback: in strict mode, the recorded calls the code did not make are a divergence."""
        if not self.strict:
            if self.remaining:
                _log.warning("playback ended with %d recorded LLM call(s) not made", len(self.remaining))
            return
        if self.divergences:
            raise self.divergences[0]
        if self.remaining:
            step = self.remaining[0]
            self._diverge(
                _provider_family(step.provider) or "openai",
                "the number of LLM calls",
                f"{len(self._calls)} LLM call(s), the next is {step.label}",
                f"{self.answered} LLM call(s), then the code finished",
                step,
            )

    # Responses

    def respond(self, request: Any, httpx: Any, asynchronous: bool) -> Any:
        """A response (of the `httpx` module the client uses) for an LLM request, None to send it live."""
        path = request.url.path
        kind = classify(path, request.headers)
        if kind is None:
            return None
        provider, api = kind
        try:
            body = json.loads(request.read() or b"{}")
        except ValueError:
            body = {}
        if api == "unsupported":
            body = {"_path": path}
        retry = request.headers.get(_RETRY_HEADER, "0") not in ("0", "")
        step = self.match(provider, api, body if isinstance(body, dict) else {}, retry=retry)
        if step is None:
            return None
        return _http_response(httpx, provider, api, step, body, request, asynchronous)


def _http_response(
    httpx: Any, provider: str, api: str, step: RecordedStep, body: Any, request: Any, asynchronous: bool
) -> Any:
    if step.error is not None and step.returns is None:
        error_type = step.error.get("type", "").rsplit(".", 1)[-1]
        if error_type == "APITimeoutError":
            raise httpx.ReadTimeout("recorded timeout (playback)", request=request)
        if error_type in responses.NETWORK_ERRORS:
            raise httpx.ConnectError("recorded connection failure (playback)", request=request)
        headers = {"content-type": "application/json", "x-should-retry": "false"}
        return httpx.Response(
            responses.error_status(step), headers=headers, content=responses.error_body(provider, step), request=request
        )
    # A recorded error with output: the stream broke after part of the answer had arrived.
    cut = None if step.error is None else httpx.RemoteProtocolError("recorded: the stream was cut (playback)")
    content_type, content = responses.success_body(provider, api, step, body, cut)
    if isinstance(content, bytes | str):
        stream_content: Any = content
    elif asynchronous:
        stream_content = _async(content)
    else:
        stream_content = content
    return httpx.Response(200, headers={"content-type": content_type}, content=stream_content, request=request)


async def _async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
