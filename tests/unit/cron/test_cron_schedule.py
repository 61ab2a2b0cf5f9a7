"""Table-driven tests of ISO 8601 / cron parsing and next-run computation (pure)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesosframe.errors import ScheduleError
from schedulers.cron.cronexpr import parse_cron
from schedulers.cron.iso8601 import Period, parse_period
from schedulers.cron.schedule import format_instant, next_run, parse_schedule

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp()


def at(text: str, zone: str = "UTC") -> float:
    """Epoch of a wall-clock time in a zone; a trailing '+1' picks the second of a repeated time."""
    fold = 1 if text.endswith("+1") else 0
    wall = dt.datetime.fromisoformat(text.removesuffix("+1"))
    return wall.replace(tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def local(epoch: float, zone: str) -> str:
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(zone)).isoformat()


def slots(schedule: str, zone: str | None, after: float, count: int) -> list[float]:
    parsed = parse_schedule(schedule, zone, NOW)
    out = []
    for _ in range(count):
        nxt = parsed.next_run(after)
        if nxt is None:
            break
        out.append(nxt)
        after = nxt
    return out


@pytest.mark.parametrize("text, expected", [
    ("PT1S", Period(seconds=1)),
    ("PT1.5S", Period(seconds=1.5)),
    ("PT90M", Period(seconds=5400)),
    ("P1D", Period(days=1)),
    ("P2W", Period(days=14)),
    ("P1M", Period(months=1)),
    ("P1Y2M", Period(months=14)),
    ("P1DT12H", Period(days=1, seconds=43200)),
    ("P1Y2M3DT4H5M6S", Period(months=14, days=3, seconds=4 * 3600 + 5 * 60 + 6)),
])
def test_period_parsing(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("schedule, position, fragment", [
    ("X/2024-01-01T00:00:00Z/PT1H", 0, "must start with 'R'"),
    ("R/2024-01-01T00:00:00Z", 22, "three parts"),
    ("Rx/2024-01-01T00:00:00Z/PT1H", 1, "repetitions"),
    ("R/2024-13-01T00:00:00Z/PT1H", 2, "start is not an ISO 8601"),
    ("R/T10:00:00/PT1H", 2, "time but no date"),
    ("R/1969-12-31T00:00:00Z/PT1H", 2, "before 1970"),
    ("R/2024-01-01T00:00:00Z/1H", 23, "must start with 'P'"),
    ("R/2024-01-01T00:00:00Z/PT1X", 25, "number followed by a unit"),
    ("R/2024-01-01T00:00:00Z/P1H", 25, "not allowed before 'T'"),
    ("R/2024-01-01T00:00:00Z/PT0S", 23, "longer than zero"),
    ("R/2024-01-01T00:00:00Z/P1.5D", 24, "only seconds"),
    ("R/2024-01-01T00:00:00Z/P1D1Y", 27, "out of order"),
    ("R/2024-01-01T00:00:00Z/P", 23, "no amount"),
    ("R/2024-01-01T00:00:00Z/P1DT", 26, "no hours"),
])
def test_iso_errors_say_what_and_where(schedule, position, fragment):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(schedule, None, NOW)
    assert info.value.position == position
    assert fragment in info.value.message


@pytest.mark.parametrize("expression, position, fragment", [
    ("61 * * * *", 0, "minute: 61 is outside 0-59"),
    ("* 24 * * *", 2, "hour: 24"),
    ("* * 0 * *", 4, "day-of-month: 0"),
    ("* * * 13 *", 6, "month: 13"),
    ("* * * * 8", 8, "day-of-week: 8"),
    ("*/0 * * * *", 2, "step must be a positive"),
    ("5-1 * * * *", 0, "goes backwards"),
    ("* * * FOO *", 6, "'FOO' is not a number"),
    ("1,,2 * * * *", 2, "empty list item"),
    ("0 0 30 2 *", 4, "never occurs"),
    ("@often", 0, "unknown cron macro"),
])
def test_cron_errors_say_what_and_where(expression, position, fragment):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(expression, None, NOW)
    assert info.value.position == position
    assert fragment in info.value.message


def test_four_fields_are_refused_as_a_non_iso_schedule():
    with pytest.raises(ScheduleError):
        parse_schedule("* * * *", None, NOW)


def test_unknown_time_zone_is_a_schedule_error():
    with pytest.raises(ScheduleError, match="unknown time zone"):
        parse_schedule("R/2024-01-01T00:00:00Z/PT1H", "Mars/Olympus", NOW)


@pytest.mark.parametrize("schedule, after, expected", [
    # R forever, future start: the start is the first slot
    ("R/2024-07-01T00:00:00Z/PT1H", NOW, ["2024-07-01T00:00:00.000Z", "2024-07-01T01:00:00.000Z"]),
    # past start: slots continue on the start's grid
    ("R/2024-05-31T23:30:00Z/PT1H", NOW, ["2024-06-01T12:30:00.000Z", "2024-06-01T13:30:00.000Z"]),
    # R0 never runs, past or future
    ("R0/2024-07-01T00:00:00Z/PT1H", NOW, []),
    ("R0/2020-01-01T00:00:00Z/PT1H", NOW, []),
    # R1 future: exactly one slot; R1 past: none left after now (the catch-up is the run FSM's business)
    ("R1/2024-07-01T00:00:00Z/P1D", NOW, ["2024-07-01T00:00:00.000Z"]),
    ("R1/2024-01-01T00:00:00Z/P1D", NOW, []),
    # Rn with a past start: the slots that remain after now
    ("R4/2024-06-01T00:00:00Z/PT6H", NOW, ["2024-06-01T18:00:00.000Z"]),
    ("R3/2024-06-01T00:00:00Z/PT6H", NOW, []),
    ("R3/2024-06-01T12:00:00Z/PT6H", NOW - 1, ["2024-06-01T12:00:00.000Z", "2024-06-01T18:00:00.000Z",
                                               "2024-06-02T00:00:00.000Z"]),
    # month ends: clamped per slot from the start, never drifting (leap year 2024)
    ("R/2024-01-31T10:00:00Z/P1M", 0, ["2024-01-31T10:00:00.000Z", "2024-02-29T10:00:00.000Z",
                                      "2024-03-31T10:00:00.000Z", "2024-04-30T10:00:00.000Z"]),
    ("R/2023-01-31T10:00:00Z/P1M", 0, ["2023-01-31T10:00:00.000Z", "2023-02-28T10:00:00.000Z",
                                      "2023-03-31T10:00:00.000Z"]),
    # leap day yearly: Feb 28 in common years, back to Feb 29 in leap years
    ("R/2024-02-29T00:00:00Z/P1Y", 0, ["2024-02-29T00:00:00.000Z", "2025-02-28T00:00:00.000Z",
                                      "2026-02-28T00:00:00.000Z", "2027-02-28T00:00:00.000Z",
                                      "2028-02-29T00:00:00.000Z"]),
    # seconds and weeks
    ("R/2024-06-01T12:00:00Z/PT1S", NOW, ["2024-06-01T12:00:01.000Z", "2024-06-01T12:00:02.000Z"]),
    ("R/2024-05-27T00:00:00Z/P1W", NOW, ["2024-06-03T00:00:00.000Z", "2024-06-10T00:00:00.000Z"]),
    # a start with an offset keeps it
    ("R/2024-07-01T02:00:00+02:00/P1D", NOW, ["2024-07-01T00:00:00.000Z", "2024-07-02T00:00:00.000Z"]),
    # cron (UTC)
    ("*/15 * * * *", NOW, ["2024-06-01T12:15:00.000Z", "2024-06-01T12:30:00.000Z"]),
    ("0 9 * * MON-FRI", NOW, ["2024-06-03T09:00:00.000Z", "2024-06-04T09:00:00.000Z"]),
    ("0 0 29 2 *", NOW, ["2028-02-29T00:00:00.000Z"]),
    ("0 0 13 * FRI", NOW, ["2024-06-07T00:00:00.000Z", "2024-06-13T00:00:00.000Z",
                           "2024-06-14T00:00:00.000Z"]),  # Vixie: day-of-month OR day-of-week
    ("@monthly", NOW, ["2024-07-01T00:00:00.000Z", "2024-08-01T00:00:00.000Z"]),
    ("0 12 * * 7", NOW, ["2024-06-02T12:00:00.000Z"]),  # 7 is Sunday
])
def test_next_runs_in_utc(schedule, after, expected):
    got = [format_instant(s) for s in slots(schedule, None, after, len(expected) + 1)]
    assert got[:len(expected)] == expected
    if schedule.startswith(("R0/", "R1/", "R3/", "R4/")):
        assert len(got) == len(expected), "a finite schedule has no more slots"


@pytest.mark.parametrize("schedule, zone, after, expected", [
    # P1D keeps the local wall time across spring forward (New York, 2024-03-10 02:00 -> 03:00)
    ("R/2024-03-09T09:00:00/P1D", "America/New_York", 0,
     ["2024-03-09T09:00:00-05:00", "2024-03-10T09:00:00-04:00", "2024-03-11T09:00:00-04:00"]),
    # a nonexistent 02:30 is shifted forward by the gap to 03:30, then back to 02:30
    ("R/2024-03-09T02:30:00/P1D", "America/New_York", 0,
     ["2024-03-09T02:30:00-05:00", "2024-03-10T03:30:00-04:00", "2024-03-11T02:30:00-04:00"]),
    # a repeated 01:30 (fall back, 2024-11-03) runs once, at the first (daylight) occurrence
    ("R/2024-11-02T01:30:00/P1D", "America/New_York", 0,
     ["2024-11-02T01:30:00-04:00", "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"]),
    # PT1H is elapsed time: it steps through the repeated hour
    ("R/2024-11-03T00:00:00/PT1H", "America/New_York", 0,
     ["2024-11-03T00:00:00-04:00", "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00",
      "2024-11-03T02:00:00-05:00"]),
    # Berlin: spring forward 2024-03-31 02:00 -> 03:00; scheduleTimeZone replaces a 'Z'
    ("R/2024-03-30T02:15:00Z/P1D", "Europe/Berlin", 0,
     ["2024-03-30T02:15:00+01:00", "2024-03-31T03:15:00+02:00", "2024-04-01T02:15:00+02:00"]),
    # Berlin fall back 2024-10-27 03:00 -> 02:00: 02:30 runs once (CEST)
    ("R/2024-10-26T02:30:00/P1D", "Europe/Berlin", 0,
     ["2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]),
    # Sydney (southern hemisphere): clocks go back 2024-04-07 03:00 -> 02:00, forward 2024-10-06 02:00 -> 03:00
    ("R/2024-04-06T02:30:00/P1D", "Australia/Sydney", 0,
     ["2024-04-06T02:30:00+11:00", "2024-04-07T02:30:00+11:00", "2024-04-08T02:30:00+10:00"]),
    ("R/2024-10-05T02:30:00/P1D", "Australia/Sydney", 0,
     ["2024-10-05T02:30:00+10:00", "2024-10-06T03:30:00+11:00", "2024-10-07T02:30:00+11:00"]),
    # monthly in a zone keeps the wall time across DST
    ("R/2024-01-31T08:00:00/P1M", "Europe/Berlin", 0,
     ["2024-01-31T08:00:00+01:00", "2024-02-29T08:00:00+01:00", "2024-03-31T08:00:00+02:00"]),
])
def test_iso_schedules_across_dst(schedule, zone, after, expected):
    assert [local(s, zone) for s in slots(schedule, zone, after, len(expected))] == expected


@pytest.mark.parametrize("expression, zone, after, expected", [
    # a fixed-time job on spring-forward day: 02:30 does not exist, it runs at 03:30
    ("30 2 * * *", "America/New_York", at("2024-03-09T12:00", "America/New_York"),
     ["2024-03-10T03:30:00-04:00", "2024-03-11T02:30:00-04:00"]),
    # the gap is skipped by frequent jobs, without duplicates
    ("*/30 * * * *", "America/New_York", at("2024-03-10T01:10", "America/New_York"),
     ["2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T03:30:00-04:00"]),
    # fall back: a fixed-time job runs once ...
    ("30 1 * * *", "America/New_York", at("2024-11-02T12:00", "America/New_York"),
     ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"]),
    # ... while an hour-wildcard job keeps firing through the repeated hour
    ("*/30 * * * *", "America/New_York", at("2024-11-03T00:40", "America/New_York"),
     ["2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00", "2024-11-03T01:00:00-05:00",
      "2024-11-03T01:30:00-05:00", "2024-11-03T02:00:00-05:00"]),
    # starting inside the repeated hour (second pass) finds the next instant, not an earlier wall time
    ("*/30 * * * *", "America/New_York", at("2024-11-03T01:10+1", "America/New_York"),
     ["2024-11-03T01:30:00-05:00", "2024-11-03T02:00:00-05:00"]),
    ("0 3 * * *", "Europe/Berlin", at("2024-10-26T12:00", "Europe/Berlin"),
     ["2024-10-27T03:00:00+01:00", "2024-10-28T03:00:00+01:00"]),
    ("30 2 * * SUN", "Europe/Berlin", at("2024-03-30T00:00", "Europe/Berlin"),
     ["2024-03-31T03:30:00+02:00", "2024-04-07T02:30:00+02:00"]),
    ("0 2 * * *", "Australia/Sydney", at("2024-10-05T12:00", "Australia/Sydney"),
     ["2024-10-06T03:00:00+11:00", "2024-10-07T02:00:00+11:00"]),
])
def test_cron_across_dst(expression, zone, after, expected):
    assert [local(s, zone) for s in slots(expression, zone, after, len(expected))] == expected


def test_empty_start_means_now():
    schedule = parse_schedule("R/ /PT10M".replace(" ", ""), None, NOW)
    assert schedule.first_slot() == NOW
    assert next_run("R//PT10M", NOW, NOW) == NOW + 600


def test_empty_start_without_now_is_refused():
    with pytest.raises(ScheduleError, match="no current time"):
        parse_schedule("R//PT1H")


@pytest.mark.parametrize("schedule, start, end, count, tail", [
    ("R/2024-06-01T00:00:00Z/PT1H", NOW - 86400, NOW, 13, ["2024-06-01T11:00:00.000Z", "2024-06-01T12:00:00.000Z"]),
    ("R5/2024-06-01T00:00:00Z/PT1H", NOW - 86400, NOW, 5, ["2024-06-01T03:00:00.000Z", "2024-06-01T04:00:00.000Z"]),
    ("0 * * * *", NOW - 3 * 3600, NOW, 3, ["2024-06-01T11:00:00.000Z", "2024-06-01T12:00:00.000Z"]),
    ("R0/2024-06-01T00:00:00Z/PT1H", 0, NOW, 0, []),
])
def test_slots_between_and_tail(schedule, start, end, count, tail):
    parsed = parse_schedule(schedule, None, NOW)
    listed = list(parsed.slots_between(start, end))
    total, last = parsed.tail_between(start, end, 2)
    assert (len(listed), total) == (count, count)
    assert [format_instant(s) for s in last] == tail == [format_instant(s) for s in listed[-2:]]


def test_iso_seek_matches_stepping_for_long_calendar_periods():
    parsed = parse_schedule("R/1970-01-31T00:00:00Z/P1M", None, NOW)
    stepped = [parsed.slot(i) for i in range(700)]
    for index in (0, 1, 100, 653, 698):
        assert parsed.next_run(stepped[index]) == stepped[index + 1]


def test_cron_matches_and_macros():
    expression = parse_cron("@hourly")
    assert expression.minutes == (0,) and len(expression.hours) == 24
    assert parse_cron("0 0 * JAN,jul *").months == (1, 7)
    assert parse_cron("*/20 1-3/2 * * *").hours == (1, 3)


def brute_force_cron(expression: str, zone: str, start: float, end: float) -> list[float]:
    """The documented DST rules, applied minute by minute: a reference for `CronSchedule.next_run`."""
    parsed = parse_cron(expression)
    tz = ZoneInfo(zone)
    fired = set()
    wall = dt.datetime.fromtimestamp(start, tz).replace(tzinfo=None, second=0, microsecond=0) - dt.timedelta(hours=3)
    last = dt.datetime.fromtimestamp(end, tz).replace(tzinfo=None) + dt.timedelta(hours=3)
    while wall <= last:
        if parsed.matches(wall):
            first = wall.replace(tzinfo=tz, fold=0).timestamp()
            fired.add(first)  # a nonexistent wall time resolves forward by the gap
            second = wall.replace(tzinfo=tz, fold=1).timestamp()
            repeated = dt.datetime.fromtimestamp(second, tz).replace(tzinfo=None) == wall and second != first
            if repeated and parsed.hour_wildcard:
                fired.add(second)
        wall += dt.timedelta(minutes=1)
    return sorted(t for t in fired if start < t <= end)


@pytest.mark.parametrize("zone, transition", [
    ("America/New_York", "2024-03-10T07:00"), ("America/New_York", "2024-11-03T06:00"),
    ("Europe/Berlin", "2024-03-31T01:00"), ("Europe/Berlin", "2024-10-27T01:00"),
    ("Australia/Sydney", "2024-04-06T16:00"), ("Australia/Lord_Howe", "2024-10-05T15:30"),
])
@pytest.mark.parametrize("expression", ["*/20 * * * *", "30 * * * *", "0,30 1-3 * * *", "45 2 * * *", "5 0-4/2 * * *"])
def test_cron_matches_a_minute_by_minute_reference_around_transitions(zone, transition, expression):
    middle = dt.datetime.fromisoformat(transition).replace(tzinfo=dt.timezone.utc).timestamp()
    start, end = middle - 5 * 3600, middle + 5 * 3600
    assert list(parse_schedule(expression, zone).slots_between(start, end)) == \
        brute_force_cron(expression, zone, start, end)


@settings(max_examples=100, deadline=None)
@given(start=st.integers(0, 2_000_000_000), months=st.integers(0, 25), days=st.integers(0, 40),
       seconds=st.integers(0, 200_000), offset=st.floats(-1e8, 1e9, allow_nan=False),
       zone=st.sampled_from([None, "America/New_York", "Europe/Berlin", "Australia/Sydney"]))
def test_iso_next_run_is_the_first_slot_after(start, months, days, seconds, offset, zone):
    if months == days == seconds == 0:
        seconds = 1
    period = f"P{months}M{days}DT{seconds}S"
    begin = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    parsed = parse_schedule(f"R/{begin}/{period}", zone, NOW)
    after = start + offset
    found = parsed.next_run(after)
    index = parsed.index_after(after)
    assert found == parsed.slot(index) and found > after
    assert index == 0 or parsed.slot(index - 1) <= after


@pytest.mark.parametrize("schedule", ["R/9999-12-31T00:00:00Z/P1D", "R/2024-01-01T00:00:00Z/P9000Y"])
def test_slots_past_year_9999_end_the_schedule(schedule):
    parsed = parse_schedule(schedule, None, NOW)
    first = parsed.first_slot()
    assert parsed.next_run(first) is None
    assert list(parsed.slots_between(first - 1, 1e12)) == [first]


@pytest.mark.parametrize("start", ["2024-06-01T12:00:00Z", "2024-06-01T14:00:00.000+02:00", "2024-06-01T12:00Z",
                                   "2024-W22-6T12:00:00Z", "2024-153T12:00:00Z", "20240601T120000Z"])
def test_iso_start_forms_agree(start):
    assert parse_schedule(f"R1/{start}/PT1H", None, NOW).first_slot() == NOW
