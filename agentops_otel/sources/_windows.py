"""Every trace a backend's search finds in a time window, however many: a search answers at most
`page` traces and says nothing of the rest, so an answer that fills a page is never trusted. Its
window is halved and each half searched again, until every window answers less than a full page;
the union of those answers is everything. A window as narrow as the backend's clock (a microsecond
for Jaeger, a second for Tempo) that still fills a page cannot be split: that is a SourceError
naming the window, never a silent sample.

    for item in every_item(search, start_ns, end_ns, page=100, tick_ns=1_000, key=..., where=url)

Correct whichever traces the backend picks when more match (newest, oldest, any).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from ..errors import SourceError

T = TypeVar("T")


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def every_item(
    search: Callable[[int, int, int], Sequence[T]],
    start_ns: int,
    end_ns: int,
    *,
    page: int,
    tick_ns: int,
    key: Callable[[T], Hashable],
    where: str,
) -> Iterator[T]:
    """Each distinct item (by `key`) that `search(lo_ns, hi_ns, page)` finds in [start_ns, end_ns],
    oldest window first. `search` bounds are inclusive and whole ticks."""
    seen: set[Hashable] = set()
    windows = [(start_ns, end_ns)]
    while windows:
        lo, hi = windows.pop()
        found = search(lo, hi, page)
        if len(found) >= page:
            if hi - lo < 2 * tick_ns:
                raise SourceError(
                    f"{where}: more than {page} traces between {_when(lo)} and {_when(hi)}, a window "
                    "the backend's search cannot split further: not every session can be read "
                    "(narrow --tag or --service, or read the traces from a file or the store)"
                )
            middle = lo + (hi - lo) // 2 // tick_ns * tick_ns
            windows += [(middle + tick_ns, hi), (lo, middle)]  # the older half is searched first
            continue
        for item in found:
            k = key(item)
            if k not in seen:
                seen.add(k)
                yield item
