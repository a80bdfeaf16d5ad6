"""Pricing spans read back: what the live pipeline would have put on them.

Another instrumentation's trace read from a file or a backend carries model, provider and tokens but
no cost of ours. Every trace source passes its records through `price_records` before building
sessions, so `check --max-cost` and replay see the same cost as `get_session()` would have:

    records = price_records(records)          # LLM spans without agentops.cost.* get it
    sessions = build_sessions(records)

Spans we priced live (they carry `agentops.cost.status`) are left as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from .. import semconv as sc
from ..model import SpanRecord
from ._spans import _LLM, cost_attributes, price_of, role_of

if TYPE_CHECKING:
    from ._pricer import Pricer


@functools.cache
def _shared_pricer() -> Pricer:
    from ._pricer import Pricer

    return Pricer()  # overrides from AGENTOPS_OTEL_PRICES_FILE, as the live pipeline's


def _refused(record: SpanRecord) -> int | None:
    status = record.attributes.get(sc.HTTP_RESPONSE_STATUS_CODE)
    failed = record.status_code == "ERROR" and isinstance(status, int) and status >= 400
    return status if failed else None


def _needs_price(record: SpanRecord) -> bool:
    attrs = record.attributes
    return sc.AGENTOPS_COST_STATUS not in attrs and role_of(attrs) == _LLM


def price_records(records: Iterable[SpanRecord], pricer: Pricer | None = None) -> list[SpanRecord]:
    """The records, with `agentops.cost.*` on each LLM span that has none yet.

    Priced as the cost processor prices: genai-prices (and the user's prices file) from the tokens
    and model, else the cost the instrumentation recorded, else unpriced with the reason. genai-prices
    is loaded only when some span needs a price.
    """
    records = list(records)
    if not any(_needs_price(r) for r in records):
        return records
    pricer = pricer or _shared_pricer()
    priced = []
    for record in records:
        if _needs_price(record):
            attrs = dict(record.attributes)
            _, quote = price_of(pricer, attrs, record.start_ns, _refused(record))
            attrs.update(cost_attributes(quote))
            record = replace(record, attributes=attrs)
        priced.append(record)
    return priced
