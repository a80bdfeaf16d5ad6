"""Token usage of LLM calls: one call's counts, and sums of them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import semconv as sc


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }

    @classmethod
    def from_attributes(cls, attrs: Mapping[str, Any]) -> Usage:
        def num(key: str, fallback: str | None = None) -> int:
            value = attrs.get(key, attrs.get(fallback) if fallback else None)
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                return 0
            try:
                count = float(value)
            except (ValueError, OverflowError):
                return 0
            # Whole, non-negative counts only: the cost processor leaves anything else unpriced too.
            return int(count) if math.isfinite(count) and count >= 0 and count.is_integer() else 0

        return cls(
            num(sc.GEN_AI_USAGE_INPUT_TOKENS, sc.GEN_AI_USAGE_PROMPT_TOKENS),
            num(sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.GEN_AI_USAGE_COMPLETION_TOKENS),
            num(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
            num(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
            num(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
        )
