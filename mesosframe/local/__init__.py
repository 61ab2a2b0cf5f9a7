"""`mesosframe.local`: an embedded Mesos-compatible cluster (master + agents) for tests and demos.

    from mesosframe.local import LocalCluster
    with LocalCluster(agents=1, simulated_agents=100) as cluster:
        driver = MesosSchedulerDriver(scheduler, framework_info, cluster.master_address)

`LocalCluster` and `Master` are imported on first use, so `import mesosframe.local` stays cheap.
"""
from __future__ import annotations

from mesosframe.lazy import lazy_exports

__all__ = ["LocalCluster", "Master", "MasterOptions"]


__getattr__ = lazy_exports(__name__, {"LocalCluster": "mesosframe.local.cluster", "Master": "mesosframe.local.master",
                                      "MasterOptions": "mesosframe.local.master"}, globals())
