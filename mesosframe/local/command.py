"""`mesosframe local`: run a local master with agents until SIGINT/SIGTERM.

    mesosframe local --agents 2 --simulated-agents 100 --port 5050 --zk zk://127.0.0.1:2181/mesos \
        --agent-resources "cpus:4;mem:4096;disk:10240;ports:[31000-32000]" --agent-attributes "rack:r1"

`--agent-resources` / `--agent-attributes` may be repeated: one value per agent in order (process agents
first), the last one repeating; a single value is shared by all agents.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the `local` subcommand; its `func` is `main`."""
    parser = subparsers.add_parser("local", help="run a local Mesos-compatible master and agents",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=1, help="process agents (real commands)")
    parser.add_argument("--simulated-agents", type=int, default=0, help="simulated agents (no processes)")
    parser.add_argument("--port", type=int, default=5050, help="master port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--zk", default=None, help="register in ZooKeeper, e.g. zk://127.0.0.1:2181/mesos")
    parser.add_argument("--agent-resources", action="append", default=None, metavar="RESOURCES")
    parser.add_argument("--agent-attributes", action="append", default=None, metavar="ATTRIBUTES")
    parser.add_argument("--heartbeat-interval", type=float, default=15.0, help="seconds between HEARTBEATs")
    parser.add_argument("--offer-timeout", type=float, default=None, help="rescind offers after S seconds")
    parser.add_argument("--work-dir", default=None, help="agents' sandboxes (default: a temporary dir)")
    parser.set_defaults(func=main)
    return parser


def main(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Start the cluster, print its URLs, wait for SIGINT/SIGTERM (or `stop`), then shut it down."""
    from mesosframe.local.cluster import LocalCluster

    stop = stop or threading.Event()
    options = {}
    if args.offer_timeout:
        options["offer_timeout"] = args.offer_timeout
    cluster = LocalCluster(agents=args.agents, simulated_agents=args.simulated_agents, port=args.port,
                           zk=args.zk, agent_resources=args.agent_resources,
                           agent_attributes=args.agent_attributes, heartbeat_interval=args.heartbeat_interval,
                           work_dir=args.work_dir, host=args.host, **options)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        cluster.start()
        print(f"master: {cluster.master_url}", flush=True)
        print(f"master address: {cluster.master_address}", flush=True)
        if args.zk:
            print(f"zk: {args.zk}", flush=True)
        print(f"agents: {args.agents} process, {args.simulated_agents} simulated", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        cluster.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("stopped", file=sys.stderr, flush=True)
    return 0
