"""mesosframe: write Apache Mesos frameworks in a few lines, with the hard parts built in.

    from mesosframe import Framework, SchedulerPlugin, Demand, TaskSpec, TaskState

    class Hello(SchedulerPlugin):
        name = "hello"
        def demand(self, now):                       # what should run
            return [Demand("greet", TaskSpec(name="greet", command="echo hello"))]
        def on_status(self, task, now):              # how it went
            print(task.key, task.state)

    Framework("hello", [Hello()], master="zk://zk1:2181/mesos").start()

Everything named here is public and stable; submodules not named here are implementation details, except
the documented packages `mesosframe.resources`, `mesosframe.matching`, `mesosframe.state`, `mesosframe.ha`,
`mesosframe.local` and `mesosframe.testing`. Names load lazily: importing `mesosframe` does not import pymesos.
"""
from __future__ import annotations

from mesosframe.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    # the framework core
    "Framework": "mesosframe.core.framework",
    "SchedulerPlugin": "mesosframe.core.plugin",
    "PluginContext": "mesosframe.core.plugin",
    "Demand": "mesosframe.core.plugin",
    "EngineConfig": "mesosframe.core.engine",
    "ReconcileConfig": "mesosframe.core.reconciliation",
    "ZooKeeperHA": "mesosframe.core.leadership",
    # tasks
    "TaskSpec": "mesosframe.tasks.spec",
    "TaskGroupSpec": "mesosframe.tasks.spec",
    "Container": "mesosframe.tasks.spec",
    "Volume": "mesosframe.tasks.spec",
    "HealthCheck": "mesosframe.tasks.spec",
    "Discovery": "mesosframe.tasks.spec",
    "Uri": "mesosframe.tasks.spec",
    "TaskState": "mesosframe.tasks.lifecycle",
    "Goal": "mesosframe.tasks.lifecycle",
    "TaskRecord": "mesosframe.model.task",
    # drivers
    "MesosDriver": "mesosframe.driver.base",
    "FakeDriver": "mesosframe.driver.fake",
    # placement and state
    "Constraint": "mesosframe.matching",
    "FirstFit": "mesosframe.matching",
    "BinPack": "mesosframe.matching",
    "Spread": "mesosframe.matching",
    "NoMatch": "mesosframe.matching",
    "StateStore": "mesosframe.state",
    "MemoryStateStore": "mesosframe.state",
    "ZooKeeperStateStore": "mesosframe.state",
    # the embedded cluster
    "LocalCluster": "mesosframe.local.cluster",
    # the process
    "settle_heap": "mesosframe.heap",
    # errors
    "MesosframeError": "mesosframe.errors",
    "ValidationError": "mesosframe.errors",
    "NotSubscribedError": "mesosframe.errors",
    "NotLeaderError": "mesosframe.errors",
    "VersionConflictError": "mesosframe.errors",
    "FrameworkRemovedError": "mesosframe.core.engine",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
