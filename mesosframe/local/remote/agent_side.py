"""The agent's end of the agent link: `RemoteMasterPort`, a `MasterPort` that talks to a master over HTTP.

The leading master comes from a `MasterDetector` (`zk://...` or a fixed `host:port`). The port keeps one
REGISTER stream open to it (see `wire.py`), carrying the agent's live tasks (`reregister_task_infos()`), and
turns the master's commands into calls on the agent. Agent -> master calls are POSTs tagged with the
current stream id; while there is no stream they are dropped, which is safe: heartbeats are periodic and
the agent's update manager re-sends unacknowledged status updates (all at once after each registration).

The stream is re-opened, with backoff, when it ends, when no byte arrives for `stream_timeout` seconds
(the master pings every few seconds), when a POST fails or answers 409, and at once when the detector
names another leader. Everything runs on the agent's loop; the detector's thread only schedules work on it.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable
from urllib.parse import urlsplit

import aiohttp

from mesosframe.errors import ProtocolError
from mesosframe.ha import MasterDetector
from mesosframe.local.protocol import AgentHandle, MasterPort
from mesosframe.local.remote.wire import (
    PATH, STREAM_HEADER, Backoff, LinkProtocolError, RecordIODecoder, b64, register_call, unb64,
)

log = logging.getLogger("mesosframe.local.remote")


class LinkRefusedError(ProtocolError):
    """The master refused the agent's registration (an HTTP status other than 200 or 307)."""


