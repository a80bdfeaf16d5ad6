"""A fast, exact evaluation of one genai-prices `ModelPrice` for the token kinds spans report.

`ModelPrice.calc_price` takes about 54 us a call against 0.26 us here (measured on gpt-4o-mini; it
re-validates units and works through Decimal bookkeeping on every call), and the cost processor's
budget is 10 us a span. The price of a call is piecewise linear in the token counts: constant
per request, linear per token kind, with breakpoints only on the total input tokens (tiered prices
switch rate for *all* tokens once the input passes a threshold). So for each tier region we ask
`calc_price` itself for the constant and the per-token rate of each token kind, once. Every rate is
a finite Decimal, so scaled by a power of ten it is a whole number: afterwards a call is priced with
a few integer multiplications, in units of 1 / `units_per_usd` USD. The figures are exactly those
`calc_price` computes: all of it is exact arithmetic on the same prices.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal, localcontext

from genai_prices import Usage as PricesUsage
from genai_prices.types import ModelPrice, TieredPrices

from ._quote import EXACT, Tokens

# (input, output, total) in USD, as genai-prices splits them.
Split = tuple[Decimal, Decimal, Decimal]
# The same in whole units of 1 / PriceFunction.units_per_usd USD.
Units = tuple[int, int, int]

# The token kinds, in `Tokens` order.
_KINDS = ("input", "output", "cache_read", "cache_write", "reasoning")


def _calc(model_price: ModelPrice, **tokens: int) -> Split:
    result = model_price.calc_price(PricesUsage(**tokens))
    return result["input_price"], result["output_price"], result["total_price"]


def _minus(a: Split, b: Split) -> Split:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _measure(model_price: ModelPrice, low: int) -> tuple[Split, dict[str, Split]]:
    """The price of a call with `low` + 1 input tokens, and what one more token of each kind adds.

    `low` is a tier start (or 0), so both stay inside one tier region.
    """
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
    # What a call costs before its first input token (per-request prices), by direction.
    constant = tuple(base[i] - rates["input"][i] * r for i in range(3))
    return (constant[0], constant[1], constant[2]), rates


@dataclass(frozen=True, slots=True)
class _Region:
    """Constant and per-token rates, in units, that hold while the input stays in one tier region.

    Only the non-zero rates are kept, as (index into `Tokens`, units per token) pairs.
    """

    constant_input: int
    constant_output: int
    constant_other: int  # per-request prices without a direction: in the total only
    input_rates: tuple[tuple[int, int], ...]
    output_rates: tuple[tuple[int, int], ...]


def _scale_of(values: list[Decimal]) -> int:
    """The smallest power of ten that makes every value whole."""
    return max([0, *(-int(v.as_tuple().exponent) for v in values if v)])


def price_directly(model_price: ModelPrice, counts: Tokens) -> tuple[int, int, int, int]:
    """What a `PriceFunction` of `model_price` gives for `counts`, asked of genai-prices itself (about
    60 us, against 0.5 ms to build the function): (input, output, total, units_per_usd)."""
    names = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "output_reasoning_tokens")
    # Only the kinds the call used, as the function's own measures ask: a kind given as 0 is still "reported".
    tokens = {name: count for name, count in zip(names, counts, strict=True) if count or name == "input_tokens"}
    with localcontext(EXACT):
        split = _calc(model_price, **tokens)
        scale = _scale_of(list(split))
        input_units, output_units, total_units = (int(value.scaleb(scale)) for value in split)
    return input_units, output_units, total_units, 10**scale


class PriceFunction:
    """Prices `Tokens` under one `ModelPrice`; build once per ModelPrice and reuse.

    The counts must be consistent (cache tokens within the input tokens, reasoning tokens within the
    output tokens); `Pricer` makes it so before calling.
    """

    __slots__ = ("_regions", "_starts", "units_per_usd")

    def __init__(self, model_price: ModelPrice) -> None:
        starts = sorted(
            {
                tier.start
                for value in vars(model_price).values()
                if isinstance(value, TieredPrices)
                for tier in value.tiers
            }
        )
        with localcontext(EXACT):
            measured = [_measure(model_price, low) for low in [0, *starts]]
            scale = _scale_of([d for constant, rates in measured for d in (*constant, *sum(rates.values(), ()))])
            self.units_per_usd = 10**scale

            def units(value: Decimal) -> int:
                return int(value.scaleb(scale))  # whole by the choice of scale: exact

            self._regions = [
                _Region(
                    constant_input=units(constant[0]),
                    constant_output=units(constant[1]),
                    constant_other=units(constant[2] - constant[0] - constant[1]),
                    input_rates=tuple((i, units(rates[k][0])) for i, k in enumerate(_KINDS) if rates[k][0]),
                    output_rates=tuple((i, units(rates[k][1])) for i, k in enumerate(_KINDS) if rates[k][1]),
                )
                for constant, rates in measured
            ]
        self._starts = starts

    def __call__(self, counts: Tokens) -> Units:
        """(input, output, total) in units of 1 / `units_per_usd` USD."""
        # A tier applies once the input tokens are strictly above its start.
        region = self._regions[bisect_left(self._starts, counts[0])]
        input_units = region.constant_input
        for index, rate in region.input_rates:
            input_units += rate * counts[index]
        output_units = region.constant_output
        for index, rate in region.output_rates:
            output_units += rate * counts[index]
        return input_units, output_units, input_units + output_units + region.constant_other
