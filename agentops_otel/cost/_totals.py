"""Running per-session totals of LLM usage and cost, bounded in memory and thread-safe."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from .. import semconv as sc
from ._quote import Quote, Tokens

_log = logging.getLogger("agentops_otel.cost")


@dataclass(slots=True)
class SessionTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    # The priced calls' cost, exactly, in units of 1 / cost_units_per_usd USD.
    cost_units: int = 0
    cost_units_per_usd: int = 1
    complete: bool = True
    llm_calls: int = 0

    def add_cost(self, units: int, units_per_usd: int) -> None:
        # Both are powers of ten: rescale to the finer one, and the sum stays exact.
        if units_per_usd > self.cost_units_per_usd:
            self.cost_units *= units_per_usd // self.cost_units_per_usd
            self.cost_units_per_usd = units_per_usd
        self.cost_units += units * (self.cost_units_per_usd // units_per_usd)

    def attributes(self) -> dict[str, Any]:
        return {
            sc.AGENTOPS_SESSION_USAGE_INPUT_TOKENS: self.input_tokens,
            sc.AGENTOPS_SESSION_USAGE_OUTPUT_TOKENS: self.output_tokens,
            sc.AGENTOPS_SESSION_USAGE_CACHE_READ_TOKENS: self.cache_read_tokens,
            sc.AGENTOPS_SESSION_USAGE_CACHE_WRITE_TOKENS: self.cache_write_tokens,
            sc.AGENTOPS_SESSION_LLM_CALLS: self.llm_calls,
            sc.AGENTOPS_SESSION_COST_USD: self.cost_units / self.cost_units_per_usd,
            sc.AGENTOPS_SESSION_COST_COMPLETE: self.complete,
        }


class SessionTotalsTable:
    """Totals per `session.id` until the session root ends.

    Holds at most `max_sessions` open sessions: a session whose root never ends (the process
    crashed mid-run, the root was not sampled) is evicted, oldest first, with one warning. LLM spans
    that end after their session root (a leaked thread) are not added to a fresh entry that nobody
    would ever read: the ids of recently closed sessions are remembered.
    """

    def __init__(self, max_sessions: int = 10_000) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        self._max = max_sessions
        self._open: dict[str, SessionTotals] = {}  # insertion order: oldest first
        self._closed: dict[str, None] = {}
        self._lock = threading.Lock()
        self.evicted = 0

    def add(self, session_id: str, tokens: Tokens | None, quote: Quote | None, llm_call: bool = True) -> None:
        """Count one LLM call (or only a cost the application gave another step: `llm_call=False`);
        `quote` None means it could not be priced."""
        with self._lock:
            if session_id in self._closed:
                return
            totals = self._open.get(session_id)
            if totals is None:
                totals = self._open[session_id] = SessionTotals()
                if len(self._open) > self._max:
                    del self._open[next(iter(self._open))]
                    self.evicted += 1
                    if self.evicted == 1:
                        _log.warning(
                            "more than %d sessions are open at once; dropping cost totals of the oldest",
                            self._max,
                        )
            totals.llm_calls += llm_call
            if tokens is not None:
                totals.input_tokens += tokens[0]
                totals.output_tokens += tokens[1]
                totals.cache_read_tokens += tokens[2]
                totals.cache_write_tokens += tokens[3]
            if quote is None:
                totals.complete = False
            else:
                totals.add_cost(quote.total_units, quote.units_per_usd)

    def close(self, session_id: str) -> SessionTotals:
        """The session's totals (empty if it made no LLM call); later calls are not counted."""
        with self._lock:
            totals = self._open.pop(session_id, None) or SessionTotals()
            self._closed[session_id] = None
            if len(self._closed) > self._max:
                del self._closed[next(iter(self._closed))]
            return totals

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)
