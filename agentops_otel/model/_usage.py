"""Token usage of LLM calls: one call's counts, and sums of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _conventions


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
        """The token counts a span reports under any known convention (see `agentops_otel._conventions`).

        Input counts the cache tokens, output the reasoning tokens, as the GenAI conventions do. Values
        that are not whole, non-negative counts read as 0: the cost processor leaves such calls unpriced.
        """
        counts = _conventions.tokens(attrs, strict=False)
        return cls() if counts is None else cls(*counts)
