"""A small customer-support agent, written the way a user would write one with agentops_otel.

It classifies a ticket with an LLM, then lets the LLM call tools (lookup_order, fetch_customer_data,
refund) until it answers. The model is the loopback LLMServer, scripted per ticket, so the run is
offline and the same every time; the client is the real `openai` library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import agentops_otel as agentops
from agentops_otel import record_action, record_tool

MODEL = "gpt-4o-mini"

_ORDERS: dict[str, dict[str, Any]] = {
    "A-1001": {"order_id": "A-1001", "customer_id": "C-981", "total": 42.0, "status": "delivered"},
    "A-1002": {"order_id": "A-1002", "customer_id": "C-455", "total": 18.5, "status": "in transit"},
    # A guest checkout: no customer account, which the agent does not expect.
    "A-1003": {"order_id": "A-1003", "customer_id": None, "total": 99.0, "status": "delivered"},
}
_CUSTOMERS: dict[str, dict[str, Any]] = {
    "C-981": {"customer_id": "C-981", "name": "Ada", "plan": "pro", "charges_on_order": 2},
    "C-455": {"customer_id": "C-455", "name": "Grace", "plan": "free", "charges_on_order": 1},
}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {p: {"type": "string"} for p in params}},
        },
    }
    for name, description, params in (
        ("lookup_order", "Find an order by its id.", ["order_id"]),
        ("fetch_customer_data", "Fetch a customer's account.", ["customer_id"]),
        ("refund", "Refund an amount on an order.", ["order_id", "amount"]),
    )
]


@record_tool("lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    if order_id not in _ORDERS:
        raise KeyError(f"no order {order_id}")
    return dict(_ORDERS[order_id])


@record_action("fetch_customer_data")
def fetch_customer_data(customer_id: str | None) -> dict[str, Any]:
    if customer_id is None:
        raise ValueError("customer_id cannot be None")
    return dict(_CUSTOMERS[customer_id])


@record_tool("refund")
def refund(order_id: str, amount: float) -> dict[str, Any]:
    return {"order_id": order_id, "refunded": float(amount), "status": "ok"}


_IMPLEMENTATIONS = {"lookup_order": lookup_order, "fetch_customer_data": fetch_customer_data, "refund": refund}


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    text: str
    intent: str
    tags: tuple[str, ...]


TICKETS = (
    Ticket(
        "T-1001", "I was charged twice for order A-1001, please refund one of them.", "billing", ("support", "billing")
    ),
    Ticket("T-1002", "Where is my order A-1002? It has been a week.", "shipping", ("support", "shipping")),
    Ticket("T-1003", "I was charged twice for order A-1003!", "billing", ("support", "billing")),
)


def handle_ticket(client: Any, ticket: Ticket) -> tuple[str, str]:
    """Run one ticket as one session; a tool failure ends it Fail with the exception as the reason.

    Returns the session id and what the agent answered (or why it failed).
    """
    handle = agentops.start_session(tags=[*ticket.tags, "demo"], name=f"support {ticket.ticket_id}")
    try:
        intent = _classify(client, ticket.text)
        answer = _resolve(client, ticket, intent)
    except Exception as exc:
        agentops.end_session("Fail", end_state_reason=f"{type(exc).__name__}: {exc}")
        return handle.session_id, f"failed: {type(exc).__name__}: {exc}"
    agentops.end_session("Success")
    return handle.session_id, answer


def _classify(client: Any, text: str) -> str:
    response = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Classify the ticket as billing, shipping or other. Answer one word."},
            {"role": "user", "content": text},
        ],
    )
    return str(response.choices[0].message.content).strip()


def _resolve(client: Any, ticket: Ticket, intent: str) -> str:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": f"You are a support agent. The ticket is about {intent}. Use the tools."},
        {"role": "user", "content": ticket.text},
    ]
    for _ in range(6):  # a bounded agent loop
        response = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            arguments = json.loads(call.function.arguments or "{}")
            result = _IMPLEMENTATIONS[call.function.name](**arguments)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raise RuntimeError("the agent did not answer within 6 model calls")
