"""Marathon timestamps: the cached formatter agrees with datetime's own rounding everywhere."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from schedulers.longrun.service import iso


def by_datetime(now: float) -> str:
    stamp = dt.datetime.fromtimestamp(now, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@pytest.mark.parametrize("now, expected", [
    (0.0, "1970-01-01T00:00:00.000Z"),
    (1000.0, "1970-01-01T00:16:40.000Z"),
    (1.9999996, "1970-01-01T00:00:02.000Z"),     # rounds up into the next second
    (1.0009994, "1970-01-01T00:00:01.000Z"),
    (-0.25, "1969-12-31T23:59:59.750Z"),
    (1764144000.123, "2025-11-26T08:00:00.123Z"),
])
def test_iso_table(now, expected):
    assert iso(now) == expected


_near_a_second = st.integers(0, 4_000_000_000).map(lambda whole: whole + 0.9999995)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e9, max_value=4e9, allow_nan=False) | _near_a_second)
def test_iso_matches_datetime(now):
    assert iso(now) == by_datetime(now)
