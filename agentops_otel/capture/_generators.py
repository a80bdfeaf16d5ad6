"""Generators inside a step or a session: the scope is current only while the generator's own code runs.

A decorated generator function returns a generator that the caller drives; between two items the
caller's code runs, and our span (or session) must not be current for it. `drive` and `drive_async`
pass every value sent and every exception thrown in, as `yield from` would, and end the scope once,
after leaving it: when the generator returns, raises, or is closed early (`break`, `close()`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 100  # yielded items kept as a generator's "returns"


@dataclass(frozen=True, slots=True)
class Scope:
    """How to make the scope current, and how it ends."""

    enter: Callable[[], Any]  # -> a token for `leave`
    leave: Callable[[Any], None]
    finish: Callable[[Any], None]  # the items (and return value) it produced
    fail: Callable[[BaseException, list[Any]], None]  # the exception, the items before it


def drive(gen: Generator[Any, Any, Any], scope: Scope) -> Generator[Any, Any, Any]:
    items: list[Any] = []
    resume, argument = gen.send, None
    while True:
        token = scope.enter()
        try:
            item = resume(argument)
        except StopIteration as stop:
            scope.leave(token)
            scope.finish(items if stop.value is None else {"yielded": items, "return": stop.value})
            return stop.value
        except BaseException as exc:
            scope.leave(token)
            scope.fail(exc, items)
            raise
        scope.leave(token)
        if len(items) < MAX_ITEMS:
            items.append(item)
        try:
            resume, argument = gen.send, (yield item)
        except GeneratorExit:  # closed early or broken out of: the scope ends there
            gen.close()
            scope.finish(items)
            raise
        except BaseException as exc:
            resume, argument = gen.throw, exc


async def drive_async(agen: AsyncGenerator[Any, Any], scope: Scope) -> AsyncGenerator[Any, Any]:
    items: list[Any] = []
    resume: Any = agen.asend
    argument: Any = None
    while True:
        token = scope.enter()
        try:
            item = await resume(argument)
        except StopAsyncIteration:
            scope.leave(token)
            scope.finish(items)
            return
        except BaseException as exc:
            scope.leave(token)
            scope.fail(exc, items)
            raise
        scope.leave(token)
        if len(items) < MAX_ITEMS:
            items.append(item)
        try:
            resume, argument = agen.asend, (yield item)
        except GeneratorExit:
            await agen.aclose()
            scope.finish(items)
            raise
        except BaseException as exc:
            resume, argument = agen.athrow, exc
