"""The local Mesos-compatible master (`mesosframe.local.master`).

- `Master` (logic, implements `MasterPort`) with `MasterOptions`; no HTTP inside.
- `MasterHttp(master, extra_routes=(), *, fast_path=True)`: the HTTP transport (v1 scheduler API, `/version`,
  `/master/state`, `/health`; more aiohttp routes with `extra_routes` or `add_routes()`). Plain scheduler
  calls are answered by a lean front (`fastpath.FrontProtocol`); everything else by the aiohttp application.
- HTTP Basic authentication (`auth`): `MasterOptions(credentials={principal: secret},
  authenticate_frameworks=True)`, 401 with `WWW-Authenticate: Basic realm="mesos-master-scheduler"`;
  `load_credentials(path)` reads Mesos's `--credentials` JSON. A framework's FrameworkInfo.principal must be
  the authenticated principal (400), as in Mesos.
- `ZooKeeperContender`: `json.info_` registration and leader election, as Mesos does it.
- `CallError`: a refused call (`status`, `text`), raised by `Master.subscribe` / `Master.handle`.

Supported calls: SUBSCRIBE, TEARDOWN, ACCEPT (LAUNCH, LAUNCH_GROUP), DECLINE, REVIVE, SUPPRESS, KILL,
SHUTDOWN, ACKNOWLEDGE, RECONCILE, MESSAGE, REQUEST (ignored), UPDATE_FRAMEWORK. RESERVE, UNRESERVE,
CREATE and DESTROY are not supported: they are dropped, with OPERATION_ERROR when they carry an `id`.
Inverse offers and operation reconciliation are accepted and ignored (there is no maintenance here).
"""
from __future__ import annotations

from mesosframe.local.master.auth import AuthenticationFailed, Credentials, CredentialsFileError, load_credentials
from mesosframe.local.master.core import Master, MasterOptions
from mesosframe.local.master.http import MasterHttp, StreamSink, record
from mesosframe.local.master.resources import ResourceBag, ResourceError
from mesosframe.local.master.validation import CallError
from mesosframe.local.master.zookeeper import ZooKeeperContender, leader_child, parse_zk_url

__all__ = ["AuthenticationFailed", "CallError", "Credentials", "CredentialsFileError", "load_credentials",
           "Master", "MasterHttp", "MasterOptions", "ResourceBag", "ResourceError",
           "StreamSink", "ZooKeeperContender", "leader_child", "parse_zk_url", "record"]
