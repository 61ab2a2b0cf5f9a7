"""PURE parsing of Chronos schedules: ISO 8601 repeating intervals `R[n]/<start>/<period>`.

Meaning (as Chronos): `R` repeats forever, `Rn` runs n more times (the start is the first run), `R0` never
runs (a stored but inert job). An empty start means "now" (the caller passes `now`). The period is required
and must be positive; it may mix calendar parts (years, months, weeks, days) and clock parts (hours,
minutes, seconds), e.g. `P1M`, `PT90S`, `P1DT12H`, `P2W`.

The start is parsed by aniso8601 (any ISO 8601 date-time, or a date meaning its midnight). A start without an
offset is read in the schedule's time zone (UTC when none). A time-only start (`T10:00`) is refused, since
Chronos ran such jobs at once (#807). Starts before 1970 are refused (as Chronos).

Errors are `ScheduleError` with the character position of the offending part.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import aniso8601

from mesosframe.errors import ScheduleError

__all__ = ["Period", "RepeatingInterval", "parse_period", "parse_repeating_interval"]

_PERIOD_PART = re.compile(r"([0-9]+(?:[.,][0-9]+)?)([YMWDHS])")
_REPEATS = re.compile(r"[0-9]{1,18}")
# The common extended form, parsed by the standard library (fast); anything else goes to aniso8601.
_COMMON_START = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration split into a calendar part (months, days) and an exact clock part (seconds)."""

    months: int = 0
    days: int = 0
    seconds: float = 0.0

    @property
    def has_calendar_part(self) -> bool:
        return bool(self.months or self.days)

    def approximate_seconds(self) -> float:
        """Length in seconds with a month of 30.436875 days (an estimate, used only to seek)."""
        return self.months * 30.436875 * 86400 + self.days * 86400 + self.seconds


@dataclass(frozen=True)
class RepeatingInterval:
    """`repetitions` None = forever; `start` None = empty start (now); `start` is naive if it had no offset."""

    repetitions: int | None
    start: dt.datetime | None
    period: Period
    text: str


def parse_period(text: str, offset: int = 0, whole: str | None = None) -> Period:
    """Parse `P[nY][nM][nW][nD][T[nH][nM][nS]]`; only seconds may be fractional. `offset` places errors."""
    whole = whole if whole is not None else text
    if not text.startswith("P"):
        raise ScheduleError("period must start with 'P'", offset, whole)
    date_text, _, time_text = text[1:].partition("T")
    if "T" in text[1:] and not time_text:
        raise ScheduleError("period has 'T' but no hours, minutes or seconds", offset + len(text) - 1, whole)
    months = days = 0
    seconds = 0.0
    seen = False
    for section, base, units in ((date_text, offset + 1, "YMWD"), (time_text, offset + 2 + len(date_text), "HMS")):
        pos = 0
        order = -1
        while pos < len(section):
            match = _PERIOD_PART.match(section, pos)
            if match is None:
                raise ScheduleError("expected a number followed by a unit in the period", base + pos, whole)
            number, unit = match.groups()
            if unit not in units:
                where = "after 'T'" if units == "HMS" else "before 'T'"
                raise ScheduleError(f"unit {unit!r} is not allowed {where}", base + match.start(2), whole)
            if units.index(unit) <= order:
                raise ScheduleError(f"unit {unit!r} is repeated or out of order", base + match.start(2), whole)
            order = units.index(unit)
            value = float(number.replace(",", "."))
            if not math.isfinite(value):
                raise ScheduleError("number too large in the period", base + match.start(1), whole)
            if value != int(value) and not (units == "HMS" and unit == "S"):
                raise ScheduleError("only seconds may have a fraction", base + match.start(1), whole)
            seen = True
            if units == "YMWD":
                amount = int(value)
                if unit == "Y":
                    months += 12 * amount
                elif unit == "M":
                    months += amount
                elif unit == "W":
                    days += 7 * amount
                else:
                    days += amount
            else:
                seconds += value * {"H": 3600, "M": 60, "S": 1}[unit]
            pos = match.end()
    if not seen:
        raise ScheduleError("period has no amount", offset, whole)
    if months == 0 and days == 0 and seconds <= 0:
        raise ScheduleError("period must be longer than zero", offset, whole)
    return Period(months=months, days=days, seconds=seconds)


def _parse_start(text: str, offset: int, whole: str) -> dt.datetime:
    if text.startswith("T"):
        raise ScheduleError("start has a time but no date", offset, whole)
    try:
        if _COMMON_START.fullmatch(text):
            start = dt.datetime.fromisoformat(text)
        elif "T" in text:
            start = aniso8601.parse_datetime(text)
        else:
            start = dt.datetime.combine(aniso8601.parse_date(text), dt.time())
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise ScheduleError(f"start is not an ISO 8601 date-time ({exc})", offset, whole) from None
    if start.tzinfo is not None:
        start = start.replace(tzinfo=dt.timezone(start.utcoffset() or dt.timedelta(0)))
    if start.year < 1970:
        raise ScheduleError("start is before 1970", offset, whole)
    return start


def parse_repeating_interval(text: str) -> RepeatingInterval:
    """Parse a Chronos schedule; raises `ScheduleError` saying what is wrong and where."""
    if not text.startswith("R"):
        raise ScheduleError("schedule must start with 'R' (e.g. R/2024-01-01T00:00:00Z/PT1H)", 0, text)
    parts = text.split("/")
    if len(parts) != 3:
        position = len(text) if len(parts) < 3 else len("/".join(parts[:3]))
        raise ScheduleError("schedule must have three parts 'R[n]/<start>/<period>'", position, text)
    repeat_text, start_text, period_text = parts
    repetitions: int | None = None
    if repeat_text != "R":
        if not _REPEATS.fullmatch(repeat_text[1:]):
            raise ScheduleError("repetitions must be 'R' or 'R' followed by at most 18 digits", 1, text)
        repetitions = int(repeat_text[1:])
    start_offset = len(repeat_text) + 1
    start = _parse_start(start_text, start_offset, text) if start_text else None
    period = parse_period(period_text, start_offset + len(start_text) + 1, text)
    return RepeatingInterval(repetitions=repetitions, start=start, period=period, text=text)
