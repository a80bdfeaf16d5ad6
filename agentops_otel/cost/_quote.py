"""The light half of pricing: token tuples, prices as integer units, results. No genai-prices import here,
so the cost processor can sit on the provider from init() while the price tables load in the background."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import NamedTuple

# Token counts of one call: input (cache included), output (reasoning included), cache read, cache
# write, reasoning. A plain tuple: building it per span is much cheaper than a dataclass.
Tokens = tuple[int, int, int, int, int]

# Decimal arithmetic follows the calling thread's context; an application that lowered its precision
# (say, for money formatting) must not round our prices. 28 digits is Python's default, and exact
# for any realistic price times token count.
EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class PriceResult(NamedTuple):
    """The price of one call in USD (exact Decimals), or why it could not be priced."""

    total: Decimal | None = None
    input: Decimal | None = None
    output: Decimal | None = None
    source: str | None = None
    unpriced_reason: str | None = None

    @property
    def priced(self) -> bool:
        return self.total is not None

    @classmethod
    def unpriced(cls, reason: str) -> PriceResult:
        return cls(unpriced_reason=reason)


class Quote(NamedTuple):
    """A price in whole units of 1 / `units_per_usd` USD: what the cost processor works with,
    since integers add exactly and divide into correctly rounded floats, fast."""

    input_units: int
    output_units: int
    total_units: int
    units_per_usd: int
    source: str
    split: bool = True  # False for a total the instrumentation recorded, with no input/output split

    def usd(self) -> tuple[float, float, float]:
        """(input, output, total) as the nearest floats."""
        per = self.units_per_usd
        return self.input_units / per, self.output_units / per, self.total_units / per

    def result(self) -> PriceResult:
        def exact(units: int) -> Decimal:
            return EXACT.divide(Decimal(units), Decimal(self.units_per_usd))

        return PriceResult(exact(self.total_units), exact(self.input_units), exact(self.output_units), self.source)


def given_quote(usd: float, source: str) -> Quote | None:
    """A cost the application gave (LLMEvent(cost=...), @tool(cost=...)) as a Quote, exact to the digits
    it wrote; None when it is not a finite amount >= 0."""
    if isinstance(usd, bool) or not isinstance(usd, int | float):
        return None
    exact = Decimal(repr(usd))  # the shortest decimal that reads back as the same float: what was written
    if not exact.is_finite() or exact < 0:
        return None
    digits = max(0, -int(exact.as_tuple().exponent))
    units_per_usd = 10**digits
    return Quote(0, 0, int(exact.scaleb(digits)), units_per_usd, source)
