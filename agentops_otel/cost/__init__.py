"""Cost: price every LLM span and roll the totals up to its session.

- `Pricer` prices one call from genai-prices' offline snapshot (dated model ids, provider ids, cache
  read/write and reasoning tokens, tiered prices) and from user overrides in a JSON or TOML file
  (`init(prices_file=...)` or AGENTOPS_OTEL_PRICES_FILE; format in `agentops_otel.cost._overrides`).
  Overrides win.
- `CostProcessor(downstream, pricer)` is an SDK span processor that wraps the downstream processors
  and hands them copies of LLM spans with `agentops.cost.*` added, and of session roots with the
  session totals (`agentops.session.usage.*`, `.cost.usd`, `.cost.complete`, `.llm_calls`).

- `price_records(records)` prices spans read back (another instrumentation's trace from a file or a
  backend) as the live pipeline would have; every trace source calls it.

LLM calls are recognised through the convention map (`agentops_otel._conventions`), whichever
instrumentation made them. When genai-prices cannot price a call, the cost the instrumentation
recorded (OpenLIT's `gen_ai.usage.cost` unless 0, pydantic-ai's `operation.cost`) is used, its source
named. Otherwise it is marked `agentops.cost.status = unpriced` with a reason, and makes the session
total incomplete; it is never counted as zero.
"""

from typing import TYPE_CHECKING, Any

from ._processor import CostProcessor
from ._quote import PriceResult, Quote
from ._readback import price_records

if TYPE_CHECKING:
    from ._pricer import Pricer


def __getattr__(name: str) -> Any:
    if name == "Pricer":  # imports genai-prices: only when asked for
        from ._pricer import Pricer

        return Pricer
    raise AttributeError(f"module 'agentops_otel.cost' has no attribute {name!r}")


__all__ = ["CostProcessor", "PriceResult", "Pricer", "Quote", "price_records"]
