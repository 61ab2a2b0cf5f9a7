"""Tasks: specs (`TaskSpec`, `TaskGroupSpec`, `Container`, `Volume`, `HealthCheck`, `Discovery`, `Uri`),
the TaskInfo builder (`build_task_info`, `build_task_group`, `validate`) and the PURE lifecycle
(`TaskState`, `Goal`, `apply`)."""
from __future__ import annotations

from mesosframe.tasks.builder import build_task_group, build_task_info, validate
from mesosframe.tasks.lifecycle import Goal, TaskState
from mesosframe.tasks.spec import Container, Discovery, HealthCheck, TaskGroupSpec, TaskSpec, Uri, Volume

__all__ = ["Container", "Discovery", "Goal", "HealthCheck", "TaskGroupSpec", "TaskSpec", "TaskState", "Uri",
           "Volume", "build_task_group", "build_task_info", "validate"]
