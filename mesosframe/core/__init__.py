"""The mesosframe core: one event loop owning all framework state (see `framework.py`).

    Framework(name, plugins, *, master=None | driver=None, store=None, clock=None, user="root",
              roles=("*",), failover_timeout=ONE_WEEK, principal=None, secret=None, election=None,
              config=EngineConfig(), policy=None, watchdog_factor=5.0)
        .start() -> self; .stop(failover=True); .run_until_done(timeout) -> bool
        .submit(fn) / .kill(task_id) / .tasks() / .pending_reasons() / .is_done() -> Future
        .framework_id; .error
    SchedulerPlugin (ABC): name, priority, demand(now) -> [Demand], on_status(task, now), on_launched,
        on_no_match(key, NoMatch, now), on_invalid, recover(records), is_done(); PluginContext via attach()
    Demand(key, spec: TaskSpec | TaskGroupSpec, group=None, not_before=None)
    EngineConfig(refuse_seconds=5.0, idle_refuse_seconds=120.0, keep_terminal_seconds=3600.0, reconcile=...)
    ZooKeeperHA(zk_url, name, identity=None, session_timeout=10.0): .store (ZooKeeperStateStore),
        .election (factory for `Framework(election=...)`), .close();  leader_election(...) is a shorthand

Names resolve lazily, so that importing pure submodules (effects, events, reconciliation) does not
start importing threads, drivers or pymesos.
"""
from __future__ import annotations

from mesosframe.lazy import lazy_exports

_EXPORTS = {
    "Framework": "mesosframe.core.framework",
    "SchedulerPlugin": "mesosframe.core.plugin",
    "PluginContext": "mesosframe.core.plugin",
    "Demand": "mesosframe.core.plugin",
    "EngineConfig": "mesosframe.core.engine",
    "FrameworkRemovedError": "mesosframe.core.engine",
    "FrameworkIdMismatchError": "mesosframe.core.engine",
    "ReconcileConfig": "mesosframe.core.reconciliation",
    "leader_election": "mesosframe.core.leadership",
    "ZooKeeperHA": "mesosframe.core.leadership",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
