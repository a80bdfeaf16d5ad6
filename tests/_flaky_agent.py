"""A support agent whose behaviour is known in advance: its model's choices depend on the prompt and on a
seeded random source, so a test can compute which runs escalate (and fail) before running them.

The model is the loopback LLM server with a responder: the first request of a conversation is answered
with a tool call, `escalate` with the prompt's escalation probability (one draw of the seeded source),
else `lookup_order`; a request after a tool result gets a closing text. The agent is the real `openai`
client running the tool calls it is given, each a traced tool.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import agentops_otel as agentops
from agentops_otel.testing.llm_server import LLMRequest, LLMServer, Reply, ToolCall

# How often the model escalates before looking the order up, by prompt.
ESCALATION = {"charged me double": 0.3, "where is my parcel": 0.0, "cancel my account": 1.0}
TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": props}}}
    for name, props in (
        ("lookup_order", {"order_id": {"type": "string"}}),
        ("escalate", {"reason": {"type": "string"}, "priority": {"type": "integer"}}),
    )
]


@agentops.tool("lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    return {"order_id": order_id, "charges": 2}


@agentops.tool("escalate")
def escalate(reason: str, priority: int) -> str:
    return "ticket-7"


_TOOLS: dict[str, Callable[..., Any]] = {"lookup_order": lookup_order, "escalate": escalate}


def _rate(text: str) -> float:
    for prompt, rate in ESCALATION.items():
        if prompt in text.lower():
            return rate
    return 0.0


def escalates(rng: random.Random, text: str) -> bool:
    """The model's one random choice for a conversation (the responder and `expected` draw alike)."""
    return rng.random() < _rate(text)


class ScriptedModel:
    """The responder: one draw of the seeded source per conversation."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def __call__(self, request: LLMRequest) -> Reply:
        if request.after_tool_result:
            return Reply(text="Thanks, that is sorted.")
        if escalates(self.rng, request.last_user_text):
            return Reply(tool_calls=[ToolCall("escalate", {"reason": "customer upset", "priority": 2})])
        return Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1001"})])


def expected(seed: str, text: str, runs: int) -> list[bool]:
    """For each of `runs` conversations with this seed: True when it escalates (the run that fails)."""
    rng = random.Random(seed)
    return [escalates(rng, text) for _ in range(runs)]


def support_agent(client: Any, text: str) -> str:
    """Ask the model, run the tools it calls, ask again until it answers in text."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
    for _ in range(5):
        reply = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = _TOOLS[call.function.name](**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raise RuntimeError("the model kept calling tools")


@contextmanager
def scripted_client(seed: str) -> Iterator[Any]:
    """A real OpenAI client against a loopback model scripted with `seed`."""
    with LLMServer() as server:
        server.responder = ScriptedModel(seed)
        with server.openai_client() as client:
            yield client
