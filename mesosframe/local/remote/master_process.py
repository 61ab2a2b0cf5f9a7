"""A local master alone, with the agent link mounted, for remote agents to join (until `mesosframe local`
mounts the link itself; see `mesosframe.local.remote.mount`).

    python -m mesosframe.local.remote.master_process --host 10.213.7.11 --port 5050 \
        --zk zk://10.213.7.10:2181/mesos [--agent-ping-timeout 75] [--zk-session-timeout 10]

Runs until SIGINT/SIGTERM; on exit it leaves ZooKeeper (leadership passes on at once) and closes.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from mesosframe.core.clock import SystemClock
from mesosframe.local.master import Master, MasterHttp, MasterOptions, ZooKeeperContender
from mesosframe.local.remote.master_side import mount

log = logging.getLogger("mesosframe.local.remote")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mesosframe.local.remote.master_process",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on and advertise")
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument("--zk", default=None, help="zk://host:port/path for leader election")
    parser.add_argument("--zk-session-timeout", type=float, default=10.0)
    parser.add_argument("--heartbeat-interval", type=float, default=15.0, help="framework HEARTBEAT events")
    parser.add_argument("--agent-ping-timeout", type=float, default=75.0,
                        help="seconds of agent silence before it is unreachable")
    parser.add_argument("--agent-removal-timeout", type=float, default=600.0)
    parser.add_argument("--link-ping-interval", type=float, default=2.0, help="keep-alive on agent streams")
    parser.add_argument("--log-level", default="INFO")
    return parser


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the master until `stop` is set."""
    loop = asyncio.get_running_loop()
    options = MasterOptions(hostname=args.host, port=args.port, heartbeat_interval=args.heartbeat_interval,
                            agent_ping_timeout=args.agent_ping_timeout,
                            agent_removal_timeout=args.agent_removal_timeout)
    master = Master(options, loop=loop, clock=SystemClock())
    http = MasterHttp(master)
    mount(http.app, master, ping_interval=args.link_ping_interval)
    options.port = await http.start(args.host, args.port)
    master.start()
    contender = None
    if args.zk:
        contender = ZooKeeperContender(master, args.zk, loop, timeout=args.zk_session_timeout)
        await loop.run_in_executor(None, contender.start)
    print(f"master: http://{args.host}:{options.port}", flush=True)
    try:
        await stop.wait()
    finally:
        if contender is not None:
            await loop.run_in_executor(None, contender.stop)
        master.stop()
        await http.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await serve(args, stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
