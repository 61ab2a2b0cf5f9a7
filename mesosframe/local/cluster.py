"""`LocalCluster`: a master, its HTTP server, optional ZooKeeper registration and agents, on one loop.

The loop runs in a background thread. `start()` returns once the master listens and every agent has
registered; `stop()` kills every task process (and waits for each process agent's teardown) and closes
everything. `run(fn, *args)` executes `fn` on the loop (to inspect or poke master and agent state safely).

Agent hostnames: when the master listens on a loopback address, agent `n` (process agents first, then
simulated ones) is `127.0.1.<n+1>` (`agent_hostname(n)`; after 254 agents the third octet grows). All of
127.0.0.0/8 is loopback on Linux, so a task listening on 0.0.0.0 (or on its agent's hostname) is reachable at
the hostname its offer named, and agents stay distinguishable (hostname constraints, `/master/state`).
Otherwise every agent's hostname is the master's `host`.

Default ports: without `agent_resources`, process agent `n` offers its own block of ports,
`[31000+1000n-31999+1000n]` (blocks shrink when more than 34 process agents share 31000-65535), so two
agents on one machine never hand out the same port. Simulated agents keep `[31000-32000]` (no real ports).

`containers=ContainerOptions(...)` goes to every process agent (image tasks run in containers).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import pathlib
import tempfile
import threading
from typing import TYPE_CHECKING, Any, Callable, Sequence

from mesosframe.core.clock import Clock, SystemClock
from mesosframe.errors import ConfigurationError
from mesosframe.local.master import Master, MasterHttp, MasterOptions, ZooKeeperContender
from mesosframe.local.protocol import AgentHandle, AgentInfo

if TYPE_CHECKING:   # the agents package is imported when agents start
    from mesosframe.local.agents import ContainerOptions

log = logging.getLogger("mesosframe.local.cluster")

DEFAULT_RESOURCES = "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"
DEFAULT_SCALARS = "cpus:4;mem:4096;disk:10240"
FIRST_PORT, LAST_PORT, PORT_BLOCK = 31000, 65535, 1000
MAX_LOOPBACK_AGENTS = 254 * 254


def agent_hostname(index: int) -> str:
    """The distinct loopback hostname of agent `index` (0-based): 127.0.1.1, 127.0.1.2, ..."""
    if not 0 <= index < MAX_LOOPBACK_AGENTS:
        raise ConfigurationError(f"agent index {index} out of range (at most {MAX_LOOPBACK_AGENTS} agents)")
    return f"127.0.{1 + index // 254}.{1 + index % 254}"


def default_port_range(index: int, process_agents: int) -> tuple[int, int]:
    """Process agent `index`'s own block of ports: 1000 ports each, fewer when there are many agents."""
    if process_agents > LAST_PORT - FIRST_PORT + 1:
        raise ConfigurationError(f"{process_agents} process agents cannot each get their own ports")
    width = min(PORT_BLOCK, (LAST_PORT - FIRST_PORT + 1) // max(1, process_agents))
    first = FIRST_PORT + width * index
    return first, first + width - 1


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _per_agent(values: str | Sequence[str] | None, count: int, default: str) -> list[str]:
    """One flag value per agent: a single value is shared; a list gives one per agent (the last repeats)."""
    if values is None or values == [] or values == ():
        return [default] * count
    if isinstance(values, str):
        return [values] * count
    values = list(values)
    return [values[min(i, len(values) - 1)] for i in range(count)]


class LocalCluster:
    """A local Mesos-compatible cluster. Use as a context manager or call `start()` / `stop()`."""

    def __init__(self, agents: int = 1, simulated_agents: int = 0, port: int = 0, zk: str | None = None,
                 agent_resources: str | Sequence[str] | None = None,
                 agent_attributes: str | Sequence[str] | None = None, heartbeat_interval: float = 15.0,
                 work_dir: str | pathlib.Path | None = None, *, host: str = "127.0.0.1",
                 clock: Clock | None = None, agent_heartbeat_interval: float = 5.0,
                 status_update_retry: tuple[float, float] = (10.0, 600.0),
                 containers: ContainerOptions | None = None, fast_path: bool = True,
                 **master_options: Any) -> None:
        if agents < 0 or simulated_agents < 0:
            raise ConfigurationError("agent counts must not be negative")
        self.agent_count, self.simulated_count = agents, simulated_agents
        self.zk = zk
        self.host, self._port = host, port
        self.clock = clock or SystemClock()
        total = agents + simulated_agents
        if agent_resources is None:
            self._resources = [f"{DEFAULT_SCALARS};ports:[%d-%d]" % default_port_range(i, agents)
                               for i in range(agents)] + [DEFAULT_RESOURCES] * simulated_agents
        else:
            self._resources = _per_agent(agent_resources, total, DEFAULT_RESOURCES)
        if total > MAX_LOOPBACK_AGENTS and _is_loopback(host):
            raise ConfigurationError(f"at most {MAX_LOOPBACK_AGENTS} agents on a loopback master")
        self.containers = containers
        self.fast_path = fast_path       # MasterHttp's lean front for plain scheduler calls
        self._attributes = _per_agent(agent_attributes, total, "")
        self._agent_heartbeat = agent_heartbeat_interval
        self._retry = status_update_retry
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.work_dir = pathlib.Path(work_dir) if work_dir else None
        self.options = MasterOptions(hostname=host, port=port, heartbeat_interval=heartbeat_interval,
                                     **master_options)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.master: Master | None = None
        self.http: MasterHttp | None = None
        self.contender: ZooKeeperContender | None = None
        self.agents: list[AgentHandle] = []
        self._thread: threading.Thread | None = None

    # ----- addresses -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.options.port

    @property
    def master_address(self) -> str:
        """`host:port`, what pymesos's MesosSchedulerDriver takes."""
        return f"{self.host}:{self.options.port}"

    @property
    def master_url(self) -> str:
        return f"http://{self.host}:{self.options.port}"

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LocalCluster":
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()

        def run_loop() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self._thread = threading.Thread(target=run_loop, name="mesosframe-local", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._call(self._start_master())
            if self.zk:
                self.contender = ZooKeeperContender(self.master, self.zk, self.loop)
                self.contender.start()
            self.run(self._start_agents)
        except BaseException:
            self.stop()
            raise
        log.info("cluster_started master=%s agents=%d simulated=%d", self.master_url, self.agent_count,
                 self.simulated_count)
        return self

    async def _start_master(self) -> None:
        self.master = Master(self.options, loop=self.loop, clock=self.clock)
        if self.zk:
            self.master.set_leading(False, None)      # a standby until ZooKeeper elects it
        self.http = MasterHttp(self.master, fast_path=self.fast_path)
        from mesosframe.local.remote import mount   # agents in other processes or hosts join over HTTP
        mount(self.http.app, self.master)
        self.options.port = await self.http.start(self.host, self._port)
        self.master.start()

    def _start_agents(self) -> None:
        try:
            from mesosframe.local.agents import ProcessAgent, SimulatedAgent, parse_attributes, parse_resources
        except ImportError as exc:   # pragma: no cover - the agents package ships with mesosframe
            raise ConfigurationError(f"agents are not available: {exc}") from exc
        if self.agent_count and self.work_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mesosframe-local-")
            self.work_dir = pathlib.Path(self._tmp.name)
        loopback = _is_loopback(self.host)
        for index in range(self.agent_count + self.simulated_count):
            simulated = index >= self.agent_count
            hostname = agent_hostname(index) if loopback else self.host
            info = AgentInfo(agent_id=f"{self.master.master_id}-S{index}", hostname=hostname,
                             resources=parse_resources(self._resources[index]),
                             attributes=parse_attributes(self._attributes[index])
                             if self._attributes[index] else [],
                             kind="simulated" if simulated else "process")
            common = dict(loop=self.loop, clock=self.clock, heartbeat_interval=self._agent_heartbeat,
                          status_update_retry=self._retry)
            if simulated:
                agent = SimulatedAgent(self.master, info, **common)
            else:
                agent_dir = self.work_dir / f"agent-{index}"
                agent_dir.mkdir(parents=True, exist_ok=True)
                agent = ProcessAgent(self.master, info, work_dir=agent_dir, containers=self.containers,
                                     **common)
            self.agents.append(agent)
            agent.start()

    def stop(self) -> None:
        """Kill every task, stop the master, leave ZooKeeper, stop the loop. Idempotent."""
        if self.loop is None:
            return
        if self.contender is not None:
            self.contender.stop()
            self.contender = None
        if self.loop.is_running():
            try:
                if self.http is not None:       # first: a stopping master accepts no call, no subscription
                    self._call(self.http.stop())
                self.run(self._stop_agents_and_master)
                self._call(self._wait_agents_stopped())
                if self.master is not None:
                    self.run(self.master.stop)      # timers that the agents' ends may have started
                self._call(self._drain())
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(10)
        self.loop.close()
        self.loop = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _stop_agents_and_master(self) -> None:
        for agent in self.agents:
            try:
                agent.stop()
            except Exception:   # one agent's failure must not leave the others' processes behind
                log.exception("agent_stop_failed id=%s", agent.info.agent_id)
        if self.master is not None:
            self.master.stop()

    async def _wait_agents_stopped(self) -> None:
        """Await each process agent's teardown (task processes reaped, executor API closed)."""
        for agent in self.agents:
            wait_stopped = getattr(agent, "wait_stopped", None)
            if wait_stopped is not None:
                try:
                    await wait_stopped()
                except Exception:
                    log.exception("agent_wait_stopped_failed id=%s", agent.info.agent_id)

    @staticmethod
    async def _drain(timeout: float = 5.0) -> None:
        """Let the agents' task coroutines finish (processes reaped) before the loop closes."""
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- loop access -----------------------------------------------------------------------
    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Any:
        """Run `fn(*args)` on the cluster loop and return its result."""
        async def call() -> Any:
            return fn(*args)
        return self._call(call(), timeout)

    def _call(self, coro, timeout: float = 30.0) -> Any:
        future: concurrent.futures.Future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)
