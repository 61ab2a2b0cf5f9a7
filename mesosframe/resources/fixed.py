"""Mesos fixed-point scalars: values are kept as integer thousandths, as Mesos does (`Value::Scalar`)."""
from __future__ import annotations

import math

SCALE = 1000
MAX_EXACT = 2**53 / SCALE      # the largest amount whose thousandths a float holds exactly (about 9e12)


def to_milli(value: float) -> int:
    """Round `value` to thousandths, half away from zero (Mesos uses `llround(value * 1000)`); ValueError for
    NaN, infinities and values whose thousandths overflow a float."""
    scaled = abs(value) * SCALE
    if not math.isfinite(scaled):
        raise ValueError(f"not a finite number of thousandths: {value!r}")
    milli = int(math.floor(scaled + 0.5))
    return -milli if value < 0 else milli


def from_milli(milli: int) -> float:
    """The float nearest to `milli` thousandths; `to_milli(from_milli(m)) == m` for |m| < 2**50."""
    return milli / SCALE
