"""`mesosframe local`: run a local master with agents until SIGINT/SIGTERM.

    mesosframe local --agents 2 --simulated-agents 100 --port 5050 --zk zk://127.0.0.1:2181/mesos \
        --agent-resources "cpus:4;mem:4096;disk:10240;ports:[31000-32000]" --agent-attributes "rack:r1"

`--agent-resources` / `--agent-attributes` may be repeated: one value per agent in order (process agents
first), the last one repeating; a single value is shared by all agents.

Containers: `--containers --image-store DIR [--rootfs-cache DIR] [--runc PATH]` lets process agents run tasks
with a Docker image (runc); the command prints whether the runtime is usable here, and why not.
Authentication: `--credentials FILE` (Mesos's JSON, `{"credentials": [{"principal": .., "secret": ..}]}`)
makes the scheduler API check HTTP Basic credentials; `--authenticate-frameworks` requires them.
"""
from __future__ import annotations

import argparse
import contextlib
import pathlib
import signal
import sys
import threading
from collections.abc import Iterator

from mesosframe.heap import settle_heap


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
    parser.add_argument("--containers", action="store_true", help="run image tasks in containers (runc)")
    parser.add_argument("--image-store", default=None, metavar="DIR",
                        help="docker-save tarballs / OCI layouts (required with --containers)")
    parser.add_argument("--rootfs-cache", default=None, metavar="DIR", help="where extracted images are kept")
    parser.add_argument("--runc", default=None, metavar="PATH", help="the runc binary (default: runc)")
    parser.add_argument("--credentials", default=None, metavar="FILE",
                        help='JSON {"credentials": [{"principal": "p", "secret": "s"}]} for HTTP Basic')
    parser.add_argument("--authenticate-frameworks", action="store_true",
                        help="refuse scheduler calls without valid credentials (needs --credentials)")
    parser.set_defaults(func=main)
    return parser


def _usage_error(message: str) -> int:
    print(f"mesosframe local: error: {message}", file=sys.stderr, flush=True)
    return 2


def _container_options(args: argparse.Namespace):
    """ContainerOptions from the flags (None without --containers); prints whether containers are usable."""
    if not args.containers:
        return None
    from mesosframe.local.agents import ContainerOptions

    extra = {"runc": args.runc} if args.runc else {}
    options = ContainerOptions(image_store=pathlib.Path(args.image_store),
                               rootfs_cache=pathlib.Path(args.rootfs_cache) if args.rootfs_cache else None,
                               **extra)
    probe = options.runtime().probe()
    if probe.usable:
        print(f"containers: usable (image store {options.image_store})", flush=True)
    else:
        print("containers: NOT usable, image tasks will fail: " + "; ".join(probe.reasons), flush=True)
    return options


def main(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Start the cluster, print its URLs, wait for SIGINT/SIGTERM (or `stop`), then shut it down.
    Returns 2 (usage error, nothing started) for inconsistent flags or an unreadable credentials file."""
    from mesosframe.local.cluster import LocalCluster
    from mesosframe.local.master.auth import CredentialsFileError, load_credentials

    stop = stop or threading.Event()
    options: dict = {}
    if args.offer_timeout:
        options["offer_timeout"] = args.offer_timeout
    if args.containers and not args.image_store:
        return _usage_error("--containers needs --image-store DIR")
    if not args.containers and (args.image_store or args.rootfs_cache or args.runc):
        return _usage_error("--image-store, --rootfs-cache and --runc need --containers")
    if args.authenticate_frameworks and not args.credentials:
        return _usage_error("--authenticate-frameworks needs --credentials FILE")
    if args.credentials:
        try:
            options["credentials"] = load_credentials(args.credentials)
        except CredentialsFileError as exc:
            return _usage_error(str(exc))
        options["authenticate_frameworks"] = args.authenticate_frameworks
    containers = _container_options(args)
    cluster = LocalCluster(agents=args.agents, simulated_agents=args.simulated_agents, port=args.port,
                           zk=args.zk, agent_resources=args.agent_resources,
                           agent_attributes=args.agent_attributes, heartbeat_interval=args.heartbeat_interval,
                           work_dir=args.work_dir, host=args.host, containers=containers, **options)
    with stop_on_signals(stop):
        try:
            cluster.start()
            settle_heap()           # a long-running process: see mesosframe.heap
            print(f"master: {cluster.master_url}", flush=True)
            print(f"master address: {cluster.master_address}", flush=True)
            if args.zk:
                print(f"zk: {args.zk}", flush=True)
            print(f"agents: {args.agents} process, {args.simulated_agents} simulated", flush=True)
            if args.credentials:
                print(f"authentication: {len(options['credentials'])} principal(s), "
                      f"{'required' if args.authenticate_frameworks else 'optional'}", flush=True)
            wait_for(stop)
        finally:
            cluster.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """Inside the block, SIGINT and SIGTERM set `stop` (from the main thread only: elsewhere signals cannot be
    handled); the previous handlers are back after it."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def wait_for(stop: threading.Event) -> None:
    """Block until `stop` is set, waking twice a second so that signal handlers run promptly."""
    while not stop.wait(0.5):
        pass
