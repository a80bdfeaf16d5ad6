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
from decimal import ROUND_HALF_EVEN, Context, Decimal, getcontext, localcontext

from genai_prices import Usage as PricesUsage
from genai_prices.types import ModelPrice, TieredPrices

# (input, output, total) in USD, as genai-prices splits them.
Split = tuple[Decimal, Decimal, Decimal]
# Token counts of one call: input (cache included), output (reasoning included), cache read, cache
# write, reasoning. A plain tuple: building it per span is much cheaper than a dataclass.
Tokens = tuple[int, int, int, int, int]

# Decimal arithmetic follows the calling thread's context; an application that lowered its precision
# (say, for money formatting) must not round our prices. 28 digits is Python's default, and exact
# for any realistic price times token count.
_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)


def _exact_context_needed() -> bool:
    context = getcontext()
    return context.prec < _EXACT.prec or context.rounding != ROUND_HALF_EVEN


def _calc(model_price: ModelPrice, **tokens: int) -> Split:
    result = model_price.calc_price(PricesUsage(**tokens))
    return result["input_price"], result["output_price"], result["total_price"]


def _minus(a: Split, b: Split) -> Split:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


# The token kinds, in `Tokens` order.
_KINDS = ("input", "output", "cache_read", "cache_write", "reasoning")


@dataclass(frozen=True, slots=True)
class _Region:
    """Constant and per-token rates that hold while the input tokens stay in one tier region.

    Only the non-zero rates are kept, as (index into `Tokens`, USD per token) pairs, so that a
    call costs a few Decimal multiplications.
    """

    constant_input: Decimal
    constant_output: Decimal
    constant_other: Decimal  # per-request prices without a direction: in the total only
    input_rates: tuple[tuple[int, Decimal], ...]
    output_rates: tuple[tuple[int, Decimal], ...]


def _region(model_price: ModelPrice, low: int) -> _Region:
    """Rates for input counts just above `low` (a tier start, or 0), measured one token at a time."""
    r = low + 1
    base = _calc(model_price, input_tokens=r)
    with_output = _calc(model_price, input_tokens=r, output_tokens=1)
    rates = {
        "input": _minus(_calc(model_price, input_tokens=r + 1), base),
        "output": _minus(with_output, base),
        # Cache and reasoning tokens are parts of the input and output totals: these rates are the
        # difference they make to a token already counted there (usually negative: a discount).
        "cache_read": _minus(_calc(model_price, input_tokens=r, cache_read_tokens=1), base),
        "cache_write": _minus(_calc(model_price, input_tokens=r, cache_write_tokens=1), base),
        "reasoning": _minus(
            _calc(model_price, input_tokens=r, output_tokens=1, output_reasoning_tokens=1), with_output
        ),
    }
    for kind, (input_rate, output_rate, total_rate) in rates.items():
        if input_rate + output_rate != total_rate:  # token prices always have a direction
            raise ValueError(f"{kind} tokens are priced outside the input and output totals")
    input_rate = rates["input"][0]
    constant_input = base[0] - input_rate * r
    constant_output = base[1] - rates["input"][1] * r
    return _Region(
        constant_input=constant_input,
        constant_output=constant_output,
        constant_other=base[2] - rates["input"][2] * r - constant_input - constant_output,
        input_rates=tuple((i, rates[kind][0]) for i, kind in enumerate(_KINDS) if rates[kind][0]),
        output_rates=tuple((i, rates[kind][1]) for i, kind in enumerate(_KINDS) if rates[kind][1]),
    )


class PriceFunction:
    """Prices `Tokens` under one `ModelPrice`; build once per ModelPrice and reuse.

    The counts must be consistent (cache tokens within the input tokens, reasoning tokens within the
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
        with localcontext(_EXACT):
            self._regions = [_region(model_price, low) for low in [0, *starts]]

    def __call__(self, counts: Tokens) -> Split:
        """(input, output, total) in USD."""
        if _exact_context_needed():
            with localcontext(_EXACT):
                return self._evaluate(counts)
        return self._evaluate(counts)

    def _evaluate(self, counts: Tokens) -> Split:
        # A tier applies once the input tokens are strictly above its start.
        region = self._regions[bisect_left(self._starts, counts[0])]
        input_usd = region.constant_input
        for index, rate in region.input_rates:
            input_usd += rate * counts[index]
        output_usd = region.constant_output
        for index, rate in region.output_rates:
            output_usd += rate * counts[index]
        return input_usd, output_usd, input_usd + output_usd + region.constant_other
