"""Benchmark: next-fire computation for 100,000 schedules, mesosframe cron vs APScheduler 3, same run.

Two moments are measured: an ordinary day, and the night New York falls back (there mesosframe takes its
exact slow path for zones near a transition). Half of the schedules are ISO 8601 repeating intervals (vs
APScheduler's IntervalTrigger), half are 5-field cron expressions (vs CronTrigger.from_crontab), in UTC and
in DST zones. Both sides first parse/build their schedules, then compute the next fire time after a fixed
`now`; both phases are timed and their ratios printed. Answers are cross-checked on every schedule;
differences are counted and sampled (inside a repeated hour they can differ by design: mesosframe fires
hour-wildcard expressions in both passes).

Run: `.venv/bin/python bench/cron_nextfire.py [count]` (APScheduler 3: `pip install 'apscheduler<4'`).
"""
from __future__ import annotations

import datetime as dt
import pathlib
import random
import sys
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from schedulers.cron.schedule import parse_schedule  # noqa: E402

ORDINARY = dt.datetime(2024, 6, 12, 10, 17, 23, tzinfo=dt.timezone.utc)
DST_NIGHT = dt.datetime(2024, 11, 3, 5, 17, 23, tzinfo=dt.timezone.utc)  # 01:17 EDT, before New York falls back
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney"]
CRONS = ["*/5 * * * *", "0 * * * *", "30 2 * * *", "15 9 * * MON-FRI", "0 0 1 * *", "45 23 * * SUN",
         "0 */6 * * *", "10,40 8-18 * * *", "0 12 15 * *", "5 4 * * SAT"]


def make_cases(count: int, rng: random.Random, now: dt.datetime) -> list[tuple]:
    cases = []
    for index in range(count):
        zone = ZONES[index % len(ZONES)]
        if index % 2 == 0:
            minutes = rng.choice([1, 5, 15, 60, 90, 360, 1440])
            start = now.replace(second=0) - dt.timedelta(minutes=rng.randrange(0, 100_000))
            text = f"R/{start.strftime('%Y-%m-%dT%H:%M:%SZ')}/PT{minutes}M"
            cases.append(("interval", text, None, start, minutes, zone))
        else:
            cases.append(("cron", rng.choice(CRONS), zone, None, None, zone))
    return cases


def timed(label: str, fn, items: list) -> tuple[float, list]:
    started = time.perf_counter()
    out = []
    step = max(1, len(items) // 4)
    for index, item in enumerate(items):
        out.append(fn(item))
        if (index + 1) % step == 0:
            print(f"  {label}: {index + 1}/{len(items)}", flush=True)
    return time.perf_counter() - started, out


def main(count: int = 100_000) -> None:
    for label, moment in (("ordinary day", ORDINARY), ("DST night", DST_NIGHT)):
        print(f"== {label}")
        compare(count, moment)


def compare(count: int, moment: dt.datetime) -> None:
    cases = make_cases(count, random.Random(42), moment)
    now = moment.timestamp()
    print(f"{count} schedules ({count // 2} interval, {count - count // 2} cron), now={moment.isoformat()}")

    def ours_build(case):
        return parse_schedule(case[1], case[2], now)

    def theirs_build(case):
        if case[0] == "interval":
            return IntervalTrigger(minutes=case[4], start_date=case[3], timezone="UTC")
        return CronTrigger.from_crontab(case[1], timezone=ZoneInfo(case[5]))

    ours_parse, ours = timed("mesosframe parse", ours_build, cases)
    theirs_parse, theirs = timed("apscheduler build", theirs_build, cases)
    ours_next, ours_times = timed("mesosframe next_run", lambda s: s.next_run(now), ours)
    theirs_next, theirs_times = timed("apscheduler get_next_fire_time",
                                      lambda t: t.get_next_fire_time(None, moment), theirs)

    mismatches = [(case[1], case[5], a, b.timestamp() if b else None) for case, a, b in
                  zip(cases, ours_times, theirs_times) if b is None or abs(a - b.timestamp()) >= 1]
    print(f"agreement: {count - len(mismatches)}/{count} identical next fire times")
    for sample in mismatches[:5]:
        print("  differs:", sample)
    print(f"parse/build: mesosframe {ours_parse:.2f}s  apscheduler {theirs_parse:.2f}s  "
          f"ratio {theirs_parse / ours_parse:.2f}x")
    print(f"next fire:   mesosframe {ours_next:.2f}s  apscheduler {theirs_next:.2f}s  "
          f"ratio {theirs_next / ours_next:.2f}x  (>1 means mesosframe is faster)")
    for kind in ("interval", "cron"):
        picks = [i for i, case in enumerate(cases) if case[0] == kind]
        a = time.perf_counter()
        for i in picks:
            ours[i].next_run(now)
        b = time.perf_counter()
        for i in picks:
            theirs[i].get_next_fire_time(None, moment)
        c = time.perf_counter()
        print(f"  {kind:8s}: mesosframe {b - a:.2f}s  apscheduler {c - b:.2f}s  ratio {(c - b) / (b - a):.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
