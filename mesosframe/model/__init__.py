"""Frozen value types shared by the core and schedulers."""
from __future__ import annotations

from mesosframe.model.task import TaskRecord

__all__ = ["TaskRecord"]
