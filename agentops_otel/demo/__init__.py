"""`agentops-otel demo`: a support agent run offline, recorded into the local store.

    from agentops_otel.demo import run_demo
    for session_id, outcome in run_demo(Path(".agentops/traces.db")): ...

It starts the loopback LLM server (`agentops_otel.testing.llm_server`), points the real `openai`
client at it, and records three tickets as sessions: two succeed, one fails because a tool got
`customer_id=None` (a guest order has no customer account). Needs the `demo` extra (openai).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError

SERVICE_NAME = "support-agent-demo"


def run_demo(store_path: Path) -> list[tuple[str, str]]:
    """Record the demo sessions into `store_path`; returns (session id, outcome) per ticket, in order.

    Everything is flushed to the store before it returns.
    """
    try:
        import openai
    except ImportError:
        raise ConfigurationError(
            "the demo needs the openai client: pip install 'agentops-opentelemetry[demo]'"
        ) from None
    import agentops_otel as agentops

    from ..testing.llm_server import FAKE_OPENAI_KEY, LLMServer
    from ._agent import TICKETS, handle_ticket
    from ._script import replies_for

    agentops.init(store=True, store_path=store_path, service_name=SERVICE_NAME)
    results = []
    try:
        with LLMServer() as server:
            client = openai.OpenAI(base_url=server.openai_base_url, api_key=FAKE_OPENAI_KEY, max_retries=0)
            for ticket in TICKETS:
                server.queue(*replies_for(ticket.ticket_id))
                results.append(handle_ticket(client, ticket))
            client.close()
    finally:
        agentops.shutdown()  # flush every span to the store before anyone reads it
    return results


__all__ = ["SERVICE_NAME", "run_demo"]
