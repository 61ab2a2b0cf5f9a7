"""Remote agents: the local master and its agents in different processes or hosts (`mesosframe.local`).

Real Mesos links masters and agents with libprocess; here it is HTTP/JSON on the master's port
(`POST /internal/agent/v1`, format in `wire.py`).

- Master side: `mount(app_or_router, master, *, ping_interval=5.0) -> AgentLinkServer` serves the link for
  a `Master` on its aiohttp app; each connected agent is a `RemoteAgentHandle` (an `AgentHandle`).
- Agent side: `RemoteMasterPort(master, *, loop, request_timeout=5.0, stream_timeout=15.0, backoff=None,
  zk_timeout=10.0)` is the `MasterPort` to give a `ProcessAgent`/`SimulatedAgent`; `master` is `zk://...`
  or `host:port`. It re-registers (with the agent's live tasks) after a lost link or a master failover.
- `python -m mesosframe.local.remote.master_process`: a master alone with the link mounted.
"""
from __future__ import annotations

from mesosframe.local.remote.agent_side import LinkRefusedError, RemoteMasterPort
from mesosframe.local.remote.master_side import AgentLinkServer, RemoteAgentHandle, mount
from mesosframe.local.remote.wire import PATH, Backoff, LinkProtocolError, RecordIODecoder

__all__ = ["AgentLinkServer", "Backoff", "LinkProtocolError", "LinkRefusedError", "PATH", "RecordIODecoder",
           "RemoteAgentHandle", "RemoteMasterPort", "mount"]
