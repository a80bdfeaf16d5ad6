"""Pricer: the price of one LLM call from genai-prices (offline snapshot) and user overrides.

    pricer = Pricer()                       # overrides from AGENTOPS_OTEL_PRICES_FILE, if set
    pricer = Pricer(overrides="prices.toml")
    result = pricer.price("anthropic", "claude-sonnet-4-20250514", Usage(1200, 300, cache_read_tokens=1000))
    result.priced, result.total, result.source  # True, Decimal('0.00540000'), 'genai-prices 0.2.3 (anthropic/...)'

Overrides win over genai-prices. Lookups are cached per (provider, model), and each genai-prices
price is compiled once into a `PriceFunction`, so a call costs a few microseconds. The compiling
(about 0.5 ms a price) happens on a thread of its own: until it is done, calls with that price are
priced by genai-prices directly (about 60 us, the same figures), so no call of the agent waits for it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
from genai_prices.data_snapshot import DataSnapshot, find_provider_by_id, get_snapshot
from genai_prices.types import ModelInfo, ModelPrice

from .._config import ENV_PRICES_FILE
from .._internal import internal_error
from ..model import Usage
from ._overrides import load_overrides
from ._price_function import PriceFunction, price_directly
from ._quote import PriceResult, Quote, Tokens

# OpenTelemetry `gen_ai.provider.name` values that genai-prices does not recognise by itself.
# (It already knows openai, anthropic, aws.bedrock, azure.ai.openai, gcp.gemini, gcp.vertex_ai,
# mistral_ai, deepseek, groq, cohere, perplexity.) Ids only: no prices live in our code.
_PROVIDER_ALIASES = {"x_ai": "x-ai", "gcp.gen_ai": "google", "azure.ai.inference": "azure"}

# Distinct (provider, model) pairs and price versions are few; the bound only guards against a
# stream of junk model names growing the caches forever.
_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class _Fixed:
    """One price for all time (an override, or most genai-prices models)."""

    model_price: ModelPrice
    source: str


@dataclass(frozen=True, slots=True)
class _Dated:
    """A genai-prices model whose price depends on when the call was made."""

    model: ModelInfo
    source: str


# What a (provider, model) pair resolves to: a price, or why there is none.
_Resolution = _Fixed | _Dated | str


def _datetime(at: datetime | int | None) -> datetime:
    if isinstance(at, datetime):
        return at
    return datetime.fromtimestamp(at / 1e9, tz=UTC) if at else datetime.now(tz=UTC)


def _tokens_from_usage(usage: Usage) -> Tokens:
    return (
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
        usage.cache_write_tokens,
        usage.reasoning_tokens,
    )


def consistent_tokens(tokens: Tokens) -> Tokens:
    """Make cache tokens part of the input, and reasoning tokens part of the output.

    The GenAI conventions count cached tokens inside `gen_ai.usage.input_tokens`, and genai-prices
    expects that; some instrumentations pass Anthropic's raw `input_tokens`, which excludes them.
    When the cache tokens exceed the input tokens, that must be what happened, so add them.
    """
    input_tokens, output_tokens, cache_read, cache_write, reasoning = tokens
    if cache_read + cache_write <= input_tokens and reasoning <= output_tokens:
        return tokens
    if cache_read + cache_write > input_tokens:
        input_tokens += cache_read + cache_write
    if reasoning > output_tokens:
        output_tokens += reasoning
    return input_tokens, output_tokens, cache_read, cache_write, reasoning


# id(ModelPrice) -> (that ModelPrice, its compiled function or None when it cannot be compiled)
_Functions = dict[int, tuple[ModelPrice, PriceFunction | None]]


def _compile_into(functions: _Functions, model_price: ModelPrice) -> None:
    try:
        function: PriceFunction | None = PriceFunction(model_price)
    except (ValueError, ArithmeticError):  # a price our fast path cannot express: genai-prices prices it
        function = None
    if len(functions) >= _CACHE_LIMIT:
        functions.clear()
    functions[id(model_price)] = (model_price, function)


class _Compiler:
    """One thread per process that compiles prices as they are first used, off the agent's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[_Functions, ModelPrice]] = queue.SimpleQueue()
        self._pending: set[tuple[int, int]] = set()
        self._pid = 0
        if hasattr(os, "register_at_fork"):  # the parent's thread may hold the lock at the fork
            os.register_at_fork(after_in_child=self._new_lock)

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread in this process now (init(): not in an LLM call's time)."""
        with self._lock:
            self._start_here()

    def submit(self, functions: _Functions, model_price: ModelPrice) -> None:
        key = (id(functions), id(model_price))
        with self._lock:
            self._start_here()
            if key not in self._pending:
                self._pending.add(key)
                self._queue.put((functions, model_price))

    def _start_here(self) -> None:
        if self._pid == os.getpid():
            return
        # First use, or a forked child (the parent's thread is not here): a queue and a thread of its own.
        self._queue = queue.SimpleQueue()
        self._pending = set()
        self._pid = os.getpid()
        thread = threading.Thread(
            target=self._run, args=(self._queue,), name="agentops-otel-price-compiler", daemon=True
        )
        thread.start()

    def _run(self, jobs: queue.SimpleQueue[tuple[_Functions, ModelPrice]]) -> None:
        while True:
            functions, model_price = jobs.get()
            try:
                _compile_into(functions, model_price)
            except Exception:
                internal_error("compile a price (calls with it are priced by genai-prices directly)")
            finally:
                with self._lock:
                    self._pending.discard((id(functions), id(model_price)))


_compiler = _Compiler()


class Pricer:
    """Prices LLM calls; thread-safe (caches are filled idempotently under the GIL)."""

    def __init__(self, overrides: str | os.PathLike[str] | None = None, *, compile_now: bool = False) -> None:
        """`compile_now`: compile each price at its first use, in the caller's thread, instead of on the
        compiler thread (so that every call takes the compiled path; the tests compare both)."""
        path = overrides if overrides is not None else os.environ.get(ENV_PRICES_FILE, "").strip()
        self._overrides = load_overrides(path) if path else {}
        self._library_source = f"genai-prices {genai_prices.__version__}"
        self._snapshot: DataSnapshot | None = None
        self._resolved: dict[tuple[str | None, str], _Resolution] = {}
        self._functions: _Functions = {}
        self._compile_now = compile_now

    def price(
        self, provider: str | None, model: str | None, usage: Usage | None, at: datetime | int | None = None
    ) -> PriceResult:
        """Price one call made at `at` (a datetime or, as spans carry it, nanoseconds since the epoch;
        default now). Never raises for unknown models or odd usage: the result says why instead."""
        quote = self.quote(provider, model, None if usage is None else _tokens_from_usage(usage), at)
        return PriceResult.unpriced(quote) if isinstance(quote, str) else quote.result()

    def warm_up(self) -> None:
        """Load genai-prices' snapshot now (about half a second of CPU with the import) rather than in
        the first LLM span's end, in the agent's time. `init()` calls this, once per process."""
        snapshot = get_snapshot()
        # First uses pay one-off costs too (about 1.5 ms of genai-prices' validation and matching):
        # one lookup that matches nothing and one price function, both thrown away.
        with contextlib.suppress(LookupError):
            snapshot.find_provider_model("agentops-otel-warm-up", None, None, None)
        PriceFunction(ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2)))
        _compiler.start()

    def quote(
        self, provider: str | None, model: str | None, tokens: Tokens | None, at: datetime | int | None = None
    ) -> Quote | str:
        """`price` for token counts in `Tokens` order, in integer units (the cost processor's fast
        path), or the reason there is no price."""
        if not model:
            return "no model on the span (gen_ai.response.model or gen_ai.request.model)"
        if tokens is None:
            return f"no token usage reported for {model}"
        resolution = self._resolve(provider, model)
        if isinstance(resolution, str):
            return resolution
        counts = consistent_tokens(tokens)
        try:
            if isinstance(resolution, _Fixed):
                model_price = resolution.model_price
            else:  # prices that changed over time: the one in force when the call was made
                model_price = resolution.model.get_prices(_datetime(at))
            function = self._function(model_price)
            if function is None:
                input_units, output_units, total_units, units_per_usd = price_directly(model_price, counts)
            else:
                input_units, output_units, total_units = function(counts)
                units_per_usd = function.units_per_usd
        except (ValueError, ArithmeticError) as exc:  # a price genai-prices itself cannot evaluate
            return f"genai-prices cannot price {model}: {exc}"
        return Quote(input_units, output_units, total_units, units_per_usd, resolution.source)

    def _function(self, model_price: ModelPrice) -> PriceFunction | None:
        """The compiled function, or None while it is being compiled (or if it cannot be)."""
        # ModelPrice is unhashable; key by identity and keep the object so the id stays valid.
        cached = self._functions.get(id(model_price))
        if cached is not None and cached[0] is model_price:
            return cached[1]
        if self._compile_now:
            _compile_into(self._functions, model_price)
            return self._functions[id(model_price)][1]
        _compiler.submit(self._functions, model_price)
        return None

    def _resolve(self, provider: str | None, model: str) -> _Resolution:
        snapshot = get_snapshot()
        if snapshot is not self._snapshot:  # genai-prices' UpdatePrices swapped in newer data
            self._resolved.clear()
            self._snapshot = snapshot
        key = (provider, model)
        resolution = self._resolved.get(key)
        if resolution is None:
            if len(self._resolved) >= _CACHE_LIMIT:
                self._resolved.clear()
            resolution = self._resolved[key] = self._lookup(snapshot, provider, model)
        return resolution

    def _lookup(self, snapshot: DataSnapshot, provider: str | None, model: str) -> _Resolution:
        provider_key = provider.strip().lower() if provider else None
        model_key = model.strip().lower()
        override = self._overrides.get((provider_key, model_key)) or self._overrides.get((None, model_key))
        if override is not None:
            return _Fixed(override.model_price, override.source)
        provider_id = _PROVIDER_ALIASES.get(provider_key, provider_key) if provider_key else None
        hint = "; add it to a prices file (AGENTOPS_OTEL_PRICES_FILE) to price it"
        if provider_id is not None and find_provider_by_id(snapshot.providers, provider_id) is None:
            return f"unknown provider {provider!r} for model {model!r}{hint}"
        try:
            found_provider, found_model = snapshot.find_provider_model(model_key, None, provider_id, None)
        except LookupError:
            where = f" of provider {provider!r}" if provider else ""
            return f"unknown model {model!r}{where}{hint}"
        source = f"{self._library_source} ({found_provider.id}/{found_model.id})"
        if isinstance(found_model.prices, ModelPrice):
            return _Fixed(found_model.prices, source)
        return _Dated(found_model, source)
