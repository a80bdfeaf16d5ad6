"""A fast, exact evaluation of one genai-prices `ModelPrice` for the token kinds spans report.

`ModelPrice.calc_price` takes about 130 us (it re-validates units and works through Decimal
bookkeeping on every call). The price of a call is piecewise linear in the token counts: constant
per request, linear per token kind, with breakpoints only on the total input tokens (tiered prices
switch rate for *all* tokens once the input passes a threshold). So for each tier region we ask
`calc_price` itself for the constant and the per-token rate of each token kind, once, and afterwards
price a call with a handful of Decimal multiplications. The figures are exactly those `calc_price`
computes, because all of it is exact Decimal arithmetic on the same prices.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal

from genai_prices import Usage as PricesUsage
from genai_prices.types import ModelPrice, TieredPrices

from ..model import Usage

# (input, output, total) in USD, as genai-prices splits them.
Split = tuple[Decimal, Decimal, Decimal]


def _calc(model_price: ModelPrice, **tokens: int) -> Split:
    result = model_price.calc_price(PricesUsage(**tokens))
    return result["input_price"], result["output_price"], result["total_price"]


def _minus(a: Split, b: Split) -> Split:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


@dataclass(frozen=True, slots=True)
class _Region:
    """Constant and per-token rates that hold while the input tokens stay in one tier region."""

    constant: Split
    input: Split
    output: Split
    cache_read: Split
    cache_write: Split
    reasoning: Split


def _region(model_price: ModelPrice, low: int) -> _Region:
    """Rates for input counts just above `low` (a tier start, or 0), measured one token at a time."""
    r = low + 1
    base = _calc(model_price, input_tokens=r)
    one_more_input = _calc(model_price, input_tokens=r + 1)
    with_output = _calc(model_price, input_tokens=r, output_tokens=1)
    input_rate = _minus(one_more_input, base)
    return _Region(
        constant=(
            base[0] - input_rate[0] * r,
            base[1] - input_rate[1] * r,
            base[2] - input_rate[2] * r,
        ),
        input=input_rate,
        output=_minus(with_output, base),
        # Cache and reasoning tokens are parts of the input and output totals: these rates are the
        # difference they make to a token already counted there (usually negative: a discount).
        cache_read=_minus(_calc(model_price, input_tokens=r, cache_read_tokens=1), base),
        cache_write=_minus(_calc(model_price, input_tokens=r, cache_write_tokens=1), base),
        reasoning=_minus(_calc(model_price, input_tokens=r, output_tokens=1, output_reasoning_tokens=1), with_output),
    )


class PriceFunction:
    """Prices a `Usage` under one `ModelPrice`; build once per ModelPrice and reuse.

    The usage must be consistent (cache tokens within the input tokens, reasoning tokens within the
    output tokens); `Pricer` makes it so before calling.
    """

    __slots__ = ("_regions", "_starts")

    def __init__(self, model_price: ModelPrice) -> None:
        starts = sorted(
            {
                tier.start
                for value in vars(model_price).values()
                if isinstance(value, TieredPrices)
                for tier in value.tiers
            }
        )
        self._starts = starts
        self._regions = [_region(model_price, low) for low in [0, *starts]]

    def __call__(self, usage: Usage) -> Split:
        # A tier applies once the input tokens are strictly above its start.
        region = self._regions[bisect_left(self._starts, usage.input_tokens)]
        totals = list(region.constant)
        for rate, count in (
            (region.input, usage.input_tokens),
            (region.output, usage.output_tokens),
            (region.cache_read, usage.cache_read_tokens),
            (region.cache_write, usage.cache_write_tokens),
            (region.reasoning, usage.reasoning_tokens),
        ):
            if count:
                totals[0] += rate[0] * count
                totals[1] += rate[1] * count
                totals[2] += rate[2] * count
        return totals[0], totals[1], totals[2]
