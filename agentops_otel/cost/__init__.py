"""Cost: price every LLM span and roll the totals up to its session.

- `Pricer` prices one call from genai-prices' offline snapshot (dated model ids, provider ids, cache
  read/write and reasoning tokens, tiered prices) and from user overrides in a JSON or TOML file
  (`init(prices_file=...)` or AGENTOPS_OTEL_PRICES_FILE; format in `agentops_otel.cost._overrides`).
  Overrides win.
- `CostProcessor(downstream, pricer)` is an SDK span processor that wraps the downstream processors
  and hands them copies of LLM spans with `agentops.cost.*` added, and of session roots with the
  session totals (`agentops.session.usage.*`, `.cost.usd`, `.cost.complete`, `.llm_calls`).

An unknown model or missing usage is marked `agentops.cost.status = unpriced` with a reason, and
makes the session total incomplete; it is never counted as zero.
"""

from ._pricer import Pricer, PriceResult, Quote
from ._processor import CostProcessor

__all__ = ["CostProcessor", "PriceResult", "Pricer", "Quote"]