class RemoteMasterPort(MasterPort):
    """A `MasterPort` over the network. Create on the agent's loop, pass to the agent, `start()` the agent
    (its `register_agent` call opens the link); `await close()` at the end."""

    def __init__(self, master: str, *, loop: asyncio.AbstractEventLoop, request_timeout: float = 5.0,
                 stream_timeout: float = 15.0, backoff: Backoff | None = None, zk_timeout: float = 10.0,
                 detector_factory: Callable[..., Any] = MasterDetector) -> None:
        self.master = master
        self.loop = loop
        self.request_timeout = request_timeout
        self.stream_timeout = stream_timeout
        self.backoff = backoff or Backoff()
        self.registrations = 0                  # successful (re-)registrations, for tests and logs
        self.registered = asyncio.Event()       # set while a stream is registered
        self._detector = detector_factory(master, self._on_leader_threadsafe, timeout=zk_timeout)
        self._leader: str | None = None
        self._redirect: str | None = None       # where a non-leading master sent us
        self._agent: AgentHandle | None = None
        self._session: aiohttp.ClientSession | None = None
        self._response: aiohttp.ClientResponse | None = None
        self._stream_id: str | None = None
        self._connected_to: str | None = None
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task | None = None
        self._posts: set[asyncio.Task] = set()
        self._closed = False

    @property
    def connected_to(self) -> str | None:
        """`host:port` of the master this agent is registered with, or None."""
        return self._connected_to if self._stream_id else None

    # ----- MasterPort ------------------------------------------------------------------------
    def register_agent(self, agent: AgentHandle) -> None:
        """Open the link (first call) or re-register at once (agent restarted or partition healed)."""
        self._agent = agent
        if self._runner is None:
            self._session = aiohttp.ClientSession()
            self._detector.start()
            self._runner = self.loop.create_task(self._run())
        else:
            self._break("agent asked to re-register")

    def status_update(self, agent_id: str, framework_id: str, status: dict) -> None:
        self._post({"type": "UPDATE", "agent_id": agent_id, "framework_id": framework_id, "status": status})

    def agent_heartbeat(self, agent_id: str) -> None:
        self._post({"type": "HEARTBEAT", "agent_id": agent_id})

    def agent_exited(self, agent_id: str) -> None:
        """The agent is going away: close the link (the master then treats it as unreachable)."""
        self._break("agent exited")

    def executor_message(self, agent_id: str, framework_id: str, executor_id: str, data: bytes) -> None:
        self._post({"type": "EXECUTOR_MESSAGE", "agent_id": agent_id, "framework_id": framework_id,
                    "executor_id": executor_id, "data": b64(data)})

    def executor_exited(self, agent_id: str, framework_id: str, executor_id: str, status: int) -> None:
        self._post({"type": "EXECUTOR_EXITED", "agent_id": agent_id, "framework_id": framework_id,
                    "executor_id": executor_id, "status": int(status)})

    # ----- lifecycle -------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the link, stop the detector and wait for outstanding POSTs."""
        self._closed = True
        self._break("closing")
        self._wakeup.set()
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._posts:
            await asyncio.wait(list(self._posts), timeout=self.request_timeout)
        await self.loop.run_in_executor(None, self._detector.stop)
        if self._session is not None:
            await self._session.close()

    # ----- leader detection ------------------------------------------------------------------
    def _on_leader_threadsafe(self, address: str | None) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._on_leader, address)

    def _on_leader(self, address: str | None) -> None:
        self._leader, self._redirect = address, None
        log.info("leader_detected address=%s", address)
        if self._connected_to is not None and address != self._connected_to:
            self._break(f"leader is now {address}")
        self._wakeup.set()

    def _target(self) -> str | None:
        return self._redirect or self._leader

    # ----- the stream ------------------------------------------------------------------------
    async def _run(self) -> None:
        followed = False        # the last attempt followed a redirect at once
        while not self._closed:
            target = self._target()
            if target is not None and self._agent is not None:
                try:
                    await self._stream(target)
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError, LinkProtocolError,
                        LinkRefusedError) as exc:
                    log.info("master_link_failed master=%s error=%s", target, exc or type(exc).__name__)
                finally:
                    self._detach()
                    if target == self._redirect:      # a redirect is followed once; then ask the detector again
                        self._redirect = None
            if self._closed:
                return
            if self._redirect is not None and not followed:
                followed = True     # a fresh redirect is followed at once; masters that keep redirecting back off
                continue
            followed = False
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.backoff.next_delay())
            except asyncio.TimeoutError:
                pass

    async def _stream(self, target: str) -> None:
        agent = self._agent
        call = register_call(agent.info, agent.reregister_task_infos())
        timeout = aiohttp.ClientTimeout(total=None, connect=self.request_timeout, sock_read=self.stream_timeout)
        async with self._session.post(f"http://{target}{PATH}", data=json.dumps(call),
                                      headers={"Content-Type": "application/json"}, timeout=timeout,
                                      allow_redirects=False) as response:
            if response.status == 307:
                location = urlsplit("http:" + response.headers.get("Location", "")
                                    if response.headers.get("Location", "").startswith("//")
                                    else response.headers.get("Location", ""))
                self._redirect = location.netloc or None
                log.info("master_redirect from=%s to=%s", target, self._redirect)
                return
            if response.status != 200:
                raise LinkRefusedError(f"{response.status} {(await response.text())[:200]}")
            self._response, self._connected_to = response, target
            self._stream_id = response.headers.get(STREAM_HEADER)
            decoder = RecordIODecoder()
            async for chunk in response.content.iter_any():
                for event in decoder.feed(chunk):
                    self._dispatch(event)
            log.info("master_link_closed master=%s", target)

    def _detach(self) -> None:
        self._response, self._stream_id, self._connected_to = None, None, None
        self.registered.clear()

    def _break(self, why: str) -> None:
        """End the current stream (if any); `_run` reconnects."""
        if self._response is not None:
            log.info("master_link_reset reason=%s", why)
            self._response.close()
        self._detach()
        self._wakeup.set()

    def _dispatch(self, event: dict) -> None:
        agent, kind = self._agent, event["type"]
        try:
            if kind == "REGISTERED":
                self._registered()
            elif kind == "LAUNCH":
                agent.launch_tasks(event["framework"], event["tasks"], event.get("executor"))
            elif kind == "KILL":
                agent.kill_task(event["framework_id"], event["task_id"], event.get("kill_policy"))
            elif kind == "ACKNOWLEDGE":
                agent.acknowledge(event["framework_id"], event["task_id"], unb64(event["uuid"]))
            elif kind == "SHUTDOWN_FRAMEWORK":
                agent.shutdown_framework(event["framework_id"])
            elif kind == "SHUTDOWN_EXECUTOR":
                agent.shutdown_executor(event["framework_id"], event["executor_id"])
            elif kind == "MESSAGE":
                agent.framework_message(event["framework_id"], event["executor_id"], unb64(event["data"]))
        except Exception:   # one bad command must not tear down the link
            log.exception("master_command_failed type=%s", kind)

    def _registered(self) -> None:
        self.registrations += 1
        self.backoff.reset()
        self.registered.set()
        log.info("registered_with_master master=%s agent=%s", self._connected_to, self._agent.info.agent_id)
        # re-send every unacknowledged status update now rather than after its retry backoff
        resume = getattr(self._agent, "resume_heartbeats", None)
        if resume is not None:
            resume(reregister=False)

    # ----- agent -> master calls -------------------------------------------------------------
    def _post(self, call: dict) -> None:
        stream_id = self._stream_id
        if stream_id is None or self._session is None:
            return                # dropped: heartbeats repeat and status updates are re-sent
        task = self.loop.create_task(self._send(call, stream_id, self._connected_to))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def _send(self, call: dict, stream_id: str, target: str) -> None:
        try:
            async with self._session.post(
                    f"http://{target}{PATH}", data=json.dumps(call),
                    headers={"Content-Type": "application/json", STREAM_HEADER: stream_id},
                    timeout=aiohttp.ClientTimeout(total=self.request_timeout)) as response:
                if response.status == 409 and stream_id == self._stream_id:
                    self._break("master does not know this stream")
                elif response.status >= 400:
                    log.warning("agent_call_refused type=%s status=%d", call["type"], response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if stream_id == self._stream_id:
                self._break(f"{call['type']} failed: {exc or type(exc).__name__}")
