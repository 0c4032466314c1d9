"""What a worker keeps between calls: caches bounded by the size of the text they were built from.

A worker serves a whole ``deriv batch``; a batch that repeats expressions
pays for their symbolic work once. A count of entries bounds nothing: one
10,000-character expression costs about a megabyte in parsed trees, SymPy
expressions and torch translations, a short one a few kilobytes. So each
cache here counts the characters of the expressions it holds, and forgets
the least recently used ones past its bound.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Hashable, Iterator, MutableMapping
from typing import Final, Generic, ParamSpec, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")

#: Characters of expression text each cache keeps results for: about 200 expressions of the
#: longest kind (10,000 characters), or tens of thousands of short ones; about 200 MiB at most.
MAX_CACHED_CHARACTERS: Final = 2_000_000


class SizedCache(MutableMapping[K, V], Generic[K, V]):
    """A least-recently-used mapping whose entries weigh ``weight(key)``; the heaviest total is ``limit``."""

    def __init__(self, weight: Callable[[K], int], *, limit: int = MAX_CACHED_CHARACTERS) -> None:
        self._weight = weight
        self._limit = limit
        self._items: collections.OrderedDict[K, tuple[V, int]] = collections.OrderedDict()
        self.total = 0

    def __getitem__(self, key: K) -> V:
        value, _ = self._items[key]
        self._items.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        if key in self._items:
            del self[key]
        weight = max(1, self._weight(key))
        if weight > self._limit:
            return  # larger than the whole cache: not kept
        self._items[key] = (value, weight)
        self.total += weight
        while self.total > self._limit:
            _, (_, dropped) = self._items.popitem(last=False)
            self.total -= dropped

    def __delitem__(self, key: K) -> None:
        _, weight = self._items.pop(key)
        self.total -= weight

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def sized_cache(weight: Callable[P, int]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a function's results in a :class:`SizedCache`; ``weight`` takes the function's arguments."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        # Keyed by the arguments alone, weighed only when stored: a batch looks up several per line.
        cache: SizedCache[Hashable, R] = SizedCache(
            lambda key: weight(*key[0], **dict(key[1]))  # type: ignore[index]
        )

        @functools.wraps(function)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items())) if kwargs else ())
            try:
                return cache[key]
            except KeyError:
                pass
            result = function(*args, **kwargs)
            cache[key] = result
            return result

        cached.cache = cache  # type: ignore[attr-defined]
        return cached

    return decorate
