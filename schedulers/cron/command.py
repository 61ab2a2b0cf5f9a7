"""`mesosframe cron` (run the scheduler) and `mesosframe jobs` (talk to it).

    mesosframe cron --master URL [--zk URL [--zk-session-timeout S]] [--http-port 4400] [--hostname H]
                    [--name cron] [--principal P --secret-file F] [--auth-basic USER:PASSFILE | --auth-token-file F]
    mesosframe jobs add job.json [job2.json ...] [--url URL]
    mesosframe jobs list | run NAME [--arguments A ...] | history NAME | graph [--dot] | delete NAME

`--url` defaults to $MESOSFRAME_CRON_URL, else http://127.0.0.1:4400; `--auth-basic`/`--auth-token-file` work
on `jobs` too. Errors are one line on stderr with exit status 1 (the request or the server failed) or 2
(bad usage, from argparse).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import threading

from mesosframe.errors import ConfigurationError
from schedulers.common.cli import add_auth_options, add_server_options, http_auth, read_json_input, serve

DEFAULT_URL = "http://127.0.0.1:4400"


def add_parser(subparsers) -> None:
    """Register `cron` and `jobs`; each sets `func(args) -> int`."""
    run = subparsers.add_parser("cron", help="run the Chronos-compatible job scheduler",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_options(run, name="cron", http_port=4400)
    run.add_argument("--failover-timeout", type=float, default=None, help="seconds Mesos keeps tasks of a "
                     "disconnected scheduler (default one week)")
    add_auth_options(run)
    run.set_defaults(func=run_scheduler)

    jobs = subparsers.add_parser("jobs", help="add, list, run and inspect cron jobs")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("MESOSFRAME_CRON_URL", DEFAULT_URL),
                        help="the cron API (default $MESOSFRAME_CRON_URL or %(default)s)")
    add_auth_options(common)
    actions = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="create or replace jobs from JSON files")
    add.add_argument("files", nargs="+", help="Chronos job JSON (one job, or a list of jobs); '-' reads stdin")
    actions.add_parser("list", parents=[common], help="list jobs with their state and schedule")
    start = actions.add_parser("run", parents=[common], help="start a run of a job now")
    start.add_argument("name")
    start.add_argument("--arguments", nargs="*", default=[], help="appended to the job's command")
    history = actions.add_parser("history", parents=[common], help="finished runs of a job")
    history.add_argument("name")
    graph = actions.add_parser("graph", parents=[common], help="draw the dependency graph as text")
    graph.add_argument("--dot", action="store_true", help="print Graphviz DOT instead")
    delete = actions.add_parser("delete", parents=[common], help="delete a job (kills its tasks)")
    delete.add_argument("name")
    jobs.set_defaults(func=run_jobs)


def run_scheduler(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or `stop`), then stop with failover: running tasks keep running."""
    from .server import CronServer

    return serve(args, "cron", CronServer, stop=stop, failover_timeout=args.failover_timeout)


def _load_jobs(path: str) -> list[dict]:
    try:
        data = read_json_input(path, ConfigurationError)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    jobs = data if isinstance(data, list) else [data]
    if not all(isinstance(job, dict) and job.get("name") for job in jobs):
        raise ConfigurationError(f"{path}: expected a job object (with a name) or a list of them")
    return jobs


def _dependency_order(jobs: list[dict]) -> list[dict]:
    """`jobs` with every parent given in the same batch before its children (the server needs them first)."""
    names = {job["name"] for job in jobs}
    done: set[str] = set()
    ordered: list[dict] = []
    waiting = list(jobs)
    while waiting:
        ready = [j for j in waiting if all(p in done or p not in names for p in j.get("parents") or [])]
        if not ready:  # a cycle: let the server name it
            ready = waiting[:1]
        for job in ready:
            waiting.remove(job)
            ordered.append(job)
            done.add(job["name"])
    return ordered


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def render_graph(csv: str) -> str:
    """The dependency graph from Chronos's graph CSV, as an indented tree with each job's last state."""
    from .dag import JobGraph

    parents: dict[str, list[str]] = {}
    states: dict[str, str] = {}
    for line in csv.splitlines():
        parts = line.split(",")
        if parts[0] == "node" and len(parts) >= 3:
            parents.setdefault(parts[1], [])
            states[parts[1]] = parts[2]
        elif parts[0] == "link" and len(parts) == 3:
            parents.setdefault(parts[2], []).append(parts[1])
            parents.setdefault(parts[1], [])
    text = JobGraph.build(parents).render_text()
    out = []
    for line in text.splitlines():
        name = line.strip().removeprefix("└─ ").split("  (also")[0]
        out.append(f"{line}  [{states.get(name, 'fresh')}]")
    return "\n".join(out) + ("\n" if out else "(no jobs)\n")


def run_jobs(args: argparse.Namespace) -> int:
    from .client import CronClient

    basic, token = http_auth(args)
    client = CronClient(args.url, basic=basic, token=token)
    try:
        action = args.jobs_command
        if action == "add":
            jobs = [job for path in args.files for job in _load_jobs(path)]
            for job in _dependency_order(jobs):
                client.add(job)
                print(f"added {job['name']}")
        elif action == "list":
            rows = client.summary()
            print(f"{'NAME':24} {'STATE':8} {'STATUS':10} SCHEDULE / PARENTS")
            for row in rows:
                when = row.get("schedule") or "after " + ", ".join(row.get("parents", []))
                disabled = " (disabled)" if row.get("disabled") else ""
                print(f"{row['name']:24} {row['state']:8} {row['status']:10} {when}{disabled}")
        elif action == "run":
            client.run(args.name, args.arguments)
            print(f"started {args.name}")
        elif action == "history":
            runs = client.history(args.name)
            print(f"{'SLOT (UTC)':19}  {'STATE':9} {'TRY':3} {'KIND':10} {'SECONDS':>8}  REASON")
            for run in runs:
                seconds = f"{run['end'] - run['start']:.2f}" if run.get("start") and run.get("end") else "-"
                print(f"{_when(run['slot'])}  {run['state']:9} {run['attempt']:3} {run['kind']:10} {seconds:>8}  "
                      f"{run.get('reason', '')}")
        elif action == "graph":
            sys.stdout.write(client.graph_dot() if args.dot else render_graph(client.graph_csv()))
        elif action == "delete":
            client.delete(args.name)
            print(f"deleted {args.name}")
    finally:
        client.close()
    return 0
