"""The command executor: `python -m executors.command` runs one task's CommandInfo in the executor's sandbox.

The task's output goes to the sandbox's `stdout`/`stderr` (the executor's own files). Kill policy, health
checks and updates are `ExecutorBase`'s. A second LAUNCH is refused with TASK_FAILED, as Mesos's command
executor runs exactly one task.
"""
from __future__ import annotations

import sys
from typing import Any

from executors.base import ExecutorBase, run_executor

__all__ = ["CommandExecutor", "main"]


class CommandExecutor(ExecutorBase):
    """Runs exactly one command task."""

    def launchTask(self, driver: Any, task: dict) -> None:
        if self.launched_any:
            self.send(task["task_id"]["value"], "TASK_FAILED",
                      message="The command executor runs a single task; this one was refused")
            return
        self.start_task(task)

    def launchTaskGroup(self, driver: Any, tasks: list[dict]) -> None:
        for task in tasks:
            self.send(task["task_id"]["value"], "TASK_FAILED",
                      message="The command executor does not run task groups; use the default executor")


def main() -> int:
    return run_executor(CommandExecutor())


if __name__ == "__main__":
    sys.exit(main())
