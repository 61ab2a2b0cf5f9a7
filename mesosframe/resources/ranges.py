"""Immutable sets of integers stored as sorted, disjoint, non-adjacent closed intervals (Mesos `Value::Ranges`)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

Interval = tuple[int, int]


def _normalize(pairs: Iterable[Interval]) -> tuple[Interval, ...]:
    ordered = sorted(pairs)
    merged: list[list[int]] = []
    for begin, end in ordered:
        if begin > end:
            raise ValueError(f"range begin {begin} is after its end {end}")
        if merged and begin <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([begin, end])
    return tuple((b, e) for b, e in merged)


class Ranges:
    """A set of integers (ports). Immutable and hashable; `len` is the number of integers in it."""

    __slots__ = ("_intervals", "_size")

    def __init__(self, intervals: tuple[Interval, ...] = (), *, _normalized: bool = False) -> None:
        self._intervals = intervals if _normalized else _normalize(intervals)
        self._size = sum(e - b + 1 for b, e in self._intervals)

    @classmethod
    def _make(cls, intervals: tuple[Interval, ...], size: int) -> Ranges:
        """Internal: wrap already normalized intervals whose total size is known."""
        result = cls.__new__(cls)
        result._intervals = intervals
        result._size = size
        return result

    @classmethod
    def of(cls, pairs: Iterable[Interval]) -> Ranges:
        """Ranges from (begin, end) pairs, both ends included; overlapping or adjacent pairs are merged."""
        return cls(tuple(pairs))

    @classmethod
    def from_ports(cls, ports: Iterable[int]) -> Ranges:
        """Ranges holding exactly the given integers."""
        return cls(tuple((p, p) for p in ports))

    @property
    def intervals(self) -> tuple[Interval, ...]:
        return self._intervals

    def __iter__(self) -> Iterator[Interval]:
        return iter(self._intervals)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ranges) and self._intervals == other._intervals

    def __hash__(self) -> int:
        return hash(self._intervals)

    def __repr__(self) -> str:
        inner = ",".join(f"{b}-{e}" for b, e in self._intervals)
        return f"Ranges([{inner}])"

    def __contains__(self, value: int) -> bool:
        for begin, end in self._intervals:
            if value < begin:
                return False
            if value <= end:
                return True
        return False

    def __add__(self, other: Ranges) -> Ranges:
        if not other._intervals:
            return self
        if not self._intervals:
            return other
        return Ranges(self._intervals + other._intervals)

    def __sub__(self, other: Ranges) -> Ranges:
        """The integers of self that are not in other (other need not be contained)."""
        if not other._intervals or not self._intervals:
            return self
        result: list[Interval] = []
        size = 0
        cuts = other._intervals
        count = len(cuts)
        j = 0
        for begin, end in self._intervals:
            while j < count and cuts[j][1] < begin:
                j += 1
            k = j
            while begin <= end and k < count and cuts[k][0] <= end:
                cut_begin, cut_end = cuts[k]
                if cut_begin > begin:
                    result.append((begin, cut_begin - 1))
                    size += cut_begin - begin
                if cut_end + 1 > begin:
                    begin = cut_end + 1
                k += 1
            if begin <= end:
                result.append((begin, end))
                size += end - begin + 1
        return Ranges._make(tuple(result), size)

    def contains(self, other: Ranges) -> bool:
        """True if every integer of other is in self."""
        if other._size > self._size:
            return False
        mine = self._intervals
        i = 0
        for begin, end in other._intervals:
            while i < len(mine) and mine[i][1] < begin:
                i += 1
            if i == len(mine) or mine[i][0] > begin or mine[i][1] < end:
                return False
        return True

    def pick(self, count: int, exclude: Ranges | None = None) -> Ranges | None:
        """The lowest `count` integers of self that are not in `exclude`, or None if there are fewer."""
        source = self - exclude if exclude else self
        if count <= 0:
            return _EMPTY
        if source._size < count:
            return None
        picked: list[Interval] = []
        left = count
        for begin, end in source._intervals:
            width = end - begin + 1
            if width >= left:
                picked.append((begin, begin + left - 1))
                break
            picked.append((begin, end))
            left -= width
        return Ranges._make(tuple(picked), count)

    def split_lowest(self, count: int) -> tuple[Ranges, Ranges]:
        """(the lowest `count` integers, the rest); `count` must be at most `len(self)`."""
        intervals = self._intervals
        begin, end = intervals[0] if intervals else (0, -1)
        if end - begin + 1 > count:  # the common case: the first interval is wide enough
            rest = ((begin + count, end),) + intervals[1:]
            return (Ranges._make(((begin, begin + count - 1),) if count else (), count),
                    Ranges._make(rest, self._size - count))
        picked: list[Interval] = []
        left = count
        for i, (begin, end) in enumerate(intervals):
            width = end - begin + 1
            if width > left:
                if left:
                    picked.append((begin, begin + left - 1))
                rest = ((begin + left, end),) + intervals[i + 1:]
                return Ranges._make(tuple(picked), count), Ranges._make(rest, self._size - count)
            picked.append((begin, end))
            left -= width
        return self, _EMPTY

    def values(self) -> Iterator[int]:
        """Every integer, ascending."""
        for begin, end in self._intervals:
            yield from range(begin, end + 1)


_EMPTY = Ranges((), _normalized=True)
EMPTY_RANGES = _EMPTY
