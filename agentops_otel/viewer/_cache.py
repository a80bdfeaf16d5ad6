"""Small thread-safe caches for the viewer: least recently used, bounded by the size of what they hold."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SizedCache(Generic[V]):
    """Keeps entries until their sizes add up to `capacity`, dropping the least recently used first."""

    def __init__(self, capacity: int, size_of: Callable[[V], int]) -> None:
        self.capacity = capacity
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self._size_of(value)
        if size > self.capacity:
            return  # never worth evicting everything else for
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._items[key] = (value, size)
            self._total += size
            while self._total > self.capacity:
                _, (_, dropped) = self._items.popitem(last=False)
                self._total -= dropped

    def __len__(self) -> int:
        return len(self._items)


class Recent(Generic[V]):
    """One value per key for `seconds`: a listing reused while someone pages, sorts and searches it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._items: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            found = self._items.get(key)
            if found is not None and now - found[0] < self.seconds:
                return found[1]
        value = make()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if now - v[0] < self.seconds}
            self._items[key] = (now, value)
        return value


__all__ = ["Recent", "SizedCache"]
