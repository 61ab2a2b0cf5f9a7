"""The master's end of the agent link: remote agents become `AgentHandle`s of a local `Master`.

`mount(app, master)` adds `POST /internal/agent/v1` (see `wire.py`) to the master's aiohttp application.
Each REGISTER creates a `RemoteAgentHandle` whose calls are written to the agent's RecordIO stream, and
hands it to `Master.register_agent` (a known agent id re-attaches: the newer stream replaces the older,
which is closed). When the current stream of an agent ends (the agent went away or its connection broke),
the master is told through `agent_exited`. A master that loses leadership closes every agent stream, so
agents find the new leader. Everything runs on the master's loop.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

from aiohttp import web

from mesosframe.errors import ConfigurationError
from mesosframe.local.master.http import StreamSink
from mesosframe.local.master.records import TERMINAL_STATES
from mesosframe.local.protocol import AgentHandle, AgentInfo, MasterPort
from mesosframe.local.remote.wire import (
    AGENT_CALLS, PATH, STREAM_HEADER, LinkProtocolError, b64, info_from_json, parse_message,
    registered_task_infos, unb64,
)

log = logging.getLogger("mesosframe.local.remote")

LINK_KEY = web.AppKey("mesosframe.agent_link", object)


class RemoteAgentHandle(AgentHandle):
    """An agent on the other end of a stream. Commands are queued on `sink`; the handle mirrors the
    agent's latest status per live task (from REGISTER and every UPDATE), which is what
    `reregister_tasks()` returns when the master re-admits the agent."""

    def __init__(self, info: AgentInfo, sink: StreamSink, stream_id: str,
                 tasks: list[tuple] = ()) -> None:
        self.info = info
        self.sink = sink
        self.stream_id = stream_id
        self._statuses: dict[tuple[str, str], tuple[str, dict]] = {}
        self._infos: dict[tuple[str, str], dict] = {}      # TaskInfo per task, from REGISTER and LAUNCH
        for entry in tasks:           # (framework_id, status) or (framework_id, task_info, status)
            framework_id, status = entry[0], entry[-1]
            if len(entry) == 3:
                self._infos[(framework_id, status["task_id"]["value"])] = entry[1]
            self.observe(framework_id, status)

    def observe(self, framework_id: str, status: dict) -> None:
        """Remember the latest status of a task (called for every UPDATE the agent sends)."""
        self._statuses[(framework_id, status["task_id"]["value"])] = (framework_id, status)

    def _send(self, kind: str, **fields: object) -> None:
        self.sink.send({"type": kind, **fields})

    def launch_tasks(self, framework: dict, tasks: list[dict], executor: dict | None = None) -> None:
        framework_id = framework["id"]["value"]
        for task in tasks:
            info = task if executor is None else {**task, "executor": executor}
            self._infos[(framework_id, task["task_id"]["value"])] = info
        self._send("LAUNCH", framework=framework, tasks=tasks, executor=executor)

    def kill_task(self, framework_id: str, task_id: str, kill_policy: dict | None = None) -> None:
        self._send("KILL", framework_id=framework_id, task_id=task_id, kill_policy=kill_policy)

    def acknowledge(self, framework_id: str, task_id: str, uuid: bytes) -> None:
        encoded = b64(uuid)
        self._send("ACKNOWLEDGE", framework_id=framework_id, task_id=task_id, uuid=encoded)
        known = self._statuses.get((framework_id, task_id))
        if known is not None and known[1].get("uuid") == encoded and known[1].get("state") in TERMINAL_STATES:
            del self._statuses[(framework_id, task_id)]
            self._infos.pop((framework_id, task_id), None)

    def shutdown_framework(self, framework_id: str) -> None:
        self._send("SHUTDOWN_FRAMEWORK", framework_id=framework_id)
        for key in [k for k in self._statuses if k[0] == framework_id]:
            del self._statuses[key]
            self._infos.pop(key, None)

    def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        self._send("SHUTDOWN_EXECUTOR", framework_id=framework_id, executor_id=executor_id)

    def framework_message(self, framework_id: str, executor_id: str, data: bytes) -> None:
        self._send("MESSAGE", framework_id=framework_id, executor_id=executor_id, data=b64(data))

    def reregister_tasks(self) -> list[tuple[str, dict]]:
        return list(self._statuses.values())

    def reregister_task_infos(self) -> list[tuple[str, dict, dict]]:
        return [(fid, self._infos.get(key) or {"task_id": status["task_id"]}, status)
                for key, (fid, status) in self._statuses.items()]

    def stop(self) -> None:
        """Close the stream (the remote agent reconnects or goes away; its tasks are its own)."""
        self.sink.close()


class AgentLinkServer:
    """Serves the agent link for one master; `handles` holds the current handle per agent id."""

    def __init__(self, master: MasterPort, *, ping_interval: float = 5.0) -> None:
        if ping_interval <= 0:
            raise ConfigurationError("ping_interval must be positive")
        self.master = master
        self.ping_interval = ping_interval
        self.handles: dict[str, RemoteAgentHandle] = {}

    @property
    def _leading(self) -> bool:
        return getattr(self.master, "leading", True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        try:
            call = parse_message(await request.read(), AGENT_CALLS)
            if call["type"] == "REGISTER":
                return await self._register(request, call)
            return self._call(call, request.headers.get(STREAM_HEADER))
        except (LinkProtocolError, KeyError, TypeError, ValueError) as exc:
            return web.Response(status=400, text=f"Bad agent call: {exc}")

    def _not_leading(self) -> web.Response:
        leader = getattr(self.master, "leader", None)
        if leader is None:
            return web.Response(status=503, text="No leading master")
        host, port = leader
        return web.Response(status=307, headers={"Location": f"//{host}:{port}{PATH}"})

    def _call(self, call: dict, stream_id: str | None) -> web.Response:
        agent_id = call["agent_id"]
        handle = self.handles.get(agent_id)
        if handle is None or handle.stream_id != stream_id or handle.sink.closed or not self._leading:
            return web.Response(status=409, text="Agent is not registered on this stream: register again")
        master, kind = self.master, call["type"]
        if kind == "UPDATE":
            status = call["status"]
            if not isinstance(status, dict) or not isinstance(status.get("task_id"), dict):
                raise LinkProtocolError("UPDATE.status must be a TaskStatus object")
            handle.observe(call["framework_id"], status)
            master.status_update(agent_id, call["framework_id"], status)
        elif kind == "HEARTBEAT":
            master.agent_heartbeat(agent_id)
        elif kind == "EXECUTOR_MESSAGE":
            master.executor_message(agent_id, call["framework_id"], call["executor_id"], unb64(call["data"]))
        elif kind == "EXECUTOR_EXITED":
            master.executor_exited(agent_id, call["framework_id"], call["executor_id"], int(call["status"]))
        return web.Response(status=202)

    async def _register(self, request: web.Request, call: dict) -> web.StreamResponse:
        if not self._leading:
            return self._not_leading()
        info = info_from_json(call.get("agent_info"))
        handle = RemoteAgentHandle(info, StreamSink(), str(uuid.uuid4()), registered_task_infos(call))
        previous = self.handles.get(info.agent_id)
        self.handles[info.agent_id] = handle
        if previous is not None:
            previous.sink.close()       # its handler sees it is no longer current: no agent_exited
        handle.sink.send({"type": "REGISTERED", "agent_id": info.agent_id})
        try:
            self.master.register_agent(handle)
        except Exception:
            log.exception("agent_register_failed id=%s", info.agent_id)
            del self.handles[info.agent_id]
            return web.Response(status=500, text="Registration failed")
        log.info("remote_agent_attached id=%s hostname=%s tasks=%d reattach=%s", info.agent_id, info.hostname,
                 len(handle.reregister_tasks()), previous is not None)
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                           STREAM_HEADER: handle.stream_id})
        response.enable_chunked_encoding()
        pinger = asyncio.ensure_future(self._ping(handle))
        try:
            await response.prepare(request)
            await handle.sink.pump(response)
            await response.write_eof()
        except ConnectionError:
            pass
        finally:
            pinger.cancel()
            handle.sink.close()
            if self.handles.get(info.agent_id) is handle:
                del self.handles[info.agent_id]
                log.warning("remote_agent_link_lost id=%s", info.agent_id)
                self.master.agent_exited(info.agent_id)
        return response

    async def _ping(self, handle: RemoteAgentHandle) -> None:
        """Keep-alive on the stream; close it when this master stops leading."""
        while not handle.sink.closed:
            await asyncio.sleep(self.ping_interval)
            if not self._leading:
                log.info("remote_agent_released id=%s (not leading)", handle.info.agent_id)
                handle.sink.close()
                return
            handle.sink.send({"type": "PING"})


def mount(app_or_router: web.Application | web.UrlDispatcher, master: MasterPort, *,
          ping_interval: float = 5.0) -> AgentLinkServer:
    """Serve the agent link for `master` on an aiohttp app (before it starts) or router.

    Mounting twice on the same application returns the first server."""
    if isinstance(app_or_router, web.Application):
        existing = app_or_router.get(LINK_KEY)
        if existing is not None:
            return existing
        router = app_or_router.router
    else:
        router = app_or_router
    server = AgentLinkServer(master, ping_interval=ping_interval)
    router.add_route("*", PATH, server.handle)
    if isinstance(app_or_router, web.Application):
        app_or_router[LINK_KEY] = server
    return server
