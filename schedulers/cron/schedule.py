"""PURE schedules: when does a job run? Times are epoch seconds (floats, millisecond precision).

`parse_schedule(text, time_zone, now)` accepts a Chronos ISO 8601 repeating interval or a 5-field cron
expression and returns a `Schedule` with `next_run(after)` (the first slot strictly after `after`, or None
when the schedule is exhausted) and `slots_between(start, end)` (slots in `(start, end]`, to find missed slots).

Rules, chosen to be deterministic and documented:

* **Slots are anchored to the start**: slot k = start + k x period, computed from the start, never by adding
  to the previous slot, so schedules never drift. `Rn` has slots k = 0..n-1, `R0` none, `R` unbounded.
* **Month ends** (`P1M` from January 31): the day is clamped to the month's last day, per slot, from the
  start: Jan 31, Feb 28 (29 in leap years), Mar 31, Apr 30, ... The 31st comes back whenever the month has one.
  `P1Y` from Feb 29 runs Feb 28 in common years and Feb 29 in leap years.
* **Time zones**: `scheduleTimeZone` is an IANA name (zoneinfo). As in Chronos, the start's wall-clock fields
  are kept and its zone (even `Z`) replaced. Without it, a start with an offset keeps that fixed offset and a
  start without one is UTC. Cron expressions are read in `scheduleTimeZone`, else UTC.
* **Calendar vs clock parts**: the calendar part of a period (years, months, weeks, days) is added on the wall
  clock, so `P1D` runs at the same local time every day across DST; the clock part (hours, minutes, seconds)
  is elapsed time, so `PT1H` runs every 3600 s whatever the clocks do (and `PT24H` shifts by an hour at DST).
* **Nonexistent wall times** (the spring-forward gap): shifted forward by the length of the gap, so 02:30 on a
  day when clocks jump from 02:00 to 03:00 runs at 03:30 (as java.time). A cron slot that lands on an existing
  slot this way runs once.
* **Repeated wall times** (the fall-back hour): the first occurrence (the daylight-time one) runs, once. Cron
  expressions whose hour field is `*` also fire in the repeated hour, so `*/10 * * * *` keeps firing every 10
  minutes of elapsed time, while `30 1 * * *` runs once.
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
import math
import zoneinfo
from abc import ABC, abstractmethod
from collections.abc import Iterator

from mesosframe.errors import ScheduleError

from .cronexpr import CronExpression, looks_like_cron, parse_cron
from .iso8601 import Period, RepeatingInterval, parse_repeating_interval

__all__ = ["Schedule", "IsoSchedule", "CronSchedule", "parse_schedule", "next_run", "resolve_zone",
           "format_instant"]

_UTC = dt.timezone.utc
_MAX_SHIFT = dt.timedelta(hours=3)  # larger than any UTC offset change at one transition


def resolve_zone(name: str | None) -> dt.tzinfo | None:
    """The zoneinfo zone for an IANA name (None for None/""); raises `ScheduleError` for unknown names."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)",
                            None, name) from None


