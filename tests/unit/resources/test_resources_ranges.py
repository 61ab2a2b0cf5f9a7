"""Ranges: normalisation, + and -, containment and picking (ports)."""
from __future__ import annotations

import pytest

from mesosframe.resources import Ranges


@pytest.mark.parametrize("pairs, expected", [
    ([], ()),
    ([(5, 5)], ((5, 5),)),
    ([(1, 3), (4, 6)], ((1, 6),)),                 # adjacent ranges merge, as in Mesos
    ([(10, 20), (1, 3), (2, 12)], ((1, 20),)),     # overlapping, unsorted
    ([(1, 2), (5, 6)], ((1, 2), (5, 6))),
])
def test_ranges_of_normalizes(pairs, expected):
    assert Ranges.of(pairs).intervals == expected


def test_ranges_of_rejects_backwards_interval():
    with pytest.raises(ValueError):
        Ranges.of([(5, 4)])


@pytest.mark.parametrize("a, b, expected", [
    ([(1, 10)], [(3, 4)], ((1, 2), (5, 10))),
    ([(1, 10)], [(1, 10)], ()),
    ([(1, 10)], [(0, 20)], ()),
    ([(1, 5), (8, 12)], [(4, 9)], ((1, 3), (10, 12))),
    ([(1, 5)], [(7, 9)], ((1, 5),)),
    ([(31000, 31999)], [(31000, 31000), (31002, 31002)], ((31001, 31001), (31003, 31999))),
])
def test_ranges_subtract(a, b, expected):
    result = Ranges.of(a) - Ranges.of(b)
    assert result.intervals == expected
    assert len(result) == sum(e - s + 1 for s, e in expected)


@pytest.mark.parametrize("a, b, contained", [
    ([(1, 10)], [(2, 3), (5, 10)], True),
    ([(1, 10)], [(0, 1)], False),
    ([(1, 3), (5, 7)], [(3, 5)], False),          # 4 is missing
    ([(1, 3)], [], True),
])
def test_ranges_contains(a, b, contained):
    assert Ranges.of(a).contains(Ranges.of(b)) is contained


@pytest.mark.parametrize("a, count, exclude, expected", [
    ([(31000, 31009)], 3, None, ((31000, 31002),)),
    ([(1, 2), (10, 20)], 4, None, ((1, 2), (10, 11))),
    ([(1, 5)], 2, [(1, 1), (3, 3)], ((2, 2), (4, 4))),
    ([(1, 5)], 0, None, ()),
])
def test_ranges_pick_lowest_first(a, count, exclude, expected):
    picked = Ranges.of(a).pick(count, Ranges.of(exclude) if exclude else None)
    assert picked is not None and picked.intervals == expected
    assert len(picked) == count


def test_ranges_pick_returns_none_when_too_few():
    assert Ranges.of([(1, 3)]).pick(4) is None
    assert Ranges.of([(1, 3)]).pick(3, Ranges.of([(2, 2)])) is None


def test_ranges_membership_hash_and_values():
    r = Ranges.of([(1, 2), (7, 8)])
    assert 7 in r and 5 not in r and 0 not in r
    assert list(r.values()) == [1, 2, 7, 8]
    assert hash(r) == hash(Ranges.from_ports([8, 7, 2, 1])) and r == Ranges.from_ports([8, 7, 2, 1])


@pytest.mark.parametrize("a, count, picked, rest", [
    ([(1, 10)], 3, ((1, 3),), ((4, 10),)),
    ([(1, 10)], 0, (), ((1, 10),)),
    ([(1, 2), (5, 9)], 4, ((1, 2), (5, 6)), ((7, 9),)),
    ([(1, 2), (5, 6)], 4, ((1, 2), (5, 6)), ()),
    ([(1, 3), (5, 6)], 3, ((1, 3),), ((5, 6),)),
])
def test_ranges_split_lowest(a, count, picked, rest):
    low, high = Ranges.of(a).split_lowest(count)
    assert (low.intervals, high.intervals) == (picked, rest)
    assert len(low) == count and len(high) == len(Ranges.of(a)) - count
