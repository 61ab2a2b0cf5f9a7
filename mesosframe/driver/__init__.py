"""Drivers: the seam to a Mesos master. `MesosDriver` (protocol), `PyMesosDriver` (real), `FakeDriver` (tests).

`PyMesosDriver` is imported lazily (pymesos replaces the SIGINT handler at import; we restore it).
"""
from __future__ import annotations

from mesosframe.driver.base import EventSink, MesosDriver
from mesosframe.driver.fake import FakeDriver
from mesosframe.lazy import lazy_exports

__all__ = ["EventSink", "FakeDriver", "MesosDriver", "PyMesosDriver"]


__getattr__ = lazy_exports(__name__, {"PyMesosDriver": "mesosframe.driver.pymesos_driver"}, globals())
