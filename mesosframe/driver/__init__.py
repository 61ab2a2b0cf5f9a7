"""Drivers: the seam to a Mesos master. `MesosDriver` (protocol), `PyMesosDriver` (real), `FakeDriver` (tests).

`PyMesosDriver` is imported lazily (pymesos replaces the SIGINT handler at import; we restore it).
"""
from __future__ import annotations

from mesosframe.driver.base import EventSink, MesosDriver
from mesosframe.driver.fake import FakeDriver

__all__ = ["EventSink", "FakeDriver", "MesosDriver", "PyMesosDriver"]


def __getattr__(name: str):
    if name == "PyMesosDriver":
        from mesosframe.driver.pymesos_driver import PyMesosDriver
        return PyMesosDriver
    raise AttributeError(name)
