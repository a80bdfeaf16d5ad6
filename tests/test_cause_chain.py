"""The seed's story, told by the cause chain (issue 14): `fetch_customer_data` raised because
customer_id was None, and the chain says where the None came from: the model's tool call in the LLM
step before it, whose input had no customer id. The real openai client against the loopback server,
in a real process, read back from the store and shown by `replay` (text and JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.test_exit_lifecycle import env_for

AGENT = """
import json
import agentops_otel as agentops
from agentops_otel import tool
from agentops_otel.testing.llm_server import LLMServer, Reply, ToolCall

agentops.init(auto_start_session=False)

@tool
def lookup_order(order_id):
    return {"order_id": order_id, "total": 99.0}

@tool
def fetch_customer_data(customer_id):
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return {"customer_id": customer_id}

TOOLS = [{"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
         for name in ("lookup_order", "fetch_customer_data")]

with LLMServer() as server:
    client = server.openai_client()
    server.queue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1003"}, id="call_1")]),
        Reply(tool_calls=[ToolCall("fetch_customer_data", {"customer_id": None}, id="call_2")]),
    )
    messages = [{"role": "user", "content": "I was charged twice for order A-1003!"}]
    try:
        with agentops.session("support") as handle:
            for _ in range(2):
                reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
                call = reply.choices[0].message.tool_calls[0]
                result = {"lookup_order": lookup_order, "fetch_customer_data": fetch_customer_data}[
                    call.function.name](**json.loads(call.function.arguments))
                messages += [reply.choices[0].message.model_dump(exclude_none=True),
                             {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}]
    except ValueError:
        pass
print(handle.session_id)
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentops_otel.cli", *args],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cause_chain_names_the_llm_call_that_chose_customer_id_none(tmp_path: Path):
    env = env_for(tmp_path)
    env.pop("AGENTOPS_OTEL_INSTRUMENT_LLM")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(AGENT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    session_id = done.stdout.strip()
    data = json.loads(_cli(tmp_path, "replay", session_id, "--json").stdout)
    steps = {s["span_id"]: s for s in data["steps"]}
    failure = data["failure"]
    assert steps[failure["span_id"]]["name"] == "fetch_customer_data"
    assert failure["error"] == "ValueError: customer_id cannot be None"
    chain = failure["cause_chain"]
    assert [link["text"] for link in chain] == [
        "customer_id=None",
        f"chosen by LLM call #{chain[1]['step']} (tool call fetch_customer_data)",
        "its input had no customer id",
    ]
    llm = steps[chain[1]["span_id"]]
    assert llm["kind"] == "llm" and chain[2]["span_id"] == llm["span_id"]
    assert [s["kind"] for s in data["steps"]].index("llm") < chain[1]["step"] - 1  # the second LLM call
    text = _cli(tmp_path, "replay", session_id, "--width", "200").stdout
    assert "customer_id=None" in text and "<- chosen by LLM call" in text and "<- its input had no customer id" in text
