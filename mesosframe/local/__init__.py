"""`mesosframe.local`: an embedded Mesos-compatible cluster (master + agents) for tests and demos.

    from mesosframe.local import LocalCluster
    with LocalCluster(agents=1, simulated_agents=100) as cluster:
        driver = MesosSchedulerDriver(scheduler, framework_info, cluster.master_address)

`LocalCluster` and `Master` are imported on first use, so `import mesosframe.local` stays cheap.
"""
from __future__ import annotations

from typing import Any

__all__ = ["LocalCluster", "Master", "MasterOptions"]


def __getattr__(name: str) -> Any:
    if name == "LocalCluster":
        from mesosframe.local.cluster import LocalCluster
        return LocalCluster
    if name in ("Master", "MasterOptions"):
        from mesosframe.local import master
        return getattr(master, name)
    raise AttributeError(name)
