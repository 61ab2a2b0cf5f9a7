"""Fixtures for the executor tests; the harness itself is in executor_harness.py."""
from __future__ import annotations

from typing import Any

import pytest

from executor_harness import HostHarness, InProcessLauncher
from mesosframe.local.executors import ExecutorLauncher


@pytest.fixture
def fake_launcher() -> InProcessLauncher:
    return InProcessLauncher()


@pytest.fixture
def harness_factory(tmp_path):
    made: list[HostHarness] = []

    def make(launcher: ExecutorLauncher | None = None, **options: Any) -> HostHarness:
        harness = HostHarness(tmp_path, launcher, **options)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


@pytest.fixture
def no_interrupt(monkeypatch):
    """pymesos interrupts the main thread when its IO thread dies; keep that from killing the test run."""
    import pymesos.process
    monkeypatch.setattr(pymesos.process.thread, "interrupt_main", lambda *a: None)
