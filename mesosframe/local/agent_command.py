"""`mesosframe agent`: one agent on this host, joined to a (remote) local master over the agent link.

    mesosframe agent --master zk://10.0.0.2:2181/mesos --hostname 10.0.0.5 [--port 5051] \
        [--resources "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"] [--attributes "rack:r1;zone:a"] \
        [--work-dir DIR] [--simulated]

The master is `zk://...` (follows the leader) or `host:port`. `--hostname` is what the master offers
(frameworks see it as the agent's hostname). `--port` is the executor API's port (0: any). The agent id is
kept in `<work-dir>/agent_id`, so a restarted agent comes back under the same id. Runs until SIGINT or
SIGTERM, then kills its tasks.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import pathlib
import signal
import sys
import tempfile
import threading
import uuid

from mesosframe.core.clock import SystemClock
from mesosframe.local.protocol import AgentInfo

log = logging.getLogger("mesosframe.local.agent")

DEFAULT_RESOURCES = "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the `agent` subcommand; its `func` is `main`."""
    parser = subparsers.add_parser("agent", help="run one agent that joins a mesosframe master",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(parser)
    parser.set_defaults(func=main)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--master", required=True, help="zk://host:port/path or host:port")
    parser.add_argument("--hostname", required=True, help="this agent's address, as offered to frameworks")
    parser.add_argument("--port", type=int, default=0, help="executor API port (0: any free port)")
    parser.add_argument("--resources", default=DEFAULT_RESOURCES)
    parser.add_argument("--attributes", default="", help='e.g. "rack:r1;zone:a"')
    parser.add_argument("--work-dir", default=None, help="sandboxes and agent id (default: a temporary dir)")
    parser.add_argument("--simulated", action="store_true", help="simulate tasks (no processes)")
    parser.add_argument("--agent-id", default=None, help="default: from the work dir, else a new one")
    parser.add_argument("--heartbeat-interval", type=float, default=5.0)
    parser.add_argument("--status-update-retry", type=float, default=10.0,
                        help="first re-send delay of an unacknowledged status update (doubles up to 600 s)")
    parser.add_argument("--zk-session-timeout", type=float, default=10.0)


def agent_id_for(work_dir: pathlib.Path, hostname: str, given: str | None = None) -> str:
    """The agent id: `given`, else the one stored in `work_dir`, else a new one (stored there)."""
    path = work_dir / "agent_id"
    if given:
        agent_id = given
    elif path.exists():
        agent_id = path.read_text().strip()
    else:
        agent_id = f"{hostname.replace(':', '_')}-{uuid.uuid4().hex[:12]}"
    path.write_text(agent_id + "\n")
    return agent_id


async def run_agent(args: argparse.Namespace, stop: asyncio.Event, work_dir: pathlib.Path) -> None:
    """Run the agent until `stop` is set; then kill its tasks and close the link."""
    from mesosframe.local.agents import ProcessAgent, SimulatedAgent, parse_attributes, parse_resources
    from mesosframe.local.remote import RemoteMasterPort

    loop = asyncio.get_running_loop()
    info = AgentInfo(agent_id=agent_id_for(work_dir, args.hostname, args.agent_id), hostname=args.hostname,
                     resources=parse_resources(args.resources),           # AgentFlagError on bad syntax
                     attributes=parse_attributes(args.attributes) if args.attributes else [],
                     kind="simulated" if args.simulated else "process")
    port = RemoteMasterPort(args.master, loop=loop, zk_timeout=args.zk_session_timeout)
    common = dict(loop=loop, clock=SystemClock(), heartbeat_interval=args.heartbeat_interval,
                  status_update_retry=(args.status_update_retry, max(600.0, args.status_update_retry)))
    executor_http = None
    if args.simulated:
        agent = SimulatedAgent(port, info, **common)
    else:
        agent = ProcessAgent(port, info, work_dir=work_dir, **common)
        if args.port and agent.executors is not None:
            from mesosframe.local.executors import ExecutorHttp
            executor_http = ExecutorHttp(agent.executors)   # on the requested port; start() then keeps it
            info.port = await executor_http.start(args.hostname, args.port)
    agent.start()
    print(f"agent: {info.agent_id} hostname={info.hostname} port={info.port} master={args.master}", flush=True)
    try:
        await stop.wait()
    finally:
        agent.stop()
        waiter = getattr(agent, "wait_stopped", None)
        if waiter is not None:
            await waiter()
        if executor_http is not None:
            await executor_http.stop()
        await port.close()


async def _watch(stop: threading.Event, stopped: asyncio.Event) -> None:
    while not stop.is_set() and not stopped.is_set():
        await asyncio.sleep(0.1)
    stopped.set()


def main(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Run the agent until SIGINT/SIGTERM (or `stop`, for callers in another thread)."""
    async def run() -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stopped.set)
        if stop is not None:
            loop.create_task(_watch(stop, stopped))
        if args.work_dir:
            work_dir = pathlib.Path(args.work_dir)
            work_dir.mkdir(parents=True, exist_ok=True)
            await run_agent(args, stopped, work_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="mesosframe-agent-") as tmp:
                await run_agent(args, stopped, pathlib.Path(tmp))

    asyncio.run(run())
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":       # `python -m mesosframe.local.agent_command ...` works without the CLI entry
    _parser = argparse.ArgumentParser(prog="mesosframe agent", description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(_parser)
    _parser.add_argument("--log-level", default="INFO")
    _args = _parser.parse_args()
    logging.basicConfig(level=getattr(logging, _args.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sys.exit(main(_args))
