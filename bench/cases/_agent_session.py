"""A long agent session recorded through the real API into a local store (shared by the page cases).

Each turn is an agent step holding an LLM call (the conversation so far, capped at the last
messages), a tool call with a structured result, an action, and a second LLM call answering with a
tool call: five steps. The last turn's action raises inside the agent, so the session ends Fail with
the failure two levels down, as in a real run.
"""

from __future__ import annotations

from typing import Any

SYSTEM = "You are a support agent for an online shop. Use the tools; never guess an order's state."
HISTORY = 8  # messages an agent keeps sending again with each call


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def _tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}]}


def record_session(path: str, steps: int) -> str:
    """Record one session of about `steps` steps into the store at `path`; returns its session id."""
    import agentops_otel as ao
    from agentops_otel import LLMEvent, record

    provider = ao.init(
        store=True, store_path=path, instrument_llm=False, service_name="page-bench", auto_start_session=False
    )

    @ao.tool("search_docs")
    def search_docs(query: str, limit: int = 3) -> dict[str, Any]:
        hits = [
            {"id": f"doc-{k}", "title": f"Refund policy, section {k}", "score": round(1 / (k + 1), 3)}
            for k in range(limit)
        ]
        return {"query": query, "hits": hits}

    @ao.action("fetch_customer_data")
    def fetch_customer_data(customer_id: str | None) -> dict[str, Any]:
        if customer_id is None:
            raise ValueError("customer_id cannot be None")
        return {"customer_id": customer_id, "name": "Ada", "plan": "pro", "orders": 12}

    history: list[dict[str, Any]] = []

    def llm(prompt: list[dict[str, Any]], completion: list[dict[str, Any]], turn: int) -> None:
        record(
            LLMEvent(
                model="gpt-4o-mini",
                prompt=[_text("system", SYSTEM), *prompt],
                completion=completion,
                prompt_tokens=120 + 40 * len(prompt),
                completion_tokens=8 + turn % 13,
            )
        )

    @ao.agent("support")
    def turn(number: int, last: bool) -> str:
        question = _text("user", f"Ticket {number}: I was charged twice for order A-{1000 + number}, please check.")
        history.append(question)
        call_id = f"call_{number:06d}"
        llm(
            history[-HISTORY:],
            [_tool_call(call_id, "search_docs", {"query": f"duplicate charge A-{1000 + number}"})],
            number,
        )
        result = search_docs(f"duplicate charge A-{1000 + number}")
        history.append(_tool_call(call_id, "search_docs", {"query": f"duplicate charge A-{1000 + number}"}))
        history.append(
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": str(result)}]}
        )
        customer = fetch_customer_data(None if last else f"C-{number % 97}")
        answer = f"Refund issued for order A-{1000 + number} to {customer['name']}."
        llm(history[-HISTORY:], [_text("assistant", answer)], number)
        history.append(_text("assistant", answer))
        return answer

    turns = max(1, steps // 5)
    try:
        with ao.session("page-bench", tags=["bench", "support"]) as handle:
            for number in range(turns):
                if number % 200 == 199:
                    provider.force_flush()
                turn(number, last=number == turns - 1)
    except ValueError:
        pass  # the failure the session records
    ao.shutdown()
    return handle.session_id
