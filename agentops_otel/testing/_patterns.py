"""Step patterns: what `assert_steps`, `assert_called_with` and variations match a step against.

A pattern is written `"kind:name"`, `"kind"` alone (any step of that kind) or a bare `"name"` (a tool,
action or agent of that name); names may use `*` and `?` wildcards. `step("refund", amount=50)` adds
arguments: each expected value is compared with `==`, or called with the actual value when callable.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from ..model import STEP_KINDS, Step

# The kinds a bare name refers to: the steps an agent "calls".
NAMED_KINDS = ("tool", "action", "agent")
_MISSING = object()


def _describe_expected(value: Any) -> str:
    if callable(value):
        return getattr(value, "__name__", "predicate")
    return repr(value)


def describe_arguments(wanted: Mapping[str, Any]) -> str:
    """`amount=<lambda>, currency='EUR'`: expected arguments as a reader wants to see them."""
    return ", ".join(f"{k}={_describe_expected(v)}" for k, v in wanted.items())


def arguments_mismatch(params: Any, wanted: Mapping[str, Any]) -> str | None:
    """Why the recorded `params` do not match `wanted`, or None when they do."""
    if not wanted:
        return None
    if params is None:
        return "no arguments were recorded (is content capture off?)"
    if not isinstance(params, Mapping):
        return f"arguments were recorded as {params!r}, not by name"
    for key, expected in wanted.items():
        actual = params.get(key, _MISSING)
        if actual is _MISSING:
            return f"no argument {key!r} (got {', '.join(map(str, params)) or 'none'})"
        if callable(expected):
            try:
                ok = bool(expected(actual))
            except Exception as exc:  # a predicate that raises simply does not match; say why
                return f"{key}={actual!r}: predicate {_describe_expected(expected)} raised {type(exc).__name__}: {exc}"
            if not ok:
                return f"{key}={actual!r} does not satisfy {_describe_expected(expected)}"
        elif actual != expected:
            return f"{key}={actual!r}, expected {expected!r}"
    return None


@dataclass(frozen=True)
class StepPattern:
    """Matches steps by kind (None: tool/action/agent), name glob (None: any) and arguments."""

    kind: str | None = None
    name: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, arguments: Mapping[str, Any] | None = None) -> StepPattern:
        text = text.strip()
        kind, sep, name = text.partition(":")
        if sep:
            if kind not in STEP_KINDS:
                kinds = ", ".join(STEP_KINDS)
                raise ConfigurationError(f"step pattern {text!r}: {kind!r} is not a step kind ({kinds})")
            return cls(kind, name or None, dict(arguments or {}))
        if text in STEP_KINDS:
            return cls(text, None, dict(arguments or {}))
        if not text:
            raise ConfigurationError("an empty step pattern matches nothing; write a name, a kind or kind:name")
        return cls(None, text, dict(arguments or {}))

    def matches(self, step: Step) -> bool:
        if self.kind is None:
            if step.kind not in NAMED_KINDS:
                return False
        elif step.kind != self.kind:
            return False
        if self.name is not None and not fnmatch.fnmatchcase(step.name, self.name):
            return False
        return arguments_mismatch(step.params, self.arguments) is None

    def __str__(self) -> str:
        text = f"{self.kind}:{self.name}" if self.kind and self.name else self.kind or self.name or "*"
        if self.arguments:
            text += f"({describe_arguments(self.arguments)})"
        return repr(text) if not self.arguments else text


def step(pattern: str, /, **arguments: Any) -> StepPattern:
    """A step pattern with arguments: `step("tool:refund", amount=lambda v: v < 100)`."""
    return StepPattern.parse(pattern, arguments)


def as_pattern(value: str | StepPattern) -> StepPattern:
    if isinstance(value, StepPattern):
        return value
    if isinstance(value, str):
        return StepPattern.parse(value)
    raise TypeError(f"a step pattern is a string like 'tool:search' or step(...), not {type(value).__name__}")
