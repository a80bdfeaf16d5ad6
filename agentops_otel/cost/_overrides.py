"""User price overrides: a small JSON or TOML file for private, fine-tuned or re-priced models.

JSON::

    {"models": [
        {"model": "my-finetune-7b", "input_mtok": 0.5, "output_mtok": 1.5},
        {"model": "gpt-4o", "provider": "openai", "input_mtok": 2.0, "output_mtok": 8.0,
         "cache_read_mtok": 1.0, "cache_write_mtok": 2.0}
    ]}

TOML (a `.toml` file)::

    [[models]]
    model = "my-finetune-7b"
    input_mtok = 0.5
    output_mtok = 1.5

Prices are USD per million tokens. `model` matches the span's model exactly (case-insensitive);
`provider`, when given, limits the entry to spans of that provider. Cache prices default to the input
price, as genai-prices does for a model without a cache price.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from genai_prices.types import ModelPrice

from ..errors import ConfigurationError

_REQUIRED_PRICES = ("input_mtok", "output_mtok")
_OPTIONAL_PRICES = ("cache_read_mtok", "cache_write_mtok")
_ENTRY_KEYS = ("model", "provider", *_REQUIRED_PRICES, *_OPTIONAL_PRICES)
_EXAMPLE = '{"models": [{"model": "my-model", "input_mtok": 0.5, "output_mtok": 1.5}]}'

# (provider or None, model), both lower case.
OverrideKey = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class PriceOverride:
    model_price: ModelPrice
    source: str


def _price(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where} must be a non-negative number of USD per million tokens, got {value!r}")
    return Decimal(str(value))


def _entry(entry: Any, where: str, source: str) -> tuple[OverrideKey, PriceOverride]:
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be an object with model, input_mtok and output_mtok")
    unknown = sorted(set(entry) - set(_ENTRY_KEYS))
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_ENTRY_KEYS)}")
    model = entry.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"{where}.model must be a non-empty string")
    provider = entry.get("provider")
    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise ValueError(f"{where}.provider must be a non-empty string when given")
    missing = [key for key in _REQUIRED_PRICES if key not in entry]
    if missing:
        raise ValueError(f"{where} ({model}) needs {' and '.join(missing)}")
    prices = {key: _price(entry[key], f"{where}.{key}") for key in _REQUIRED_PRICES}
    for key in _OPTIONAL_PRICES:
        prices[key] = _price(entry[key], f"{where}.{key}") if key in entry else prices["input_mtok"]
    override_key = (provider.strip().lower() if provider else None, model.strip().lower())
    return override_key, PriceOverride(ModelPrice(**prices), source)


def parse_overrides(data: Any, source: str) -> dict[OverrideKey, PriceOverride]:
    """Validate parsed file content; raises ValueError saying what is wrong and where."""
    if not isinstance(data, Mapping) or not isinstance(data.get("models"), list):
        raise ValueError(f"expected an object with a 'models' list, like {_EXAMPLE}")
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise ValueError(f"unknown top-level key(s) {', '.join(unknown)}; only 'models' is allowed")
    overrides: dict[OverrideKey, PriceOverride] = {}
    for index, raw in enumerate(data["models"]):
        key, override = _entry(raw, f"models[{index}]", source)
        if key in overrides:
            provider = f" for provider {key[0]}" if key[0] else ""
            raise ValueError(f"models[{index}]: model {key[1]}{provider} is listed twice")
        overrides[key] = override
    return overrides


def load_overrides(path: str | os.PathLike[str]) -> dict[OverrideKey, PriceOverride]:
    """Read and validate a prices file; raises ConfigurationError naming the file and the problem."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"prices file {file} cannot be read: {exc.strerror or exc}; point init(prices_file=...) "
            "or AGENTOPS_OTEL_PRICES_FILE at an existing JSON or TOML file"
        ) from None
    try:
        if file.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
        return parse_overrides(data, f"override:{file.name}")
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise ConfigurationError(f"prices file {file}: {exc}") from None
