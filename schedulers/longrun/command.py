"""`mesosframe longrun` (run the scheduler) and `mesosframe apps` (talk to it).

    mesosframe longrun --master URL [--zk URL [--zk-session-timeout S]] [--http-port 8080] [--hostname H] [--principal P --secret-file F]
                       [--auth-basic USER:PASSFILE | --auth-token-file F] [--progress-deadline S]
    mesosframe apps [--url URL] [--auth-basic USER:PASSFILE | --auth-token-file F]
                    deploy app.json [--wait] [--force] | list | scale ID N [--wait] | restart ID [--wait]
                    | rollback ID [VERSION] [--wait]

`--url` defaults to $MESOSFRAME_LONGRUN_URL, else http://127.0.0.1:8080. Errors are one line on stderr and a
non-zero exit status (1: the request failed, 2: bad usage).
"""
from __future__ import annotations

import argparse
import os
import threading

from schedulers.common.cli import add_auth_options, add_server_options, http_auth, read_json_input, serve

DEFAULT_URL = "http://127.0.0.1:8080"


def add_parser(subparsers) -> None:
    """Register `longrun` and `apps`; each parser's `func(args) -> int`."""
    run = subparsers.add_parser("longrun", help="run the Marathon-compatible long-running service scheduler",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_options(run, name="longrun", http_port=8080)
    run.add_argument("--tick-interval", type=float, default=0.5, help="seconds between deployment steps")
    run.add_argument("--progress-deadline", type=float, default=None,
                     help="seconds without progress after which a deployment fails and is rolled back")
    add_auth_options(run)
    run.set_defaults(func=run_scheduler)

    apps = subparsers.add_parser("apps", help="deploy and manage long-running apps")
    apps.add_argument("--url", default=os.environ.get("MESOSFRAME_LONGRUN_URL", DEFAULT_URL))
    add_auth_options(apps)
    sub = apps.add_subparsers(dest="apps_command", metavar="ACTION", required=True)
    deploy = sub.add_parser("deploy", help="create or replace an app from a JSON file")
    deploy.add_argument("file", help="app definition (JSON); '-' reads stdin")
    sub.add_parser("list", help="list apps and their task counts")
    scale = sub.add_parser("scale", help="set an app's instance count")
    scale.add_argument("app_id")
    scale.add_argument("instances", type=int)
    restart = sub.add_parser("restart", help="replace every task of an app (rolling)")
    restart.add_argument("app_id")
    rollback = sub.add_parser("rollback", help="go back to an earlier version (default: the previous one)")
    rollback.add_argument("app_id")
    rollback.add_argument("version", nargs="?")
    for p in (deploy, scale, restart, rollback):
        p.add_argument("--wait", action="store_true", help="follow the deployment until it is over")
        p.add_argument("--force", action="store_true", help="override a running deployment")
    apps.set_defaults(func=run_apps)


def run_scheduler(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or `stop`); then stop with failover (tasks keep running)."""
    from schedulers.longrun.server import LongrunServer

    return serve(args, "longrun", LongrunServer, stop=stop, progress_deadline=args.progress_deadline,
                 tick_interval=args.tick_interval)


def run_apps(args: argparse.Namespace) -> int:
    from schedulers.longrun.client import LongrunClient, LongrunClientError

    basic, token = http_auth(args)
    client = LongrunClient(args.url, auth=basic, token=token)
    action = args.apps_command
    if action == "list":
        for app in client.apps():
            print(f"{app['id']}\tinstances={app.get('instances')}\trunning={app.get('tasksRunning', 0)}"
                  f"\thealthy={app.get('tasksHealthy', 0)}\tversion={app.get('version')}")
        return 0
    if action == "deploy":
        app = _load_app(args.file)
        result, app_id = client.deploy(app, force=args.force), app["id"]
    elif action == "scale":
        if args.instances < 0:
            raise LongrunClientError("the instance count must be >= 0")
        result, app_id = client.scale(args.app_id, args.instances, force=args.force), args.app_id
    elif action == "restart":
        result, app_id = client.restart(args.app_id, force=args.force), args.app_id
    else:
        result, app_id = client.rollback(args.app_id, args.version), args.app_id
    print(f"deployment {result['deploymentId']} version {result['version']}", flush=True)
    if args.wait:
        client.wait(result, app_id, on_progress=lambda line: print(line, flush=True))
        print("deployment finished", flush=True)
    return 0


def _load_app(path: str) -> dict:
    from schedulers.longrun.client import LongrunClientError

    try:
        app = read_json_input(path, LongrunClientError)
    except ValueError as exc:
        raise LongrunClientError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(app, dict) or not isinstance(app.get("id"), str):
        raise LongrunClientError(f"{path}: an app definition is a JSON object with an \"id\"")
    return app
