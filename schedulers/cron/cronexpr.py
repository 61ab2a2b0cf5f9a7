"""PURE 5-field cron expressions (`minute hour day-of-month month day-of-week`), an alternative `schedule`.

Syntax: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n` and `a/n`, lists `a,b`, month names JAN-DEC and
weekday names SUN-SAT (0 and 7 are Sunday), and the macros @yearly @annually @monthly @weekly @daily
@midnight @hourly. As in Vixie cron, when both day-of-month and day-of-week are restricted (do not start
with `*`), a day matches if EITHER matches.

This module only matches naive wall-clock times; time zones and DST are handled in `schedule.py`.
Expressions that can never fire (e.g. `0 0 30 2 *`) are refused. Errors are `ScheduleError` with the
character position of the bad field.
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass

from mesosframe.errors import ScheduleError

__all__ = ["CronExpression", "parse_cron", "looks_like_cron"]

_NUMBER = re.compile(r"[0-9]{1,9}")     # ASCII digits only (str.isdigit also takes "²")

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_WEEKDAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (name, low, high, names)
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _WEEKDAYS),
)
_SEARCH_YEARS = 8  # longer than any gap between two matches of a satisfiable expression (Feb 29 + weekday)


def looks_like_cron(text: str) -> bool:
    """True if `text` is meant as a cron expression (a macro, or five space-separated fields)."""
    stripped = text.strip()
    return stripped.startswith("@") or len(stripped.split()) == 5


@dataclass(frozen=True)
class CronExpression:
    """Allowed values per field (sorted tuples; weekdays 0=Sunday..6) and which day fields are restricted."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    day_restricted: bool
    weekday_restricted: bool
    hour_wildcard: bool

    def day_matches(self, day: dt.date) -> bool:
        in_month = day.day in self.days
        in_week = (day.weekday() + 1) % 7 in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return in_month or in_week
        return in_month and in_week

    def matches(self, wall: dt.datetime) -> bool:
        return (wall.minute in self.minutes and wall.hour in self.hours and wall.month in self.months
                and self.day_matches(wall.date()))

    def next_wall(self, wall: dt.datetime) -> dt.datetime:
        """The first naive wall-clock minute >= `wall` that matches (seconds of `wall` round it up)."""
        if wall.second or wall.microsecond:
            wall = wall.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = wall.year + _SEARCH_YEARS
        day = wall.date()
        hour, minute = wall.hour, wall.minute
        while day.year <= limit:
            if day.month not in self.months:
                index = bisect.bisect_left(self.months, day.month)
                year = day.year + (index == len(self.months))
                day = dt.date(year, self.months[index % len(self.months)], 1)
                hour = minute = 0
                continue
            if not self.day_matches(day):
                day += dt.timedelta(days=1)
                hour = minute = 0
                continue
            index = bisect.bisect_left(self.hours, hour)
            if index == len(self.hours):
                day += dt.timedelta(days=1)
                hour = minute = 0
                continue
            if self.hours[index] != hour:
                hour, minute = self.hours[index], 0
            index = bisect.bisect_left(self.minutes, minute)
            if index == len(self.minutes):
                hour, minute = hour + 1, 0
                if hour == 24:
                    day += dt.timedelta(days=1)
                    hour = 0
                continue
            return dt.datetime(day.year, day.month, day.day, hour, self.minutes[index])
        raise ScheduleError("cron expression does not fire within the search window", None, self.text)


def _parse_value(token: str, low: int, high: int, names: dict[str, int], field: str,
                 position: int, text: str) -> int:
    if token.upper() in names:
        return names[token.upper()]
    if not _NUMBER.fullmatch(token):
        raise ScheduleError(f"{field}: {token!r} is not a number", position, text)
    value = int(token)
    if not low <= value <= high:
        raise ScheduleError(f"{field}: {value} is outside {low}-{high}", position, text)
    return value


def _parse_field(source: str, index: int, position: int, text: str) -> tuple[set[int], bool]:
    name, low, high, names = _FIELDS[index]
    values: set[int] = set()
    offset = position
    for item in source.split(","):
        if not item:
            raise ScheduleError(f"{name}: empty list item", offset, text)
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
                raise ScheduleError(f"{name}: step must be a positive number", offset + len(base) + 1, text)
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first = _parse_value(a, low, high, names, name, offset, text)
            last = _parse_value(b, low, high, names, name, offset + len(a) + 1, text)
            if first > last:
                raise ScheduleError(f"{name}: range {base} goes backwards", offset, text)
        else:
            first = _parse_value(base, low, high, names, name, offset, text)
            last = high if slash else first
        values.update(range(first, last + 1, step))
        offset += len(item) + 1
    if index == 4 and 7 in values:
        values.discard(7)
        values.add(0)
    return values, not source.startswith("*")


def parse_cron(text: str) -> CronExpression:
    """Parse a 5-field cron expression or macro; raises `ScheduleError` naming the field and position."""
    source = _MACROS.get(text.strip().lower(), text) if text.strip().startswith("@") else text
    if source is text and text.strip().startswith("@"):
        raise ScheduleError(f"unknown cron macro {text.strip()!r}", 0, text)
    fields: list[tuple[str, int]] = []
    pos = 0
    for token in source.split():
        pos = source.index(token, pos)
        fields.append((token, pos))
        pos += len(token)
    if len(fields) != 5:
        raise ScheduleError(f"cron expression needs 5 fields, got {len(fields)}", len(source), text)
    parsed = [_parse_field(token, i, pos, text if source is text else source) for i, (token, pos) in
              enumerate(fields)]
    expression = CronExpression(
        text=text,
        minutes=tuple(sorted(parsed[0][0])),
        hours=tuple(sorted(parsed[1][0])),
        days=tuple(sorted(parsed[2][0])),
        months=tuple(sorted(parsed[3][0])),
        weekdays=tuple(sorted(parsed[4][0])),
        day_restricted=parsed[2][1],
        weekday_restricted=parsed[4][1],
        hour_wildcard=fields[1][0] == "*",
    )
    if expression.day_restricted and not expression.weekday_restricted:
        longest = max(29 if m == 2 else calendar.monthrange(2001, m)[1] for m in expression.months)
        if min(expression.days) > longest:
            raise ScheduleError("day-of-month never occurs in the given months", fields[2][1], text)
    return expression