def format_instant(epoch: float) -> str:
    """ISO 8601 UTC with milliseconds, as Chronos prints times (`2024-01-01T00:00:00.000Z`)."""
    moment = dt.datetime.fromtimestamp(epoch, _UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _instant(wall: dt.datetime, zone: dt.tzinfo, fold: int = 0) -> float:
    return round(wall.replace(tzinfo=zone, fold=fold).timestamp(), 3)


def _wall(epoch: float, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, zone).replace(tzinfo=None)


@functools.lru_cache(maxsize=4096)
def _transitions(zone: dt.tzinfo, year: int) -> tuple[float, ...]:
    """Epochs (to the second) at which `zone` changes its UTC offset during `year` (found by day sampling and
    bisection; a change that is undone within one day would be missed: tzdata has none)."""
    found = []
    moment = dt.datetime(year, 1, 1, tzinfo=_UTC).timestamp()
    end = dt.datetime(year + 1, 1, 1, tzinfo=_UTC).timestamp()
    offset = dt.datetime.fromtimestamp(moment, zone).utcoffset()
    while moment < end:
        later = min(moment + 86400, end)
        later_offset = dt.datetime.fromtimestamp(later, zone).utcoffset()
        if later_offset != offset:
            low, high = moment, later
            while high - low > 1:
                middle = (low + high) // 2
                if dt.datetime.fromtimestamp(middle, zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
            offset = later_offset
        moment = later
    return tuple(found)


def _transition_between(zone: dt.tzinfo, start: float, end: float) -> bool:
    """True if `zone` changes its UTC offset in `(start, end]`."""
    first = dt.datetime.fromtimestamp(start, _UTC).year
    last = dt.datetime.fromtimestamp(end, _UTC).year
    for year in range(first, last + 1):
        changes = _transitions(zone, year)
        index = bisect.bisect_right(changes, start)
        if index < len(changes) and changes[index] <= end:
            return True
    return False


def _add_months(wall: dt.datetime, months: int, anchor_day: int) -> dt.datetime:
    index = wall.year * 12 + wall.month - 1 + months
    year, month = divmod(index, 12)
    day = min(anchor_day, calendar.monthrange(year, month + 1)[1])
    return wall.replace(year=year, month=month + 1, day=day)


class Schedule(ABC):
    """When a job runs. Implementations are immutable and pure."""

    text: str

    @abstractmethod
    def next_run(self, after: float) -> float | None:
        """The first slot strictly after `after`, or None if there is none."""

    def slots_between(self, start: float, end: float, limit: int | None = None) -> Iterator[float]:
        """Slots in `(start, end]`, in order; at most `limit` of them."""
        count = 0
        slot = self.next_run(start)
        while slot is not None and slot <= end and (limit is None or count < limit):
            yield slot
            count += 1
            slot = self.next_run(slot)

    def tail_between(self, start: float, end: float, keep: int) -> tuple[int, list[float]]:
        """How many slots lie in `(start, end]`, and the last `keep` of them in order."""
        tail: list[float] = []
        total = 0
        for slot in self.slots_between(start, end):
            total += 1
            if keep:
                tail.append(slot)
                if len(tail) > 2 * keep:
                    del tail[:-keep]
        return total, tail[-keep:] if keep else []


class IsoSchedule(Schedule):
    """A Chronos repeating interval anchored at its start (see the module docstring)."""

    def __init__(self, interval: RepeatingInterval, start_wall: dt.datetime, zone: dt.tzinfo) -> None:
        self.text = interval.text
        self.interval = interval
        self.repetitions = interval.repetitions
        self.period: Period = interval.period
        self.zone = zone
        self.start_wall = start_wall
        self.start = _instant(start_wall, zone)
        self._approx = interval.period.approximate_seconds()

    def slot(self, index: int) -> float:
        """Slot number `index` (0 = the start), ignoring the repetition count; infinity past year 9999."""
        period = self.period
        if not period.has_calendar_part:
            return round(self.start + index * period.seconds, 3)
        wall = self.start_wall
        try:
            if period.months:
                wall = _add_months(wall, index * period.months, self.start_wall.day)
            if period.days:
                wall = wall + dt.timedelta(days=index * period.days)
            return round(_instant(wall, self.zone) + index * period.seconds, 3)
        except (ValueError, OverflowError):
            return math.inf

    def index_after(self, after: float) -> int:
        """The smallest index whose slot is strictly after `after` (ignoring the repetition count)."""
        if after < self.start:
            return 0
        index = max(0, int(math.floor((after - self.start) / self._approx)))  # an estimate; slots are monotonic
        while index > 0 and self.slot(index - 1) > after:
            index -= 1
        while self.slot(index) <= after:
            index += 1
        return index

    def first_slot(self) -> float | None:
        """The earliest slot, or None for R0."""
        return self.next_run(self.start - 1)

    def next_run(self, after: float) -> float | None:
        if self.repetitions == 0:
            return None
        step = self.period.seconds
        if not self.period.has_calendar_part and after >= self.start:
            index = int((after - self.start) // step) + 1  # exact up to rounding: checked on both sides
            slot = round(self.start + index * step, 3)
            if slot > after >= round(self.start + (index - 1) * step, 3):
                return slot if self.repetitions is None or index < self.repetitions else None
        index = self.index_after(after)
        if self.repetitions is not None and index >= self.repetitions:
            return None
        slot = self.slot(index)
        return None if slot == math.inf else slot

    def tail_between(self, start: float, end: float, keep: int) -> tuple[int, list[float]]:
        first = self.index_after(start)
        last = self.index_after(end)  # one past the last slot <= end
        if self.repetitions is not None:
            last = min(last, self.repetitions)
        if last <= first:
            return 0, []
        return last - first, [self.slot(i) for i in range(max(first, last - keep), last)]

class CronSchedule(Schedule):
    """A cron expression read on the wall clock of `zone` (see the module docstring for DST rules)."""

    def __init__(self, expression: CronExpression, zone: dt.tzinfo) -> None:
        self.text = expression.text
        self.expression = expression
        self.zone = zone
        self._fixed = isinstance(zone, dt.timezone)

    def _instants(self, wall: dt.datetime) -> list[float]:
        first = _instant(wall, self.zone, 0)
        if self._fixed or not self.expression.hour_wildcard:
            return [first]
        second = _instant(wall, self.zone, 1)
        if second != first and _wall(second, self.zone) == wall:
            return [first, second]
        return [first]

    def next_run(self, after: float) -> float | None:
        """As `Schedule.next_run`; cron slots start in 1970 (an earlier `after` counts from then)."""
        after = max(after, 0.0)
        zone = self.zone
        expression = self.expression
        if self._fixed:
            return _instant(expression.next_wall(_wall(after, zone) + dt.timedelta(seconds=1e-3)), zone)
        # Fast path: no UTC offset change near `after` or before the candidate -> wall order is time order.
        wall = _wall(after, zone)
        candidate = expression.next_wall(wall + dt.timedelta(milliseconds=1))
        found = _instant(candidate, zone)
        shift = _MAX_SHIFT.total_seconds()
        if found > after and not _transition_between(zone, after - shift, found + shift):
            return found
        # Slow path near a transition: scan wall times from 3 h back, keeping the earliest instant > after.
        # First occurrences (fold 0) never go back as wall time goes on, so the scan stops at the first wall
        # time whose first occurrence is later than the best instant found.
        best: float | None = None
        candidate = expression.next_wall(wall - _MAX_SHIFT)
        while best is None or _instant(candidate, zone) <= best:
            for moment in self._instants(candidate):
                if moment > after and (best is None or moment < best):
                    best = moment
            candidate = expression.next_wall(candidate + dt.timedelta(minutes=1))
        return best


def parse_schedule(text: str, time_zone: str | None = None, now: float | None = None) -> Schedule:
    """Parse a Chronos ISO 8601 schedule or a cron expression; `now` fills an empty ISO start."""
    zone = resolve_zone(time_zone)
    if looks_like_cron(text) and not text.startswith("R"):
        return CronSchedule(parse_cron(text), zone or _UTC)
    interval = parse_repeating_interval(text)
    if interval.start is None:
        if now is None:
            raise ScheduleError("schedule has an empty start but no current time was given", 1, text)
        start_zone = zone or _UTC
        start_wall = _wall(round(now, 3), start_zone)
    elif zone is not None:
        start_zone, start_wall = zone, interval.start.replace(tzinfo=None)
    elif interval.start.tzinfo is not None:
        start_zone, start_wall = interval.start.tzinfo, interval.start.replace(tzinfo=None)
    else:
        start_zone, start_wall = _UTC, interval.start
    return IsoSchedule(interval, start_wall, start_zone)


def next_run(schedule: str | Schedule, after: float, now: float, time_zone: str | None = None) -> float | None:
    """The first slot of `schedule` strictly after `after`; `now` anchors an empty start."""
    parsed = schedule if isinstance(schedule, Schedule) else parse_schedule(schedule, time_zone, now)
    return parsed.next_run(after)
