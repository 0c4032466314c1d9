"""Caches a worker keeps between calls, bounded by the characters of the expressions they hold."""

from __future__ import annotations

from derivcli.worker.cache import SizedCache, sized_cache


def test_the_least_recently_used_entries_go_past_the_bound() -> None:
    cache: SizedCache[str, int] = SizedCache(len, limit=10)
    cache["aaaa"] = 1
    cache["bbbb"] = 2
    assert cache["aaaa"] == 1  # now the most recently used
    cache["cccc"] = 3  # 12 characters: "bbbb" goes
    assert (list(cache), cache.total) == (["aaaa", "cccc"], 8)
    cache["x" * 11] = 4  # heavier than the whole cache: not kept
    assert list(cache) == ["aaaa", "cccc"]


def test_ten_thousand_long_expressions_stay_within_the_bound() -> None:
    # A count of 10,000 entries let 10,000-character lines grow a worker past its 8 GiB cap.
    calls: list[str] = []

    @sized_cache(lambda text: len(text))
    def parse(text: str) -> str:
        calls.append(text)
        return text.upper()

    for index in range(1_000):
        parse(f"{index:05d}" + "x" * 9_995)
    assert parse.cache.total <= 2_000_000  # type: ignore[attr-defined]
    assert len(parse.cache) == 200  # type: ignore[attr-defined]
    assert parse("00999" + "x" * 9_995) == "00999" + "X" * 9_995
    assert len(calls) == 1_000  # the most recent one was still cached
