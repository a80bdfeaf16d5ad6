"""What the stand-in model answers for each demo ticket, in order (classification first)."""

from __future__ import annotations

from ..testing.llm_server import Reply, ToolCall

_SCRIPT = {
    "T-1001": [
        Reply(text="billing"),
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1001"})]),
        Reply(tool_calls=[ToolCall("fetch_customer_data", {"customer_id": "C-981"})]),
        Reply(tool_calls=[ToolCall("refund", {"order_id": "A-1001", "amount": 42.0})]),
        Reply(text="Sorry about that, Ada: I refunded the duplicate charge of $42.00 on order A-1001."),
    ],
    "T-1002": [
        Reply(text="shipping"),
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1002"})]),
        Reply(text="Order A-1002 is in transit and should arrive within two days."),
    ],
    "T-1003": [
        Reply(text="billing"),
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "A-1003"})]),
        # The order was a guest checkout, so the model passes on the missing customer id.
        Reply(tool_calls=[ToolCall("fetch_customer_data", {"customer_id": None})]),
    ],
}


def replies_for(ticket_id: str) -> list[Reply]:
    return list(_SCRIPT[ticket_id])
