"""The `mesosframe` command. Each subcommand lives in its own module, which provides `add_parser(subparsers)`;
the parser it adds sets `func(args) -> int`. Modules are imported only when present and needed."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mesosframe.errors import MesosframeError

# (subcommand module, what it adds). A module that is missing is left out of the command.
SUBCOMMANDS = (
    "mesosframe.local.command",       # local: the embedded master and agents
    "mesosframe.local.agent_command", # agent: one agent joining a (remote) master
    "mesosframe.local.multinode",     # demo-multinode: the multi-host topology in network namespaces
    "mesosframe.demo",                # demo: local cluster + bundled schedulers + sample workload
    "schedulers.longrun.command",     # longrun, apps
    "schedulers.cron.command",        # cron, jobs
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mesosframe", description="Mesos frameworks made easy.")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (default: the command's own)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = args.log_level or getattr(args, "default_log_level", "INFO")
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MesosframeError as exc:
        print(f"mesosframe {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
