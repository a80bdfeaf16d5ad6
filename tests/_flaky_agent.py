"""A support agent whose behaviour is known in advance: its model's choices depend on the prompt and on a
seeded random source, so a test can compute which runs escalate (and fail) before running them.

The model is the loopback LLM server with a responder: the first request of a conversation is answered
with a tool call, `escalate` with the prompt's escalation probability (one draw of the seeded source),
else `lookup_order`; a request after a tool result gets a closing text. The agent is the real `openai`
client running the tool calls it is given, each a traced tool.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
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


def instrumented() -> None:
    """In this process: a pipeline (in memory) with the LLM clients instrumented, as init() does by default."""
    from agentops_otel._pipeline import current_pipeline
    from agentops_otel.capture._lifecycle import instrument_llm_clients

    agentops.init(store=False, instrument_llm=False)  # joins the pipeline an earlier test built, if any
    pipeline = current_pipeline()
    assert pipeline is not None
    instrument_llm_clients(pipeline)


@contextmanager
def scripted_client(seed: str) -> Iterator[Any]:
    """A real OpenAI client against a loopback model scripted with `seed`."""
    with LLMServer() as server:
        server.responder = ScriptedModel(seed)
        with server.openai_client() as client:
            yield client


# A pytest suite of repeated tests over this agent, seeded with each test's name (so xdist changes nothing).
REPO = Path(__file__).resolve().parent.parent  # on PYTHONPATH, the suite imports this module
Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval

REPEATED_SUITE = """
import pytest
from agentops_otel.testing import assert_tool_called
from tests._flaky_agent import scripted_client, support_agent

@pytest.fixture
def ask(request):
    with scripted_client(request.node.name) as client:   # seeded with the test's name
        yield lambda text: support_agent(client, text)

@pytest.mark.agentops_repeat(n=5)
def test_parcel(ask, agentops_session):
    ask("Where is my parcel?")
    assert_tool_called(agentops_session, "lookup_order")

@pytest.mark.agentops_repeat(n=20, min_pass_rate=0.3)
def test_double_lenient(ask, agentops_session):
    ask("You charged me double!")
    assert_tool_called(agentops_session, "lookup_order")

@pytest.mark.agentops_repeat(n=20, min_pass_rate=0.6)
def test_double_strict(ask, agentops_session):
    ask("You charged me double!")
    assert_tool_called(agentops_session, "lookup_order")

@pytest.mark.agentops_repeat(4)
def test_cancel(ask, agentops_session):
    ask("Cancel my account")
    assert_tool_called(agentops_session, "lookup_order")
"""

# (test name, prompt, runs, min_pass_rate)
CASES = [
    ("test_parcel", "where is my parcel?", 5, None),
    ("test_double_lenient", "you charged me double!", 20, 0.3),
    ("test_double_strict", "you charged me double!", 20, 0.6),
    ("test_cancel", "cancel my account", 4, None),
]


def wilson(passes: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval written out from its definition, to check ours against."""
    p = passes / runs
    denominator = 1 + z * z / runs
    centre = p + z * z / (2 * runs)
    spread = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs))
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def pct(value: float) -> str:
    """A rate as the reports print it: one decimal, none when whole."""
    text = f"{value * 100:.1f}"
    return text.removesuffix(".0") + "%"


def rate_text(passes: int, runs: int) -> str:
    """`7/10 passed (70%, 95% interval 39.7% to 89.2%)` from the direct computation."""
    low, high = wilson(passes, runs)
    return f"{passes}/{runs} passed ({pct(passes / runs)}, 95% interval {pct(low)} to {pct(high)})"


def plans() -> dict[str, dict[str, Any]]:
    """For each test of REPEATED_SUITE: which runs fail, the passes, and whether it should pass."""
    found = {}
    for name, prompt, runs, rate in CASES:
        fails = expected(name, prompt, runs)
        passes = runs - sum(fails)
        ok = passes == runs if rate is None else wilson(passes, runs)[0] >= rate
        found[name] = {"fails": fails, "passes": passes, "runs": runs, "rate": rate, "ok": ok}
    return found
