"""When slots fall due: the time side of `CronEngine` (`schedulers.cron.engine`), kept apart for size. PURE.

`SlotPlanning` reads and updates the engine's jobs, schedules, cursors and runs: `tick(now, ahead)` claims the
slots due (and, with `ahead`, those due within it that will start whatever happens), fires retries and enforces
`maxCompletionTime`; `next_wakeup` and `next_launch_at` say when there is something to do next.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .runs import Admission, KillRequested, LaunchTask, Run, RunState, Tick, admit, plan_due

if TYPE_CHECKING:
    from .engine import CronEngine


class SlotPlanning:
    """Slot planning of `CronEngine` (see the module docstring)."""

    def tick(self: CronEngine, now: float, ahead: float = 0.0) -> list:
        """Plan due slots of every scheduled job, fire retries and enforce maxCompletionTime. The slots due
        together are claimed in one transaction.

        With `ahead` > 0, a slot due within `ahead` seconds is claimed now too, if it would start (its job is
        enabled and no run of it is active): its `LaunchTask` is for that slot, which the plugin passes on as
        the launch's `not_before`, so the core prepares the launch early and sends it at the slot. A slot that
        might be skipped or replace a run is decided at its time, as before."""
        effects: list = []
        for run_id in list(self.runs):
            effects += self._apply(self.runs[run_id], Tick(), now)
        plans = []
        active: dict[str, list[Run]] = {}      # each job's active runs (a job's plan changes only its own)
        for run in self.runs.values():
            active.setdefault(run.job, []).append(run)
        for name in sorted(self.schedules):
            slot = self._next_slot(name)
            if slot is None or slot > now + ahead:
                continue
            runs = active.get(name, [])
            if slot <= now:
                plans.append(self._plan(name, now, runs, effects))
            elif self._starts_early(name, runs):
                plans.append(self._plan(name, slot, runs, effects))
        plans = [p for p in plans if p is not None]
        self.ledger.claim([run for _, _, new in plans for run in new])
        for name, cursor, new in plans:
            self.cursors[name] = cursor
            for claimed in new:
                if claimed.state is RunState.QUEUED:
                    self.runs[claimed.run_id] = claimed
                    effects.append(LaunchTask(claimed.run_id, claimed.next_task_id(), 0))
                else:
                    self._remember(claimed)
        if plans:
            self._slots_min = None
        return effects

    def _starts_early(self: CronEngine, name: str, active: list[Run]) -> bool:
        """Whether the job's next slot may be claimed before its time: it would START whatever happens until
        then (enabled; no `active` run, or concurrency ALLOW)."""
        job = self.jobs[name]
        return not job.disabled and admit(job.policy, active) is Admission.START

    def next_wakeup(self: CronEngine, now: float, ahead: float = 0.0) -> float | None:
        """The earliest time `tick` has something to do: a slot (`ahead` before it, unless that has passed and
        a tick left the slot to its time), a retry or a deadline; None if nothing."""
        times = [t for t in (self.runs.earliest("deadline"), self.runs.earliest("retry_at")) if t is not None]
        slot = self._earliest_slot()
        if slot is not None:
            times.append(slot - ahead if slot - ahead > now else slot)
        return min(times) if times else None

    def next_launch_at(self: CronEngine, now: float) -> float | None:
        """The earliest time a launch falls due (a slot or a retry), or None."""
        retry = self.runs.earliest("retry_at")
        times = [] if retry is None else [retry]
        slot = self._earliest_slot()
        if slot is not None:
            times.append(slot)
        return min(times) if times else None

    def _earliest_slot(self: CronEngine) -> float | None:
        if self._slots_min is None:      # recomputed only after schedules or cursors changed
            slots = [slot for slot in map(self._next_slot, self.schedules) if slot is not None]
            self._slots_min = (min(slots) if slots else None,)
        return self._slots_min[0]

    def _next_slot(self: CronEngine, name: str) -> float | None:
        """The job's first slot after its cursor (cached until the cursor or the schedule changes)."""
        schedule, cursor = self.schedules[name], self.cursors.get(name)
        cached = self._next_slots.get(name)
        if cached is None or cached[0] != cursor or cached[1] is not schedule:
            cached = self._next_slots[name] = (cursor, schedule,
                                               schedule.next_run(cursor if cursor is not None else -1.0))
        return cached[2]

    def _plan(self: CronEngine, name: str, now: float, active: list[Run],
              effects: list) -> tuple[str, float, list[Run]] | None:
        """The runs to claim for the job's due slots and its new cursor, given its `active` runs (kills for
        REPLACE go to `effects`)."""
        job = self.jobs[name]
        deadline = job.startingDeadlineSeconds
        plan = plan_due(self.schedules[name], self.cursors.get(name), now, deadline)
        if plan.cursor is None or plan.cursor == self.cursors.get(name):
            return None
        unlisted = plan.missed_count - len(plan.missed)
        note = f" ({unlisted} older slots too)" if unlisted else ""
        new = [Run(name, int(round(slot * 1000)), state=RunState.MISSED, ended=now,
                   reason="starting deadline passed" + (note if i == 0 else ""))
               for i, slot in enumerate(plan.missed)]
        if plan.run is not None:
            run = Run(name, int(round(plan.run * 1000)), coalesced=plan.coalesced_count)
            admission = admit(job.policy, active)
            if job.disabled:
                run = dataclasses.replace(run, state=RunState.SKIPPED, ended=now, reason="job disabled")
            elif admission is Admission.SKIP:
                run = dataclasses.replace(run, state=RunState.SKIPPED, ended=now,
                                          reason="concurrencyPolicy FORBID: a run is active")
            elif admission is Admission.REPLACE:
                for other in active:
                    effects += self._apply(other, KillRequested(), now)
            new.append(run)
        return name, plan.cursor, new
