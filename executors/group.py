"""The default executor for LAUNCH_GROUP: `python -m executors.group`.

All tasks of the executor share its sandbox; each task runs in `tasks/<task_id>` (its MESOS_SANDBOX) with its
own `stdout` and `stderr` there, as under Mesos's default executor. The default restart policy of a task
group (src/launcher/default_executor.cpp): when a task ends TASK_FAILED or TASK_KILLED, every other live task
of the same group is killed (TASK_KILLED); a TASK_FINISHED task leaves the others running. The executor
stops when none of its tasks is left.
"""
from __future__ import annotations

import pathlib
import sys
from typing import Any

from executors.base import ExecutorBase, RunningTask, run_executor

__all__ = ["GroupExecutor", "main"]


class GroupExecutor(ExecutorBase):
    """Runs task groups with the default executor's rules (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.group_of: dict[str, int] = {}
        self.groups: dict[int, list[str]] = {}
        self.killing_group: set[int] = set()

    def task_directory(self, task: dict) -> pathlib.Path:
        return self.sandbox / "tasks" / task["task_id"]["value"]

    def task_output(self, task: RunningTask) -> tuple[Any, Any]:
        task.directory.mkdir(parents=True, exist_ok=True)
        return open(task.directory / "stdout", "ab"), open(task.directory / "stderr", "ab")

    def launchTask(self, driver: Any, task: dict) -> None:
        self.launchTaskGroup(driver, [task])

    def launchTaskGroup(self, driver: Any, tasks: list[dict]) -> None:
        with self.lock:
            group = len(self.groups)
            self.groups[group] = [t["task_id"]["value"] for t in tasks]
            for task_id in self.groups[group]:
                self.group_of[task_id] = group
        for task in tasks:
            self.start_task(task)

    def task_ended(self, task: RunningTask, state: str) -> None:
        if state not in ("TASK_FAILED", "TASK_KILLED"):
            return
        with self.lock:
            group = self.group_of.get(task.task_id)
            if group is None or group in self.killing_group or self.shutting_down:
                return
            self.killing_group.add(group)
            others = [t for t in self.groups[group] if t != task.task_id and t in self.tasks]
        for task_id in others:
            self.kill(task_id, None)


def main() -> int:
    return run_executor(GroupExecutor())


if __name__ == "__main__":
    sys.exit(main())
