"""`mesosframe demo-multinode`: the multi-node topology on this machine, until Ctrl-C.

ZooKeeper, two HA masters, three agents (rack r1/r2/r3, zone a/a/b) and two instances each of the
longrun (Marathon API) and cron (Chronos API) schedulers, every one in a network namespace of its own with
its own IP address (see `mesosframe.testing.topology`). Needs root. Prints the URLs, then waits; Ctrl-C
(or SIGTERM) tears everything down.
"""
from __future__ import annotations

import argparse
import sys
import threading

from mesosframe.errors import ConfigurationError
from mesosframe.local.command import stop_on_signals, wait_for


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the `demo-multinode` subcommand; its `func` is `main`."""
    parser = subparsers.add_parser("demo-multinode", help="run a multi-node cluster in network namespaces",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(parser)
    parser.set_defaults(func=main)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--masters", type=int, default=2)
    parser.add_argument("--longrun", type=int, default=2, help="longrun scheduler instances (0: none)")
    parser.add_argument("--cron", type=int, default=2, help="cron scheduler instances (0: none)")
    parser.add_argument("--simulated", action="store_true", help="simulated agents (no task processes)")
    parser.add_argument("--log-dir", default=None, help="keep the nodes' logs here (default: a temporary dir)")


def main(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Bring the topology up, print its endpoints, wait for SIGINT/SIGTERM (or `stop`), tear it down."""
    from mesosframe.testing.netns import netns_unavailable_reason
    from mesosframe.testing.topology import Topology, TopologySpec, sweep_stale_topologies

    reason = netns_unavailable_reason()
    if reason:
        raise ConfigurationError(f"demo-multinode needs network namespaces: {reason}")
    with stop_on_signals(stop or threading.Event()) as stop:
        sweep_stale_topologies()
        spec = TopologySpec(masters=args.masters, longrun=args.longrun, cron=args.cron,
                            simulated_agents=args.simulated, agent_ping_timeout=15.0, zk_session_timeout=10.0)
        topology = Topology(spec, log_dir=args.log_dir)
        try:
            print("starting the topology (ZooKeeper, masters, agents, schedulers)...", flush=True)
            topology.start()
            for what, where in topology.describe().items():
                print(f"{what:>22}: {where}", flush=True)
            print(f"{'leading master':>22}: {topology.leading_master()}", flush=True)
            print(f"{'logs':>22}: {topology.log_dir}", flush=True)
            print("Ctrl-C to stop.", flush=True)
            wait_for(stop)
        finally:
            topology.close()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":       # `python -m mesosframe.local.multinode` works without the CLI entry
    _parser = argparse.ArgumentParser(prog="mesosframe demo-multinode", description=__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
