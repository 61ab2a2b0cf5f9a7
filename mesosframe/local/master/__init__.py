"""The local Mesos-compatible master (`mesosframe.local.master`).

- `Master` (logic, implements `MasterPort`) with `MasterOptions`; no HTTP inside.
- `MasterHttp`: the aiohttp transport (v1 scheduler API, `/version`, `/master/state`, `/health`).
- `ZooKeeperContender`: `json.info_` registration and leader election, as Mesos does it.
- `CallError`: a refused call (`status`, `text`), raised by `Master.subscribe` / `Master.handle`.

Supported calls: SUBSCRIBE, TEARDOWN, ACCEPT (LAUNCH, LAUNCH_GROUP), DECLINE, REVIVE, SUPPRESS, KILL,
SHUTDOWN, ACKNOWLEDGE, RECONCILE, MESSAGE, REQUEST (ignored), UPDATE_FRAMEWORK. RESERVE, UNRESERVE,
CREATE and DESTROY are not supported: they are dropped, with OPERATION_ERROR when they carry an `id`.
Inverse offers and operation reconciliation are accepted and ignored (there is no maintenance here).
"""
from __future__ import annotations

from mesosframe.local.master.core import Master, MasterOptions
from mesosframe.local.master.http import MasterHttp, StreamSink, record
from mesosframe.local.master.resources import ResourceBag, ResourceError
from mesosframe.local.master.validation import CallError
from mesosframe.local.master.zookeeper import ZooKeeperContender, leader_child, parse_zk_url

__all__ = ["CallError", "Master", "MasterHttp", "MasterOptions", "ResourceBag", "ResourceError",
           "StreamSink", "ZooKeeperContender", "leader_child", "parse_zk_url", "record"]
